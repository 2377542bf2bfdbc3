"""Badge printing: layout (Pillow), ESC/POS encoding (python-escpos), printer backends,
a virtual network printer, A4 badge sheets and invitations.

Imports neither ``kiosk`` nor ``admin``; each side adapts these to its own store.
"""

from printers.backends import (
    CoverOpen,
    NullPrinter,
    PaperOut,
    Printer,
    PrinterDriverMissing,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    PrinterStatus,
    PrinterTimeout,
    WrongMedia,
    make_printer,
)
from printers.escpos_encode import encode_image
from printers.layout import BadgeData, BadgeRenderer, format_event_dates, render_badge
from printers.messages import PrinterMessage, printer_message

__all__ = [
    "BadgeData",
    "BadgeRenderer",
    "CoverOpen",
    "NullPrinter",
    "PaperOut",
    "Printer",
    "PrinterDriverMissing",
    "PrinterError",
    "PrinterFault",
    "PrinterMessage",
    "PrinterOffline",
    "PrinterStatus",
    "PrinterTimeout",
    "WrongMedia",
    "encode_image",
    "format_event_dates",
    "make_printer",
    "printer_message",
    "render_badge",
]
