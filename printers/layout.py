"""The badge as one raster image, the way a thermal printer prints it.

A badge is a column of blocks in the order of ``BadgeSettings.fields``: the
attendee's name (large, bold, wrapped at spaces and after hyphens, shrunk before
it is ever cut), the institution, a role marker that reads in black and white,
the event's name and dates, and the QR code with its full 4-module quiet zone.
Sizes are printer dots (203 dpi); the image is exactly ``paper_width`` dots wide
and 1-bit, so what you see in the PNG is what the print head burns.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

from bramka.config import BadgeSettings
from printers import textfit
from printers.badge_images import decode_images, fitted
from printers.fonts import family_fonts, find_fonts
from printers.roles import RoleMarker, role_marker
from sync.badge_template import BadgeTemplate

log = logging.getLogger(__name__)

PAPER_WIDTHS = (384, 576)
BASE_DPI = 203  # the unit of every size in BadgeSettings and below
MIN_LABEL_WIDTH, MAX_LABEL_WIDTH = 200, 4000
QUIET_ZONE_MODULES = 4
MIN_MODULE_DOTS = 4
SIDE_MARGIN = 12
TOP_MARGIN = 16
BOTTOM_MARGIN = 16
BLOCK_GAP = 14
NAME_MAX_LINES = 3
INSTITUTION_MAX_LINES = 3
EVENT_MAX_LINES = 2

Font = ImageFont.FreeTypeFont
WHITE_RGB = (255, 255, 255)
MM_PER_INCH = 25.4


def points_to_dots(points: float) -> int:
    """A template's text size (points) in the layout's unit, 203-dpi dots."""
    return round(points * BASE_DPI / 72)


def luminance(colour: str) -> float:
    """0 (black) to 1 (white), for choosing black or white text on a band of ``colour``."""
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@dataclass(frozen=True, slots=True)
class BadgeData:
    """What a badge shows. ``token`` is the QR payload (ASCII, see ``sync.token``)."""

    name: str
    institution: str
    role: str
    token: str
    event_name: str = ""
    event_dates: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BadgeData:
        return cls(**{name: str(data.get(name, "") or "") for name in cls.__dataclass_fields__})


def format_event_dates(starts_on: date, ends_on: date) -> str:
    """Dates as Polish badges write them: ``12–14.05.2025``, ``30.05–1.06.2025``."""
    end = f"{ends_on.day}.{ends_on.month:02d}.{ends_on.year}"
    if starts_on == ends_on:
        return end
    if (starts_on.year, starts_on.month) == (ends_on.year, ends_on.month):
        return f"{starts_on.day}–{end}"
    if starts_on.year == ends_on.year:
        return f"{starts_on.day}.{starts_on.month:02d}–{end}"
    return f"{starts_on.day}.{starts_on.month:02d}.{starts_on.year}–{end}"


@lru_cache(maxsize=16)
def _qr_grey(token: str) -> np.ndarray:
    """The QR's modules (0 dark, 255 light). Encoding is most of a badge's render time, and
    a label renders a badge again at each shrink step: made once per token."""
    code = segno.make(token, error="m", boost_error=False, micro=False)
    grey = np.where(np.array(code.matrix, dtype=bool), 0, 255).astype(np.uint8)
    grey.setflags(write=False)
    return grey


def qr_image(token: str, module_dots: int, quiet_zone: int = QUIET_ZONE_MODULES) -> Image.Image:
    """The QR code (level M) as an ``L`` image, ``module_dots`` per module, quiet zone included."""
    grey = _qr_grey(token)
    grey = np.pad(grey, quiet_zone, constant_values=255)
    grey = grey.repeat(module_dots, axis=0).repeat(module_dots, axis=1)
    return Image.fromarray(grey, "L")


class BadgeRenderer:
    """Renders badges for one layout; holds the loaded fonts (reuse it for many badges)."""

    def __init__(
        self,
        settings: BadgeSettings,
        paper_width: int,
        *,
        dpi: int | None = None,
        scale: float = 1.0,
        template: BadgeTemplate | None = None,
        images: Mapping[str, bytes] | None = None,
        colour: bool = False,
    ) -> None:
        """``dpi=None``: a receipt printer (203 dpi, 384 or 576 dots). With ``dpi`` (a label
        printer) any width from 200 dots goes, and every size, given in 203-dpi dots, is
        multiplied by ``dpi / 203 * scale`` (``scale`` < 1 shrinks a badge to fit a label).

        ``template`` (``sync.badge_template``): fields, font, sizes, role colours and the
        pictures (``images``: bytes by SHA-256) the organizer chose; None is the badge of
        ``settings`` as always. ``colour``: an RGB image with the role bands in their
        colours (a colour printer, the admin's preview); otherwise 1-bit, each role told
        apart by its marker's shape."""
        if dpi is None and paper_width not in PAPER_WIDTHS:
            raise ValueError(f"paper width must be one of {PAPER_WIDTHS} dots, got {paper_width}")
        if dpi is not None and not MIN_LABEL_WIDTH <= paper_width <= MAX_LABEL_WIDTH:
            raise ValueError(
                f"label width must be {MIN_LABEL_WIDTH} to {MAX_LABEL_WIDTH} dots, "
                f"got {paper_width}"
            )
        k = (dpi or BASE_DPI) / BASE_DPI * scale
        name_size, text_size = settings.name_size, settings.text_size
        if template is not None:
            if template.name_size_pt is not None:
                name_size = points_to_dots(template.name_size_pt)
            if template.text_size_pt is not None:
                text_size = points_to_dots(template.text_size_pt)
        self.template = template
        self.fields: tuple[str, ...] = tuple(template.fields if template else settings.fields)
        self.colour = colour
        self.mode = "RGB" if colour else "L"
        self.dots_per_mm = (dpi or BASE_DPI) / MM_PER_INCH * scale
        self.pictures = decode_images(template, images)
        self._picture_blocks: dict[str, Image.Image | None] = {}  # the same on every badge
        self.settings = settings.model_copy(
            update={
                "name_size": max(16, round(name_size * k)),
                "text_size": max(12, round(text_size * k)),
                "qr_module_dots": max(1, round(settings.qr_module_dots * k)),
            }
        )
        dots_per_base = (dpi or BASE_DPI) / BASE_DPI
        self.min_module = max(MIN_MODULE_DOTS, round(MIN_MODULE_DOTS * dots_per_base))
        self.side_margin = round(SIDE_MARGIN * k)
        self.top_margin = round(TOP_MARGIN * k)
        self.bottom_margin = round(BOTTOM_MARGIN * k)
        self.block_gap = round(BLOCK_GAP * k)
        self.paper_width = paper_width
        self.content_width = paper_width - 2 * self.side_margin
        chosen = family_fonts(template.font) if template is not None else None
        self._regular_path, self._bold_path = chosen or find_fonts(settings.font_path)
        # The role band's words stay in the sans face: a guest's stars are not in Serif.
        self._band_path = find_fonts(settings.font_path)[1] if chosen else self._bold_path
        self._fonts: dict[tuple[Path, int], Font] = {}

    def _font_file(self, path: Path, size: int) -> Font:
        key = (path, size)
        if key not in self._fonts:
            self._fonts[key] = ImageFont.truetype(str(path), size)
        return self._fonts[key]

    def font(self, size: int, bold: bool = False) -> Font:
        return self._font_file(self._bold_path if bold else self._regular_path, size)

    def band_font(self, size: int) -> Font:
        return self._font_file(self._band_path, size)

    # -- text fitting ---------------------------------------------------------------------------

    def fit_text(
        self, text: str, size: int, min_size: int, max_lines: int, bold: bool
    ) -> tuple[Font, list[str]]:
        """Largest size from ``size`` down to ``min_size`` at which ``text`` wraps into
        ``max_lines`` lines that fit; at ``min_size`` cut long words and ellipsize."""
        width = self.content_width
        for hyphen_breaks in (False, True):  # "Cecuga-Nowak" stays whole if a size allows
            for candidate in range(size, min_size - 1, -2):
                font = self.font(candidate, bold)
                lines = textfit.wrap(text, font.getlength, width, hyphen_breaks)
                if textfit.fits(lines, font.getlength, width, max_lines):
                    return font, lines
        font = self.font(min_size, bold)
        return font, textfit.hard_wrap(text, font.getlength, width, max_lines)

    # -- blocks ---------------------------------------------------------------------------------

    def _text_block(self, lines: list[str], font: Font, spacing: float = 1.1) -> Image.Image:
        ascent, descent = font.getmetrics()
        step = round((ascent + descent) * spacing)
        height = step * (len(lines) - 1) + ascent + descent
        block = Image.new("L", (self.paper_width, height), 255)
        draw = ImageDraw.Draw(block)
        for i, line in enumerate(lines):
            draw.text((self.paper_width / 2, i * step), line, font=font, fill=0, anchor="ma")
        return block

    def name_block(self, name: str) -> Image.Image | None:
        if not name.strip():
            return None
        size = self.settings.name_size
        font, lines = self.fit_text(name, size, max(16, size * 11 // 20), NAME_MAX_LINES, True)
        return self._text_block(lines, font, spacing=1.05)

    def institution_block(self, institution: str) -> Image.Image | None:
        if not institution.strip():
            return None
        size = self.settings.text_size
        font, lines = self.fit_text(
            institution, size, max(12, size * 7 // 10), INSTITUTION_MAX_LINES, False
        )
        return self._text_block(lines, font)

    def event_block(self, event_name: str, event_dates: str) -> Image.Image | None:
        parts: list[Image.Image] = []
        size = max(12, self.settings.text_size * 4 // 5)
        if event_name.strip():
            font, lines = self.fit_text(
                event_name, size, max(12, size * 3 // 4), EVENT_MAX_LINES, True
            )
            parts.append(self._text_block(lines, font))
        if event_dates.strip():
            font, lines = self.fit_text(event_dates, size, 12, 1, False)
            parts.append(self._text_block(lines, font))
        return _stack(parts, self.paper_width, gap=4) if parts else None

    def role_block(self, role: str) -> Image.Image:
        marker = role_marker(role)
        size = self.settings.text_size
        pad = max(6, size // 3)
        inner = self.content_width - 2 * pad - 12
        font = self.band_font(size)
        decorate = marker.style == "solid_stars"
        one_line = f"★ {marker.label} ★" if decorate else marker.label
        if font.getlength(one_line) <= inner:
            lines = [one_line]
        else:  # narrow paper: Polish above English, shrunk until both fit
            lines = [f"★ {marker.pl} ★" if decorate else marker.pl, marker.en]
            while size > 12 and max(font.getlength(line) for line in lines) > inner:
                size -= 2
                font = self.band_font(size)
        text = self._text_block(lines, font)
        height = text.height + 2 * pad
        colours: Mapping[str, str] = self.template.role_colours if self.template else {}
        colour = colours.get(marker.key)
        if self.colour and colour:
            return self._colour_band(text, height, pad, colour)
        band = Image.new("L", (self.paper_width, height), 255)
        self._draw_marker(band, marker, text, pad)
        return band

    def _colour_band(self, text: Image.Image, height: int, pad: int, colour: str
                     ) -> Image.Image:
        """The role band filled with its colour, the words in black or white by contrast."""
        band = Image.new("RGB", (self.paper_width, height), WHITE_RGB)
        draw = ImageDraw.Draw(band)
        right = self.paper_width - self.side_margin - 1
        draw.rectangle((self.side_margin, 0, right, height - 1), fill=colour)
        ink = (0, 0, 0) if luminance(colour) > 0.55 else WHITE_RGB
        band.paste(ink, (0, pad), mask=Image.eval(text, lambda v: 255 - v))
        return band

    def picture_block(self, kind: str) -> Image.Image | None:
        """The template's logo or funding strip, centred, at most its height in mm."""
        if kind not in self._picture_blocks:
            self._picture_blocks[kind] = self._make_picture_block(kind)
        return self._picture_blocks[kind]

    def _make_picture_block(self, kind: str) -> Image.Image | None:
        picture = self.pictures.get(kind)
        if picture is None or self.template is None:
            return None
        height_mm = (self.template.logo_height_mm if kind == "logo"
                     else self.template.funding_height_mm)
        box = max(1, round(height_mm * self.dots_per_mm))
        image = fitted(picture, self.content_width, box, self.mode)
        block = Image.new(self.mode, (self.paper_width, image.height),
                          WHITE_RGB if self.mode == "RGB" else 255)
        block.paste(image, ((self.paper_width - image.width) // 2, 0))
        return block

    def _draw_marker(
        self, band: Image.Image, marker: RoleMarker, text: Image.Image, pad: int
    ) -> None:
        draw = ImageDraw.Draw(band)
        left, right = self.side_margin, self.paper_width - self.side_margin - 1
        top, bottom = 0, band.height - 1
        style = marker.style
        if marker.inverted:
            draw.rectangle((left, top, right, bottom), fill=0)
            if style == "solid_framed":
                inset = max(4, pad // 2)
                draw.rectangle(
                    (left + inset, top + inset, right - inset, bottom - inset), outline=255, width=2
                )
            # white text: paste black where the text block is white-inverted
            band.paste(255, (0, pad), mask=Image.eval(text, lambda v: 255 - v))
            return
        if style == "outline":
            draw.rectangle((left, top, right, bottom), outline=0, width=5)
        elif style == "dashed":
            _dashed_rectangle(draw, (left, top, right, bottom), width=4, dash=14)
        elif style == "plain":
            draw.line((left, top + 1, right, top + 1), fill=0, width=2)
            draw.line((left, bottom - 1, right, bottom - 1), fill=0, width=2)
        band.paste(0, (0, pad), mask=Image.eval(text, lambda v: 255 - v))

    def qr_block(self, token: str) -> Image.Image:
        module = self.settings.qr_module_dots
        code = qr_image(token, module)
        while code.width > self.paper_width and module > self.min_module:
            module -= 1
            code = qr_image(token, module)
        if code.width > self.paper_width:
            raise ValueError(
                f"QR code of {len(token)} characters does not fit {self.paper_width} dots "
                f"at {self.min_module} dots per module"
            )
        if module != self.settings.qr_module_dots:
            log.info("QR module reduced to %d dots to fit %d-dot paper", module, self.paper_width)
        block = Image.new("L", (self.paper_width, code.height), 255)
        block.paste(code, ((self.paper_width - code.width) // 2, 0))
        return block

    # -- the badge ------------------------------------------------------------------------------

    def render(self, data: BadgeData) -> Image.Image:
        """The badge as a 1-bit image ``paper_width`` dots wide (black = printed); RGB for
        a ``colour`` renderer."""
        blocks: list[Image.Image] = []
        for field in self.fields:
            block: Image.Image | None
            if field == "name":
                block = self.name_block(data.name)
            elif field == "institution":
                block = self.institution_block(data.institution)
            elif field == "role":
                block = self.role_block(data.role)
            elif field == "event":
                block = self.event_block(data.event_name, data.event_dates)
            elif field in ("logo", "funding"):
                block = self.picture_block(field)
            else:
                block = self.qr_block(data.token)
            if block is not None:
                blocks.append(block)
        page = _stack(
            blocks,
            self.paper_width,
            gap=self.block_gap,
            top=self.top_margin,
            bottom=self.bottom_margin,
        )
        if self.colour:
            return page.convert("RGB")
        return page.convert("1", dither=Image.Dither.NONE)


def _stack(
    blocks: list[Image.Image], width: int, gap: int, top: int = 0, bottom: int = 0
) -> Image.Image:
    height = top + bottom + sum(b.height for b in blocks) + gap * max(0, len(blocks) - 1)
    if any(b.mode == "RGB" for b in blocks):
        page = Image.new("RGB", (width, height), WHITE_RGB)
    else:
        page = Image.new("L", (width, height), 255)
    y = top
    for block in blocks:
        page.paste(block, (0, y))
        y += block.height + gap
    return page


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], width: int, dash: int
) -> None:
    left, top, right, bottom = box
    for x in range(left, right + 1, 2 * dash):
        end = min(x + dash, right)
        draw.rectangle((x, top, end, top + width - 1), fill=0)
        draw.rectangle((x, bottom - width + 1, end, bottom), fill=0)
    for y in range(top, bottom + 1, 2 * dash):
        end = min(y + dash, bottom)
        draw.rectangle((left, y, left + width - 1, end), fill=0)
        draw.rectangle((right - width + 1, y, right, end), fill=0)


def render_badge(data: BadgeData, settings: BadgeSettings, paper_width: int) -> Image.Image:
    """Render one badge. For many badges keep a :class:`BadgeRenderer` (fonts load once)."""
    return BadgeRenderer(settings, paper_width).render(data)
