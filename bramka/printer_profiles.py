"""Printer profiles: which protocol a printer speaks, on what media, at what resolution.

``[printer] profile`` names one of :data:`PROFILES`; empty keeps the ESC/POS
receipt printer of ``[printer] paper_width`` (configs from before profiles work
unchanged). A profile fixes the label in printer dots: its printable width and,
for die-cut labels and cards, its length (``None``: an endless roll, cut after
each badge).

The table lives here, beside the settings, because ``bramka.config`` checks a
profile's name and what it needs (a CUPS queue, not serial for labels) when
``config.toml`` is read, and the settings import no part of Bramka
(tests/test_layers.py). Only the standard library is imported here. The printing
code reads it as :mod:`printers.profiles`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

Protocol = Literal["escpos", "ql", "zpl", "cups"]
PROTOCOLS: tuple[Protocol, ...] = ("escpos", "ql", "zpl", "cups")
MM_PER_INCH = 25.4


class UnknownProfile(ValueError):
    """No built-in profile of that name."""

    code = "unknown_profile"


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """One printer model family on one kind of media."""

    name: str
    protocol: Protocol
    media: str
    dpi: int
    width_mm: float
    length_mm: float | None  # None: endless roll
    width_dots: int
    length_dots: int | None
    # Head dots per image dot, each way: 2 for an ESC/POS badge sent at half density
    # (GS v 0 quadruple mode: a quarter of the bytes, for slow serial links).
    magnify: int = 1

    @property
    def endless(self) -> bool:
        return self.length_dots is None

    def line(self) -> str:
        """``NAME PROTOCOL MEDIA DPI``, as ``bramka printer profiles`` lists it."""
        return f"{self.name} {self.protocol} {self.media} {self.dpi}"


def _dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / MM_PER_INCH)


def _zpl(name: str, media: str, dpi: int, width_in: float, length_in: float) -> PrinterProfile:
    width_mm, length_mm = width_in * MM_PER_INCH, length_in * MM_PER_INCH
    return PrinterProfile(
        name, "zpl", media, dpi, width_mm, length_mm, _dots(width_mm, dpi), _dots(length_mm, dpi)
    )


def _cups(name: str, media: str, width_mm: float, length_mm: float) -> PrinterProfile:
    dpi = 300  # the PDF's image resolution; the printer's driver scales to its head
    return PrinterProfile(
        name, "cups", media, dpi, width_mm, length_mm, _dots(width_mm, dpi), _dots(length_mm, dpi)
    )


# Brother QL at 300 dpi: the 62 mm roll prints 696 dots of the head's 720 (Brother's
# raster reference, "Print area"); a 62 x 100 mm die-cut label 696 x 1109 dots.
_PROFILES = [
    PrinterProfile("escpos-80", "escpos", "80mm-receipt", 203, 80, None, 576, None),
    PrinterProfile("escpos-58", "escpos", "58mm-receipt", 203, 58, None, 384, None),
    PrinterProfile("ql-62", "ql", "62mm-endless", 300, 62, None, 696, None),
    PrinterProfile("ql-62x100", "ql", "62x100mm-diecut", 300, 62, 100, 696, 1109),
    _zpl("zpl-4x3-203", "4x3in-label", 203, 4, 3),
    _zpl("zpl-4x3-300", "4x3in-label", 300, 4, 3),
    _zpl("zpl-4x6-203", "4x6in-label", 203, 4, 6),
    _zpl("zpl-4x6-300", "4x6in-label", 300, 4, 6),
    _cups("cups-62x100", "62x100mm", 62, 100),
    _cups("cups-4x6", "4x6in", 4 * MM_PER_INCH, 6 * MM_PER_INCH),
    _cups("cups-a6", "a6", 105, 148),
]
PROFILES: dict[str, PrinterProfile] = {p.name: p for p in _PROFILES}


def half_density(profile: PrinterProfile) -> PrinterProfile:
    """``profile`` (ESC/POS) rendered at half the head's resolution and printed with every
    dot doubled each way: the same badge size in a quarter of the bytes. A 72 mm badge
    at 203 dpi is about 55 KB, 5 s on a 115 200-baud serial line; at half density it is
    well under 2 s. Other protocols have their own compression and are returned as is."""
    if profile.protocol != "escpos" or profile.magnify != 1:
        return profile
    return replace(profile, dpi=profile.dpi // 2, width_dots=profile.width_dots // 2,
                   magnify=2)


def get_profile(name: str) -> PrinterProfile:
    """The built-in profile ``name``; :class:`UnknownProfile` names the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise UnknownProfile(f"unknown printer profile {name!r} (known: {known})") from None
