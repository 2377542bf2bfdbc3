"""A4 sheets of badges for events that pre-print: eight A7 badges (105 x 74 mm) a page.

Vector text in DejaVu Sans (every Polish letter), the QR drawn as filled
rectangles (crisp at any printer resolution) with its 4-module quiet zone, the
role marker as on the thermal badge, light cut lines along the cell borders.
Fields follow ``BadgeSettings.fields``.

With the event's badge template (``bramka badge sheets --template FILE``, the file the
admin's badge designer downloads) the sheets follow it too: its fields (logo on top, the
funding strip at the bottom), font, role colours and size: a cell is the template's width
x height (as many as fit on A4; A7 when it gives none).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import segno
from fpdf import FPDF
from PIL import Image

from bramka.config import BadgeSettings
from printers import textfit
from printers.badge_images import decode_images
from printers.fonts import family_fonts, find_fonts
from printers.layout import QUIET_ZONE_MODULES, BadgeData, luminance
from printers.roles import role_marker
from sync.badge_template import BadgeTemplate

log = logging.getLogger(__name__)

PAGE_W, PAGE_H = 210.0, 297.0
COLUMNS, ROWS = 2, 4
CELL_W, CELL_H = PAGE_W / COLUMNS, PAGE_H / ROWS  # 105 x 74.25 mm: A7 landscape
PAD = 6.0
QR_SIZE = 30.0  # mm, quiet zone included: about 0.6 mm per module for a 120-character token
ROLE_H = 9.0
FAMILY = "DejaVu"
BAND_FAMILY = "DejaVuBand"  # the role band in DejaVu Sans under another font: stars and all


@dataclass(frozen=True)
class SheetLayout:
    """Cells on the A4 page, and the template the badges in them follow (None: none)."""

    cell_w: float = CELL_W
    cell_h: float = CELL_H
    columns: int = COLUMNS
    rows: int = ROWS
    template: BadgeTemplate | None = None
    pictures: dict[str, Image.Image] = field(default_factory=dict)

    @property
    def fields(self) -> tuple[str, ...] | None:
        return tuple(self.template.fields) if self.template else None


def sheet_layout(template: BadgeTemplate | None = None,
                 images: Mapping[str, bytes] | None = None) -> SheetLayout:
    if template is None:
        return SheetLayout()
    width, height = template.width_mm or CELL_W, template.height_mm or CELL_H
    return SheetLayout(width, height, max(1, int(PAGE_W // width)),
                       max(1, int(PAGE_H // height)), template,
                       decode_images(template, images))


def new_pdf(settings: BadgeSettings | None = None, title: str = "",
            family: str | None = None) -> FPDF:
    """An A4 FPDF with DejaVu Sans (regular and bold; or the template's ``family``)
    registered as ``DejaVu``."""
    chosen = family_fonts(family) if family else None
    sans = find_fonts(settings.font_path if settings else None)
    regular, bold = chosen or sans
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    if chosen:
        pdf.add_font(BAND_FAMILY, "B", str(sans[1]))
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
    pdf: FPDF, text: str, width: float, size: float, min_size: float, max_lines: int, bold: bool,
    family: str = FAMILY,
) -> tuple[float, list[str]]:
    """Largest font size (points) at which ``text`` wraps into ``max_lines`` within ``width``."""
    style = "B" if bold else ""
    candidate = size
    while candidate >= min_size:
        pdf.set_font(family, style, candidate)
        for hyphen_breaks in (False, True):
            lines = textfit.wrap(text, pdf.get_string_width, width, hyphen_breaks)
            if textfit.fits(lines, pdf.get_string_width, width, max_lines):
                return candidate, lines
        candidate -= 1
    pdf.set_font(family, style, min_size)
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


def _role_band(pdf: FPDF, role: str, x: float, y: float, width: float,
               colour: str | None = None, family: str = FAMILY) -> None:
    marker = role_marker(role)
    text = f"★ {marker.label} ★" if marker.style == "solid_stars" else marker.label
    pdf.set_line_width(0.3)
    if colour:  # the template's colour for the role; words in black or white by contrast
        pdf.set_fill_color(colour)
        pdf.rect(x, y, width, ROLE_H, style="F")
        ink = 0 if luminance(colour) > 0.55 else 255
        pdf.set_text_color(ink, ink, ink)
    elif marker.inverted:
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
    size, _ = fit_lines(pdf, text, width - 4, 11, 6, 1, bold=True, family=family)
    pdf.set_font(family, "B", size)
    pdf.set_xy(x, y)
    pdf.cell(width, ROLE_H, text, align="C")
    pdf.set_text_color(0, 0, 0)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.2)


def _picture(pdf: FPDF, picture: Image.Image, x: float, y: float, width: float,
             height: float) -> float:
    """``picture`` centred in ``width`` at (x, y), at most ``height`` mm; return its height."""
    scale = min(width / picture.width, height / picture.height)
    w, h = picture.width * scale, picture.height * scale
    pdf.image(picture, x=x + (width - w) / 2, y=y, w=w, h=h)
    return h


def draw_badge(pdf: FPDF, badge: BadgeData, settings: BadgeSettings, x: float, y: float,
               layout: SheetLayout | None = None) -> None:
    """One badge (A7, or the template's size) with its top-left corner at (x, y)."""
    layout = layout or SheetLayout()
    fields = set(layout.fields or settings.fields)
    left, top = x + PAD, y + PAD
    inner_w = layout.cell_w - 2 * PAD
    bottom = y + layout.cell_h - PAD
    template = layout.template
    if template is not None:
        logo, strip = layout.pictures.get("logo"), layout.pictures.get("funding")
        if "logo" in fields and logo is not None:
            top += _picture(pdf, logo, left, top, inner_w,
                            min(template.logo_height_mm, layout.cell_h / 4)) + 1.5
        if "funding" in fields and strip is not None:
            height = min(template.funding_height_mm, layout.cell_h / 5)
            scale = min(inner_w / strip.width, height / strip.height)
            bottom -= strip.height * scale
            _picture(pdf, strip, left, bottom, inner_w, height)
            bottom -= 1.5
    if "event" in fields and (badge.event_name or badge.event_dates):
        event = " · ".join(part for part in (badge.event_name, badge.event_dates) if part)
        size, lines = fit_lines(pdf, event, inner_w, 8, 6, 1, bold=False)
        top = _lines(pdf, lines, left, top, inner_w, size, bold=False, align="C") + 1.5
    if "role" in fields:
        colours: Mapping[str, str] = template.role_colours if template else {}
        _role_band(pdf, badge.role, left, bottom - ROLE_H, inner_w,
                   colours.get(role_marker(badge.role).key),
                   BAND_FAMILY if f"{BAND_FAMILY.lower()}B" in pdf.fonts else FAMILY)
        bottom -= ROLE_H + 2
    text_w = inner_w
    if "qr" in fields:
        qr_size = min(QR_SIZE, inner_w * 0.45, bottom - top)
        qr_y = top + max(0.0, (bottom - top - qr_size) / 2)
        draw_qr(pdf, badge.token, x + layout.cell_w - PAD - qr_size + 2, qr_y, qr_size)
        text_w = inner_w - qr_size - 1
    cursor = top + 1
    if "name" in fields and badge.name.strip():
        size, lines = fit_lines(pdf, badge.name, text_w, 20, 11, 3, bold=True)
        cursor = _lines(pdf, lines, left, cursor, text_w, size, bold=True) + 1.5
    if "institution" in fields and badge.institution.strip():
        room = max(1, int((bottom - cursor) // (9 * 0.3528 * 1.18)))
        size, lines = fit_lines(pdf, badge.institution, text_w, 9, 7, min(3, room), bold=False)
        _lines(pdf, lines, left, cursor, text_w, size, bold=False)


def _cut_lines(pdf: FPDF, layout: SheetLayout) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.1)
    width, height = layout.columns * layout.cell_w, layout.rows * layout.cell_h
    for col in range(1, layout.columns + (width < PAGE_W)):
        pdf.line(col * layout.cell_w, 0, col * layout.cell_w, min(PAGE_H, height))
    for row in range(1, layout.rows + (height < PAGE_H)):
        pdf.line(0, row * layout.cell_h, min(PAGE_W, width), row * layout.cell_h)
    pdf.set_draw_color(0, 0, 0)


def _build(badges: Iterable[BadgeData], settings: BadgeSettings, title: str,
           layout: SheetLayout | None = None) -> tuple[bytes, int]:
    badges = list(badges)
    if not badges:
        raise ValueError("no badges to print")
    layout = layout or SheetLayout()
    pdf = new_pdf(settings, title, layout.template.font if layout.template else None)
    try:
        per_page = layout.columns * layout.rows
        for index, badge in enumerate(badges):
            slot = index % per_page
            if slot == 0:
                pdf.add_page()
                _cut_lines(pdf, layout)
            col, row = slot % layout.columns, slot // layout.columns
            draw_badge(pdf, badge, settings, col * layout.cell_w, row * layout.cell_h, layout)
        log.info("badge sheets: %d badges on %d pages", len(badges), pdf.page)
        return bytes(pdf.output()), pdf.page
    finally:
        close_fonts(pdf)


def render_sheets(
    badges: Iterable[BadgeData], settings: BadgeSettings, title: str = "Identyfikatory / Badges",
    layout: SheetLayout | None = None,
) -> bytes:
    """The PDF (A4, 8 badges a page or the template's cells, in the given order)."""
    return _build(badges, settings, title, layout)[0]


def write_sheets(badges: Iterable[BadgeData], settings: BadgeSettings, out: Path,
                 layout: SheetLayout | None = None) -> int:
    """Write the PDF to ``out``; return the number of pages."""
    data, pages = _build(badges, settings, "Identyfikatory / Badges", layout)
    Path(out).write_bytes(data)
    return pages
