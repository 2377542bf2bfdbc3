"""Reading an ESC/POS byte stream back into paper: the virtual printer's print mechanism.

:class:`StreamParser` splits a byte stream (arriving in chunks of any size) into
commands and calls a :class:`PrintMechanism`: raster images (``GS v 0``,
``GS ( L`` / ``GS 8 L`` graphics, ``ESC *`` column images), paper feeds, cuts,
initialisation, and ``DLE EOT`` status requests whose answers go back to the
sender. Other commands are skipped by their length; text bytes are counted, not
drawn (badges are images). :class:`Paper` turns what was printed between two
cuts into one 1-bit image; :class:`PageCollector` is the simplest mechanism (a
healthy printer that hands each cut page to a callback).

Simplifications, stated: a line feed after an ``ESC *`` band advances by the
band's height; 8-dot column images are stretched three times vertically (their
density on a 203 dpi head); the default line spacing is 34 dots (1/6 inch).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

import numpy as np
from PIL import Image

log = logging.getLogger(__name__)

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
LF, CR, HT, FF, CAN, NUL = 0x0A, 0x0D, 0x09, 0x0C, 0x18, 0x00
EOT = 0x04
DEFAULT_LINE_SPACING = 34
_INVERT = bytes(255 - i for i in range(256))

# total length (prefix included) of fixed-length commands we do not act on
_ESC_LENGTHS = {
    ord("!"): 3,
    ord("E"): 3,
    ord("G"): 3,
    ord("-"): 3,
    ord("M"): 3,
    ord("t"): 3,
    ord("{"): 3,
    ord("p"): 5,
    ord("="): 3,
    ord("R"): 3,
    ord("V"): 3,
    ord("c"): 4,
    ord("i"): 2,
    ord("m"): 2,
    ord("U"): 3,
    ord(" "): 3,
    ord("$"): 4,
    ord("\\"): 4,
    ord("L"): 2,
    ord("S"): 2,
    ord("T"): 3,
    ord("W"): 10,
    ord("r"): 3,
    ord("u"): 3,
    ord("v"): 2,
    ord("%"): 3,
    ord("?"): 3,
    ord("<"): 2,
}
_GS_LENGTHS = {
    ord("!"): 3,
    ord("B"): 3,
    ord("H"): 3,
    ord("h"): 3,
    ord("w"): 3,
    ord("f"): 3,
    ord("a"): 3,
    ord("r"): 3,
    ord("L"): 4,
    ord("W"): 4,
    ord("P"): 4,
    ord("I"): 3,
    ord("b"): 3,
    ord("$"): 4,
    ord("\\"): 4,
    ord("^"): 5,
    ord(":"): 2,
    ord("T"): 3,
    ord("Z"): 3,
    ord("x"): 3,
    ord("C"): 3,
    ord("c"): 2,
}


class PrintMechanism(Protocol):
    """What the parser drives: a paper roll with a head and a cutter, and a status port."""

    def initialise(self) -> None: ...

    def raster(self, image: Image.Image, justify: int) -> None: ...

    def feed(self, dots: int) -> None: ...

    def cut(self) -> None: ...

    def status(self, n: int) -> bytes: ...


def raster_to_image(data: bytes, width_bytes: int, height: int) -> Image.Image:
    """Raster bytes (1 = burn) to a PIL ``1`` image where black (0) is printed."""
    return Image.frombytes("1", (width_bytes * 8, height), data.translate(_INVERT))


def _scaled(image: Image.Image, sx: int, sy: int) -> Image.Image:
    if sx == 1 and sy == 1:
        return image
    return image.resize((image.width * sx, image.height * sy), Image.Resampling.NEAREST)


def _column_image(data: bytes, columns: int, dots: int) -> Image.Image:
    """ESC * column data (``dots`` 8 or 24 per column, top bit first) as a ``1`` image."""
    per_column = dots // 8
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8).reshape(columns, per_column), axis=1)
    burn = bits.T.astype(bool)  # rows x columns
    return Image.fromarray(np.where(burn, 0, 255).astype(np.uint8), "L").convert("1")


class StreamParser:
    """Incremental ESC/POS parser for one connection. ``feed`` returns bytes to send back."""

    def __init__(self, mechanism: PrintMechanism) -> None:
        self.mechanism = mechanism
        self._buffer = bytearray()
        self._graphics: tuple[Image.Image, int, int] | None = None
        self._justify = 0
        self._line_spacing = DEFAULT_LINE_SPACING
        self._line_band_height = 0
        self.text_bytes = 0
        self.unknown_commands = 0

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        replies = bytearray()
        pos = 0
        buf = self._buffer
        while pos < len(buf):
            used = self._step(buf, pos, replies)
            if used == 0:
                break
            pos += used
        del buf[:pos]
        return bytes(replies)

    @property
    def pending(self) -> int:
        """Bytes of an incomplete command still waiting for the rest."""
        return len(self._buffer)

    def close(self) -> None:
        """The sender went away: an incomplete command is dropped, never half-printed."""
        if self._buffer:
            log.warning("connection closed inside a command: %d bytes dropped", len(self._buffer))
            self._buffer.clear()

    # -- one command ----------------------------------------------------------------------------

    def _step(self, buf: bytearray, pos: int, replies: bytearray) -> int:
        """Handle the command at ``pos``; return its length, or 0 when it is incomplete."""
        avail = len(buf) - pos
        byte = buf[pos]
        if byte == ESC:
            return self._esc(buf, pos, avail)
        if byte == GS:
            return self._gs(buf, pos, avail)
        if byte == DLE:
            if avail < 3:
                return 0
            if buf[pos + 1] == EOT:
                replies += self.mechanism.status(buf[pos + 2])
                return 3
            if buf[pos + 1] == 0x14:  # DLE DC4 fn m t: real-time requests (pulse, clear buffer)
                return 5 if avail >= 5 else 0
            return 3  # DLE ENQ n and the like
        if byte == FS:
            if avail < 2:
                return 0
            return 2 if buf[pos + 1] in (ord("."), ord("&")) else (3 if avail >= 3 else 0)
        if byte == LF:
            self._line_feed()
            return 1
        if byte in (CR, HT, FF, CAN, NUL):
            return 1
        self.text_bytes += 1
        return 1

    def _line_feed(self) -> None:
        self.mechanism.feed(self._line_band_height or self._line_spacing)
        self._line_band_height = 0

    def _esc(self, buf: bytearray, pos: int, avail: int) -> int:
        if avail < 2:
            return 0
        cmd = buf[pos + 1]
        if cmd == ord("@"):
            self._justify, self._line_spacing, self._graphics = 0, DEFAULT_LINE_SPACING, None
            self.mechanism.initialise()
            return 2
        if cmd == ord("2"):
            self._line_spacing = DEFAULT_LINE_SPACING
            return 2
        if cmd in (ord("3"), ord("a"), ord("d"), ord("J")):
            if avail < 3:
                return 0
            n = buf[pos + 2]
            if cmd == ord("3"):
                self._line_spacing = n
            elif cmd == ord("a"):
                self._justify = n % 48 if n >= 48 else n
            elif cmd == ord("d"):
                self.mechanism.feed(n * self._line_spacing)
            else:
                self.mechanism.feed(n)
            return 3
        if cmd == ord("*"):
            return self._esc_star(buf, pos, avail)
        length = _ESC_LENGTHS.get(cmd)
        if length is None:
            self.unknown_commands += 1
            log.debug("unknown command ESC 0x%02x skipped", cmd)
            return 2
        return length if avail >= length else 0

    def _esc_star(self, buf: bytearray, pos: int, avail: int) -> int:
        if avail < 5:
            return 0
        mode, columns = buf[pos + 2], buf[pos + 3] | buf[pos + 4] << 8
        dots = 24 if mode in (32, 33) else 8
        size = columns * dots // 8
        if avail < 5 + size:
            return 0
        band = _column_image(bytes(buf[pos + 5 : pos + 5 + size]), columns, dots)
        band = _scaled(band, 1 if mode in (1, 33) else 2, 1 if dots == 24 else 3)
        self.mechanism.raster(band, self._justify)
        # the band is printed on the current line; the next LF moves past it
        self.mechanism.feed(-band.height)
        self._line_band_height = max(self._line_band_height, band.height)
        return 5 + size

    def _gs(self, buf: bytearray, pos: int, avail: int) -> int:
        if avail < 2:
            return 0
        cmd = buf[pos + 1]
        if cmd == ord("v"):
            if avail < 8:
                return 0
            mode = buf[pos + 3] % 48 if buf[pos + 3] >= 48 else buf[pos + 3]
            width_bytes = buf[pos + 4] | buf[pos + 5] << 8
            height = buf[pos + 6] | buf[pos + 7] << 8
            size = width_bytes * height
            if avail < 8 + size:
                return 0
            image = raster_to_image(bytes(buf[pos + 8 : pos + 8 + size]), width_bytes, height)
            image = _scaled(image, 2 if mode & 1 else 1, 2 if mode & 2 else 1)
            self.mechanism.raster(image, self._justify)
            return 8 + size
        if cmd in (ord("("), ord("8")):
            return self._gs_graphics(buf, pos, avail)
        if cmd == ord("V"):
            if avail < 3:
                return 0
            mode = buf[pos + 2]
            length = 3 if mode in (0, 1, 48, 49) else 4
            if avail < length:
                return 0
            if length == 4:
                self.mechanism.feed(buf[pos + 3])
            self.mechanism.cut()
            return length
        if cmd == ord("k"):
            return self._gs_barcode(buf, pos, avail)
        length = _GS_LENGTHS.get(cmd)
        if length is None:
            self.unknown_commands += 1
            log.debug("unknown command GS 0x%02x skipped", cmd)
            return 2
        return length if avail >= length else 0

    def _gs_graphics(self, buf: bytearray, pos: int, avail: int) -> int:
        """``GS ( x pL pH ...`` and ``GS 8 L p1 p2 p3 p4 ...``: length-prefixed functions."""
        long_form = buf[pos + 1] == ord("8")
        head = 7 if long_form else 5
        if avail < head:
            return 0
        if long_form:
            size = int.from_bytes(buf[pos + 3 : pos + 7], "little")
        else:
            size = buf[pos + 3] | buf[pos + 4] << 8
        if avail < head + size:
            return 0
        func, body = buf[pos + 2], bytes(buf[pos + head : pos + head + size])
        if func == ord("L") and len(body) >= 2:
            self._graphics_function(body[1], body[2:])
        return head + size

    def _graphics_function(self, fn: int, args: bytes) -> None:
        if fn in (112, 113) and len(args) >= 8:  # store raster graphics in the print buffer
            scale_x, scale_y = args[1], args[2]
            width, height = args[4] | args[5] << 8, args[6] | args[7] << 8
            width_bytes = (width + 7) // 8
            data = args[8 : 8 + width_bytes * height]
            if len(data) == width_bytes * height:
                image = raster_to_image(data, width_bytes, height).crop((0, 0, width, height))
                self._graphics = (image, max(1, scale_x), max(1, scale_y))
        elif fn in (2, 50) and self._graphics is not None:  # print the buffered graphics
            image, scale_x, scale_y = self._graphics
            self.mechanism.raster(_scaled(image, scale_x, scale_y), self._justify)
            self._graphics = None

    def _gs_barcode(self, buf: bytearray, pos: int, avail: int) -> int:
        if avail < 3:
            return 0
        kind = buf[pos + 2]
        if kind <= 6:  # NUL-terminated data
            end = buf.find(b"\x00", pos + 3)
            return 0 if end < 0 else end - pos + 1
        if avail < 4:
            return 0
        length = 4 + buf[pos + 3]
        return length if avail >= length else 0


class Paper:
    """The paper under the head: rasters stack down the page; a cut returns the page."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._bands: list[tuple[int, Image.Image]] = []
        self._y = 0
        self._bottom = 0

    @property
    def blank(self) -> bool:
        return not self._bands

    def raster(self, image: Image.Image, justify: int) -> None:
        if image.width > self.width:
            image = image.crop((0, 0, self.width, image.height))
        x = {1: (self.width - image.width) // 2, 2: self.width - image.width}.get(justify, 0)
        band = Image.new("1", (self.width, image.height), 1)
        band.paste(image, (x, 0))
        self._bands.append((self._y, band))
        self._y += image.height
        self._bottom = max(self._bottom, self._y)

    def feed(self, dots: int) -> None:
        self._y = max(0, self._y + dots)
        self._bottom = max(self._bottom, self._y)

    def cut(self) -> Image.Image | None:
        """The page printed since the last cut (``None`` if nothing was printed on it)."""
        page: Image.Image | None = None
        if self._bands:
            page = Image.new("1", (self.width, max(1, self._bottom)), 1)
            for y, band in self._bands:
                page.paste(band, (0, y))
        self._bands, self._y, self._bottom = [], 0, 0
        return page


class PageCollector:
    """A mechanism that hands every cut page to ``on_page`` and answers status as a
    healthy printer (override :meth:`status` for other answers)."""

    def __init__(self, width: int, on_page: Callable[[Image.Image], None]) -> None:
        self.paper = Paper(width)
        self.on_page = on_page

    def initialise(self) -> None:
        pass

    def raster(self, image: Image.Image, justify: int) -> None:
        self.paper.raster(image, justify)

    def feed(self, dots: int) -> None:
        self.paper.feed(dots)

    def cut(self) -> None:
        page = self.paper.cut()
        if page is not None:
            self.on_page(page)

    def status(self, n: int) -> bytes:
        return b"\x12"


def decode_stream(data: bytes, paper_width: int) -> list[Image.Image]:
    """Every page (between cuts) a printer would produce from ``data``; an uncut tail too."""
    pages: list[Image.Image] = []
    collector = PageCollector(paper_width, pages.append)
    parser = StreamParser(collector)
    parser.feed(data)
    tail = collector.paper.cut()
    if tail is not None:
        pages.append(tail)
    return pages
