"""Badge image -> a one-page PDF exactly the label's size, for CUPS.

The page is the profile's ``width_mm`` x ``length_mm``; the badge image (rendered
at the profile's dpi, so 300 dpi) fills it edge to edge, so a driver that prints
at 100 % puts every dot where the layout put it. fpdf2 writes it; the creation
date is fixed, so one badge always gives the same bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF
from PIL import Image

from printers.profiles import PrinterProfile

FIXED_DATE = datetime(2025, 1, 1, tzinfo=UTC)


def label_pdf(image: Image.Image, profile: PrinterProfile) -> bytes:
    if profile.length_mm is None:
        raise ValueError(f"profile {profile.name}: a PDF page needs a fixed length")
    width, length = profile.width_mm, profile.length_mm
    pdf = FPDF(unit="mm", format=(width, length))
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_page()
    # a colour badge (a template's role colours) stays RGB; a 1-bit one goes as grey
    page = image if image.mode == "RGB" else image.convert("L")
    pdf.image(page, x=0, y=0, w=width, h=length)
    return bytes(pdf.output())
