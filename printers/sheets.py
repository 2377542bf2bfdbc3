"""A4 sheets of badges for events that pre-print: eight A7 badges (105 x 74 mm) a page.

Vector text in DejaVu Sans (every Polish letter), the QR drawn as filled
rectangles (crisp at any printer resolution) with its 4-module quiet zone, the
role marker as on the thermal badge, light cut lines along the cell borders.
Fields follow ``BadgeSettings.fields``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import segno
from fpdf import FPDF

from bramka.config import BadgeSettings
from printers import textfit
from printers.fonts import find_fonts
from printers.layout import QUIET_ZONE_MODULES, BadgeData
from printers.roles import role_marker

log = logging.getLogger(__name__)

PAGE_W, PAGE_H = 210.0, 297.0
COLUMNS, ROWS = 2, 4
CELL_W, CELL_H = PAGE_W / COLUMNS, PAGE_H / ROWS  # 105 x 74.25 mm: A7 landscape
PAD = 6.0
QR_SIZE = 30.0  # mm, quiet zone included: about 0.6 mm per module for a 120-character token
ROLE_H = 9.0
FAMILY = "DejaVu"


def new_pdf(settings: BadgeSettings | None = None, title: str = "") -> FPDF:
    """An A4 FPDF with DejaVu Sans (regular and bold) registered as ``DejaVu``."""
    regular, bold = find_fonts(settings.font_path if settings else None)
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.set_creator("Bramka")
    if title:
        pdf.set_title(title)
    return pdf


def close_fonts(pdf: FPDF) -> None:
    """fpdf2 keeps font files open until output and only closes the fonts it used."""
    for font in pdf.fonts.values():
        close = getattr(font, "close", None)
        if close is not None:
            close()


def draw_qr(pdf: FPDF, token: str, x: float, y: float, size: float) -> None:
    """The QR (level M) with its quiet zone in a ``size`` mm square at (x, y)."""
    code = segno.make(token, error="m", boost_error=False, micro=False)
    modules = len(code.matrix) + 2 * QUIET_ZONE_MODULES
    unit = size / modules
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(code.matrix):
        top = y + (row_index + QUIET_ZONE_MODULES) * unit
        col, width = 0, len(row)
        while col < width:
            if not row[col]:
                col += 1
                continue
            start = col
            while col < width and row[col]:
                col += 1
            left = x + (start + QUIET_ZONE_MODULES) * unit
            pdf.rect(left, top, (col - start) * unit, unit, style="F")


def fit_lines(
    pdf: FPDF, text: str, width: float, size: float, min_size: float, max_lines: int, bold: bool
) -> tuple[float, list[str]]:
    """Largest font size (points) at which ``text`` wraps into ``max_lines`` within ``width``."""
    style = "B" if bold else ""
    candidate = size
    while candidate >= min_size:
        pdf.set_font(FAMILY, style, candidate)
        for hyphen_breaks in (False, True):
            lines = textfit.wrap(text, pdf.get_string_width, width, hyphen_breaks)
            if textfit.fits(lines, pdf.get_string_width, width, max_lines):
                return candidate, lines
        candidate -= 1
    pdf.set_font(FAMILY, style, min_size)
    return min_size, textfit.hard_wrap(text, pdf.get_string_width, width, max_lines)


def _lines(
    pdf: FPDF,
    lines: Sequence[str],
    x: float,
    y: float,
    width: float,
    size: float,
    bold: bool,
    align: str = "L",
) -> float:
    """Write ``lines`` from ``y`` down; return the y below them."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    height = size * 0.3528 * 1.18  # points to mm, with leading
    for line in lines:
        pdf.set_xy(x, y)
        pdf.cell(width, height, line, align=align)
        y += height
    return y


def _role_band(pdf: FPDF, role: str, x: float, y: float, width: float) -> None:
    marker = role_marker(role)
    text = f"★ {marker.label} ★" if marker.style == "solid_stars" else marker.label
    pdf.set_line_width(0.3)
    if marker.inverted:
        pdf.set_fill_color(0, 0, 0)
        pdf.rect(x, y, width, ROLE_H, style="F")
        if marker.style == "solid_framed":
            pdf.set_draw_color(255, 255, 255)
            pdf.rect(x + 1, y + 1, width - 2, ROLE_H - 2)
        pdf.set_text_color(255, 255, 255)
    else:
        pdf.set_draw_color(0, 0, 0)
        if marker.style == "outline":
            pdf.set_line_width(1.0)
            pdf.rect(x + 0.5, y + 0.5, width - 1, ROLE_H - 1)
        elif marker.style == "dashed":
            pdf.set_dash_pattern(dash=2, gap=1.5)
            pdf.set_line_width(0.8)
            pdf.rect(x + 0.4, y + 0.4, width - 0.8, ROLE_H - 0.8)
            pdf.set_dash_pattern()
        else:
            pdf.line(x, y, x + width, y)
            pdf.line(x, y + ROLE_H, x + width, y + ROLE_H)
        pdf.set_text_color(0, 0, 0)
    size, _ = fit_lines(pdf, text, width - 4, 11, 6, 1, bold=True)
    pdf.set_font(FAMILY, "B", size)
    pdf.set_xy(x, y)
    pdf.cell(width, ROLE_H, text, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)


def draw_badge(pdf: FPDF, badge: BadgeData, settings: BadgeSettings, x: float, y: float) -> None:
    """One A7 badge with its top-left corner at (x, y)."""
    fields = set(settings.fields)
    left, top = x + PAD, y + PAD
    inner_w = CELL_W - 2 * PAD
    bottom = y + CELL_H - PAD
    if "event" in fields and (badge.event_name or badge.event_dates):
        event = " · ".join(part for part in (badge.event_name, badge.event_dates) if part)
        size, lines = fit_lines(pdf, event, inner_w, 8, 6, 1, bold=False)
        top = _lines(pdf, lines, left, top, inner_w, size, bold=False, align="C") + 1.5
    if "role" in fields:
        _role_band(pdf, badge.role, left, bottom - ROLE_H, inner_w)
        bottom -= ROLE_H + 2
    text_w = inner_w
    if "qr" in fields:
        qr_y = top + max(0.0, (bottom - top - QR_SIZE) / 2)
        draw_qr(pdf, badge.token, x + CELL_W - PAD - QR_SIZE + 2, qr_y, QR_SIZE)
        text_w = inner_w - QR_SIZE - 1
    cursor = top + 1
    if "name" in fields and badge.name.strip():
        size, lines = fit_lines(pdf, badge.name, text_w, 20, 11, 3, bold=True)
        cursor = _lines(pdf, lines, left, cursor, text_w, size, bold=True) + 1.5
    if "institution" in fields and badge.institution.strip():
        room = max(1, int((bottom - cursor) // (9 * 0.3528 * 1.18)))
        size, lines = fit_lines(pdf, badge.institution, text_w, 9, 7, min(3, room), bold=False)
        _lines(pdf, lines, left, cursor, text_w, size, bold=False)


def _cut_lines(pdf: FPDF) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.1)
    for col in range(1, COLUMNS):
        pdf.line(col * CELL_W, 0, col * CELL_W, PAGE_H)
    for row in range(1, ROWS):
        pdf.line(0, row * CELL_H, PAGE_W, row * CELL_H)
    pdf.set_draw_color(0, 0, 0)


def _build(badges: Iterable[BadgeData], settings: BadgeSettings, title: str) -> tuple[bytes, int]:
    badges = list(badges)
    if not badges:
        raise ValueError("no badges to print")
    pdf = new_pdf(settings, title)
    try:
        per_page = COLUMNS * ROWS
        for index, badge in enumerate(badges):
            slot = index % per_page
            if slot == 0:
                pdf.add_page()
                _cut_lines(pdf)
            col, row = slot % COLUMNS, slot // COLUMNS
            draw_badge(pdf, badge, settings, col * CELL_W, row * CELL_H)
        log.info("badge sheets: %d badges on %d pages", len(badges), pdf.page)
        return bytes(pdf.output()), pdf.page
    finally:
        close_fonts(pdf)


def render_sheets(
    badges: Iterable[BadgeData], settings: BadgeSettings, title: str = "Identyfikatory / Badges"
) -> bytes:
    """The PDF (A4, 8 badges a page, in the given order)."""
    return _build(badges, settings, title)[0]


def write_sheets(badges: Iterable[BadgeData], settings: BadgeSettings, out: Path) -> int:
    """Write the PDF to ``out``; return the number of pages."""
    data, pages = _build(badges, settings, "Identyfikatory / Badges")
    Path(out).write_bytes(data)
    return pages
