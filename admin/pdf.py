"""PDF documents: attendance lists (with signature column) and certificates of attendance."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from admin.pdf_fonts import fonts_for


def _document(title: str, texts: Iterable[str]) -> FPDF:
    """A4 with DejaVu Sans (as the badges use): the small cut of it when it covers every
    character of ``texts`` (``admin.pdf_fonts``), else the whole font."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_creator("Bramka")
    regular, bold = fonts_for(itertools.chain([title], texts))
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(12, 12, 12)
    return pdf


def _strip_height(logo: Path, width: float) -> float:
    from PIL import Image

    with Image.open(logo) as img:
        return width * img.height / img.width


def _fit(pdf: FPDF, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width - 2:
        return text
    while text and pdf.get_string_width(text + "…") > width - 2:
        text = text[:-1]
    return text + "…"


COLUMNS = (9, 50, 49, 14, 14, 16, 34)  # no., name, institution, in, out, minutes, signature
SIGNIN_COLUMNS = (9, 58, 69, 50)  # no., name, institution, signature
LINE = 4.2  # mm per line of 8-point text


def attendance_pdf(event_name: str, title: str, subtitle: str,
                   rows: Sequence[tuple[str, str, str, str, str]], headers: Sequence[str],
                   footer: str, logo: Path | None = None) -> bytes:
    """``rows``: (name, institution, time in, time out, minutes present). Long names and
    institutions wrap onto more lines; nothing is cut. Header on every page."""
    cells = [(str(i), name, inst, t_in, t_out, minutes, "")
             for i, (name, inst, t_in, t_out, minutes) in enumerate(rows, 1)]
    return _table_pdf(event_name, title, subtitle, headers, COLUMNS, cells, footer, logo=logo)


def signin_pdf(event_name: str, title: str, subtitle: str, rows: Sequence[tuple[str, str]],
               headers: Sequence[str], footer: str, logo: Path | None = None) -> bytes:
    """The sign-in sheet printed before a session: everyone registered, a line to sign."""
    cells = [(str(i), name, inst, "") for i, (name, inst) in enumerate(rows, 1)]
    return _table_pdf(event_name, title, subtitle, headers, SIGNIN_COLUMNS, cells, footer,
                      min_height=9, logo=logo)


def _table_pdf(event_name: str, title: str, subtitle: str, headers: Sequence[str],
               widths: Sequence[float], rows: Sequence[Sequence[str]], footer: str,
               min_height: float = 6, logo: Path | None = None) -> bytes:
    pdf = _document(f"{event_name}: {title}", itertools.chain(
        [subtitle, footer], headers, (cell for row in rows for cell in row)))

    def page_header() -> None:
        if logo is not None:  # every page of an ESF+ document carries the strip
            top = pdf.get_y()
            pdf.image(str(logo), x=12, y=top, w=186)
            pdf.set_y(top + _strip_height(logo, 186) + 2)
        pdf.set_font("DejaVu", "B", 12)
        pdf.multi_cell(0, 6, event_name, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(0, 5, subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 8)
        pdf.set_fill_color(230, 234, 237)
        _row(pdf, widths, headers, 6, fill=True)
        pdf.set_font("DejaVu", "", 8)

    pdf.add_page()
    page_header()
    for cells in rows:
        height = max(min_height, LINE * max(_lines(pdf, w, t) for w, t in zip(widths, cells,
                                                                              strict=True)))
        if pdf.get_y() + height > 297 - 18:
            _page_footer(pdf, footer)
            pdf.add_page()
            page_header()
        _row(pdf, widths, cells, height)
    _page_footer(pdf, footer)
    return bytes(pdf.output())


def _lines(pdf: FPDF, width: float, text: str) -> int:
    if not text:
        return 1
    return len(pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES"))


def _row(pdf: FPDF, widths: Sequence[float], cells: Sequence[str], height: float,
         fill: bool = False) -> None:
    """One table row: each cell wrapped in its column, all as tall as the tallest."""
    x, y = pdf.get_x(), pdf.get_y()
    for w, text in zip(widths, cells, strict=True):
        pdf.rect(x, y, w, height, style="DF" if fill else "D")
        pdf.set_xy(x, y)
        pdf.multi_cell(w, LINE if height > 6 or not fill else height, text, border=0)
        x += w
    pdf.set_xy(pdf.l_margin, y + height)


def _page_footer(pdf: FPDF, text: str) -> None:
    y = pdf.get_y()
    pdf.set_auto_page_break(auto=False)
    pdf.set_xy(12, 297 - 12)
    pdf.set_font("DejaVu", "", 7)
    pdf.cell(150, 4, _fit(pdf, text, 150))
    pdf.cell(36, 4, f"{pdf.page_no()}", align="R")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_y(y)


def certificate_pdf(*, heading: str, intro: str, name: str, institution: str, event_name: str,
                    event_dates: str, items_title: str, items: Sequence[str], place_date: str,
                    signature: str, logo: Path | None = None) -> bytes:
    pdf = _document(f"{heading}: {name}", [intro, institution, event_name, event_dates,
                                          items_title, place_date, signature, "•", *items])
    pdf.add_page()
    pdf.set_draw_color(18, 50, 79)
    pdf.set_line_width(0.8)
    pdf.rect(8, 8, 194, 281)
    if logo is not None:  # the funding logo strip across the top, inside the frame
        pdf.image(str(logo), x=14, y=12, w=182)
        pdf.set_y(max(pdf.get_y(), 12 + _strip_height(logo, 182)))
        pdf.ln(10)
    else:
        pdf.ln(28)
    pdf.set_font("DejaVu", "B", 24)
    pdf.cell(0, 14, heading, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 8, intro, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 20)
    pdf.cell(0, 12, _fit(pdf, name, 186), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if institution:
        pdf.set_font("DejaVu", "", 12)
        pdf.cell(0, 8, _fit(pdf, institution, 186), align="C", new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)
    pdf.ln(6)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, event_name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(0, 8, event_dates, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if items:
        pdf.ln(8)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(0, 7, items_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 10)
        for item in items[:25]:
            pdf.multi_cell(0, 6, "• " + item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(250)
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(90, 6, place_date)
    pdf.cell(96, 6, "..............................................", align="R",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.cell(90, 6, "")
    pdf.cell(96, 6, signature, align="R")
    return bytes(pdf.output())


def stamp(now: datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M")
