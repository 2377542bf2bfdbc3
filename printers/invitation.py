"""The invitation an organizer e-mails to each registrant: the QR as a PNG and a one-page PDF.

The PNG is the code with its quiet zone and the person's name under it (fits an
e-mail body or a phone screen). The PDF is an A4 page, Polish then English: the
event, the person's name and institution, the code 80 mm wide, and what to do
with it.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from bramka.config import BadgeSettings
from printers import textfit
from printers.fonts import find_fonts
from printers.layout import QUIET_ZONE_MODULES, BadgeData, qr_image
from printers.sheets import FAMILY, close_fonts, draw_qr, fit_lines, new_pdf

PNG_MODULE_PX = 10
PDF_QR_MM = 80.0

TEXT = {
    "title": "Zaproszenie / Invitation",
    "show_pl": "Pokaż ten kod przy wejściu – na telefonie lub wydrukowany. "
    "Przy pierwszym wejściu wydrukujemy Twój identyfikator.",
    "show_en": "Show this code at the entrance, on your phone or printed. "
    "Your badge is printed when you first check in.",
    "personal": "Kod jest imienny: nie udostępniaj go. / The code is personal: do not share it.",
    "code": "Kod osobisty / Personal code: {code}",
    "code_pl": "Bez kodu QR przy sobie? Przy kiosku wybierz „Nie mam kodu”, wpisz nazwisko "
    "i ten kod osobisty.",
    "code_en": "No QR code with you? At the kiosk choose “I have no code”, type your surname "
    "and this personal code.",
}


def invitation_png(
    badge: BadgeData, settings: BadgeSettings | None = None, module_px: int = PNG_MODULE_PX,
    personal_code: str = "",
) -> bytes:
    """The invitation QR as PNG bytes: code, quiet zone, the name (and event) beneath, and
    the personal code for self-service without the QR (``sync.self_service``) when given."""
    regular, bold = find_fonts(settings.font_path if settings else None)
    code = _qr(badge.token, module_px)
    width = code.width
    thread = threading.get_ident()  # FreeType faces are not shared between threads
    name_font = _font(bold, max(18, module_px * 3), thread)
    small_font = _font(regular, max(14, module_px * 2), thread)
    lines: list[tuple[str, ImageFont.FreeTypeFont]] = []
    for text, font in (
        (badge.name, name_font),
        (badge.event_name, small_font),
        (badge.event_dates, small_font),
        (TEXT["code"].format(code=personal_code) if personal_code else "", small_font),
    ):
        if text.strip():
            wrapped = textfit.hard_wrap(text, font.getlength, width - 2 * module_px, 2)
            lines.extend((line, font) for line in wrapped)
    step = [sum(font.getmetrics()) + 4 for _, font in lines]
    image = Image.new("L", (width, code.height + sum(step) + (module_px * 2 if lines else 0)), 255)
    image.paste(code, (0, 0))
    draw = ImageDraw.Draw(image)
    y = code.height
    for (line, font), height in zip(lines, step, strict=True):
        draw.text((width / 2, y), line, font=font, fill=0, anchor="ma")
        y += height
    out = io.BytesIO()
    # Default compression, not optimize=True: a few hundred bytes more, five times faster
    # (a mailing renders one per person).
    image.save(out, format="PNG")
    return out.getvalue()


@lru_cache(maxsize=32)
def _font(path: Path, size: int, thread: int) -> ImageFont.FreeTypeFont:
    """Loaded once per thread: a mailing draws thousands of invitations."""
    return ImageFont.truetype(str(path), size)


def _qr(token: str, module_px: int) -> Image.Image:
    """The code as ``printers.layout.qr_image`` draws it (level M, 4-module quiet zone),
    encoded by zxing-cpp's C++ writer where it has one: 0.2 ms instead of segno's 7 ms, for
    a mailing of thousands. The same symbol version and error correction; only the mask
    pattern may differ, which no scanner minds. Badges keep segno (their byte streams are
    pinned by tests/fixtures)."""
    create = getattr(zxingcpp, "create_barcode", None)
    if create is None:  # zxing-cpp before 2.3 could not encode
        return qr_image(token, module_px)
    symbol = create(token, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    grey = np.asarray(symbol.to_image(scale=1, add_quiet_zones=False), dtype=np.uint8)
    grey = np.pad(grey, QUIET_ZONE_MODULES, constant_values=255)
    grey = grey.repeat(module_px, axis=0).repeat(module_px, axis=1)
    return Image.fromarray(np.ascontiguousarray(grey), "L")


def invitation_pdf(badge: BadgeData, settings: BadgeSettings | None = None,
                   personal_code: str = "") -> bytes:
    """A one-page A4 PDF invitation with the person's name and the code (and the personal
    code for self-service, when given)."""
    pdf = new_pdf(settings, f"{TEXT['title']}: {badge.name}")
    try:
        pdf.add_page()
        margin, width = 20.0, 170.0
        y = 22.0

        def block(text: str, size: float, bold: bool, max_lines: int = 2, gap: float = 2.0) -> None:
            nonlocal y
            if not text.strip():
                return
            size, lines = fit_lines(pdf, text, width, size, min(size, 9), max_lines, bold)
            pdf.set_font(FAMILY, "B" if bold else "", size)
            line_h = size * 0.3528 * 1.25
            for line in lines:
                pdf.set_xy(margin, y)
                pdf.cell(width, line_h, line, align="C")
                y += line_h
            y += gap

        block(TEXT["title"], 14, bold=False, gap=6)
        block(badge.event_name, 20, bold=True)
        block(badge.event_dates, 13, bold=False, gap=10)
        block(badge.name, 26, bold=True, max_lines=2)
        block(badge.institution, 13, bold=False, gap=6)
        draw_qr(pdf, badge.token, (210 - PDF_QR_MM) / 2, y, PDF_QR_MM)
        y += PDF_QR_MM + 4
        if personal_code:
            block(TEXT["code"].format(code=personal_code), 16, bold=True, max_lines=1)
        y += 4
        pdf.set_font(FAMILY, "", 11)
        texts = [TEXT["show_pl"], TEXT["show_en"]]
        if personal_code:
            texts += [TEXT["code_pl"], TEXT["code_en"]]
        for text in texts:
            pdf.set_xy(margin, y)
            pdf.multi_cell(width, 5.5, text, align="C")
            y = pdf.get_y() + 3
        pdf.set_font(FAMILY, "", 8.5)
        pdf.set_xy(margin, 280)
        pdf.cell(width, 5, TEXT["personal"], align="C")
        return bytes(pdf.output())
    finally:
        close_fonts(pdf)


def write_invitation(badge: BadgeData, out: Path, settings: BadgeSettings | None = None) -> None:
    """Write ``out`` as PNG or PDF, chosen by its suffix."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix == ".png":
        out.write_bytes(invitation_png(badge, settings))
    elif suffix == ".pdf":
        out.write_bytes(invitation_pdf(badge, settings))
    else:
        raise ValueError(f"invitation file must end in .png or .pdf, got {out.name}")
