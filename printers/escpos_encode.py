"""Badge image -> the exact ESC/POS byte stream, and every command byte Bramka uses.

All bytes come from python-escpos (``Dummy`` collects what its ``Escpos`` base
class would send): ``ESC @`` (initialise), the image as ``GS v 0`` raster bands,
then feed and ``GS V`` (cut). Status queries and the bits of their answers live
here too, so the backends and the virtual printer agree on one definition.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

from escpos.constants import (
    DLE,
    HW_INIT,
    PAPER_FULL_CUT,
    RT_STATUS_ONLINE,
    RT_STATUS_PAPER,
)
from PIL import Image

ImageImpl = Literal["bitImageRaster", "graphics", "bitImageColumn"]

#: rows per raster band: small enough for the receive buffer of cheap 58 mm printers
BAND_HEIGHT = 240

# -- real-time status (DLE EOT n), Epson ESC/POS ------------------------------------------------
EOT = b"\x04"
STATUS_PRINTER = RT_STATUS_ONLINE  # DLE EOT 1: printer status
STATUS_OFFLINE_CAUSE = DLE + EOT + b"\x02"  # DLE EOT 2: offline cause
STATUS_ERROR_CAUSE = DLE + EOT + b"\x03"  # DLE EOT 3: error cause
STATUS_PAPER = RT_STATUS_PAPER  # DLE EOT 4: roll paper sensor
STATUS_QUERIES = (STATUS_PRINTER, STATUS_OFFLINE_CAUSE, STATUS_ERROR_CAUSE, STATUS_PAPER)

STATUS_FIXED = 0x12  # bits 1 and 4 are always set in every DLE EOT answer
PRINTER_OFFLINE = 0x08  # n=1
OFFLINE_COVER_OPEN = 0x04  # n=2
OFFLINE_FEED_BUTTON = 0x08  # n=2
OFFLINE_PAPER_END = 0x20  # n=2: printing stopped because the paper ran out
OFFLINE_ERROR = 0x40  # n=2
ERROR_CUTTER = 0x08  # n=3
ERROR_UNRECOVERABLE = 0x20  # n=3
ERROR_AUTO_RECOVERABLE = 0x40  # n=3
PAPER_NEAR_END = 0x0C  # n=4
PAPER_END = 0x60  # n=4


@dataclass(frozen=True, slots=True)
class StatusBytes:
    """The answers to DLE EOT 1, 2, 3 and 4, as the printer sent them."""

    printer: int
    offline_cause: int
    error_cause: int
    paper: int

    @property
    def state(self) -> str:
        """``ready``, ``paper_out``, ``cover_open``, ``error`` or ``offline``."""
        if self.paper & PAPER_END or self.offline_cause & OFFLINE_PAPER_END:
            return "paper_out"
        if self.offline_cause & OFFLINE_COVER_OPEN:
            return "cover_open"
        if self.offline_cause & OFFLINE_ERROR or self.error_cause & (
            ERROR_CUTTER | ERROR_UNRECOVERABLE | ERROR_AUTO_RECOVERABLE
        ):
            return "error"
        if self.printer & PRINTER_OFFLINE:
            return "offline"
        return "ready"

    @property
    def paper_low(self) -> bool:
        return bool(self.paper & PAPER_NEAR_END) and not self.paper & PAPER_END


def _dummy(paper_width: int, image_width: int | None = None):  # type: ignore[no-untyped-def]
    """A python-escpos ``Dummy`` whose profile knows the paper width (no stdout chatter,
    and ``image()`` refuses a raster wider than the paper). ``image_width``: the
    paper's width in image dots (half of it for an image printed at low density)."""
    from escpos.capabilities import Profile, get_profile
    from escpos.printer.dummy import Dummy

    default = get_profile("default")
    profile = Profile(features=dict(default.features))
    data = copy.deepcopy(default.profile_data)
    mm = 72 if paper_width == 576 else 48
    data["media"] = {"dpi": 203, "width": {"mm": mm, "pixels": image_width or paper_width}}
    profile.profile_data = data  # instance attribute: the shared profile class stays untouched
    return Dummy(profile=profile)


def encode_image(
    image: Image.Image,
    paper_width: int,
    *,
    impl: ImageImpl = "bitImageRaster",
    cut: bool = True,
    band_height: int = BAND_HEIGHT,
    magnify: int = 1,
) -> bytes:
    """The ESC/POS stream that prints ``image`` (1-bit, black = printed) and cuts.

    ``impl`` chooses python-escpos' image command: ``bitImageRaster`` (``GS v 0``,
    the default and what every badge uses), ``graphics`` (``GS ( L``) or
    ``bitImageColumn`` (``ESC *``), for printers that lack ``GS v 0``. ``magnify=2``
    prints every image dot as 2 x 2 head dots (python-escpos' low density both ways:
    ``GS v 0`` mode 3), for an image rendered at half the head's resolution.
    """
    if magnify not in (1, 2):
        raise ValueError(f"magnify is 1 or 2, not {magnify}")
    width = paper_width // magnify  # the paper's width in image dots
    if image.width > width:
        raise ValueError(f"image is {image.width} dots wide, paper only {width}")
    printer = _dummy(paper_width, width)
    try:
        printer._raw(HW_INIT)  # python-escpos has no public raw write; _raw is its documented hook
        printer.image(
            image,
            impl=impl,
            fragment_height=band_height,
            center=image.width < width,
            high_density_vertical=magnify == 1,
            high_density_horizontal=magnify == 1,
        )
        if cut:
            printer.cut(mode="FULL", feed=True)
        return printer.output
    finally:
        printer.close()


def cut_stream() -> bytes:
    """Feed and cut: ejects whatever is on the paper (a badge whose job was interrupted)."""
    printer = _dummy(576)
    try:
        printer.cut(mode="FULL", feed=True)
        return printer.output
    finally:
        printer.close()


__all__ = [
    "BAND_HEIGHT",
    "HW_INIT",
    "PAPER_FULL_CUT",
    "STATUS_QUERIES",
    "StatusBytes",
    "cut_stream",
    "encode_image",
]
