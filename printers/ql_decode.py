"""Reading Brother QL raster commands back into labels: the virtual QL's print mechanism.

:class:`QlParser` takes a connection's bytes in chunks of any size and drives a
:class:`QlMachine`: ``ESC i S`` is answered with the machine's 32-byte status,
``ESC i z`` tells it the media the job was made for, raster lines (``g``/``G``,
PackBits when ``M 0x02`` said so, ``Z`` blank) pile up, and a print command
(``0x0C`` or ``0x1A``) hands the page over; what the machine answers (phase
changes, "printing completed" or an error) goes back to the sender. Invalidate
NULs and the mode commands are read and skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from printers.ql_raster import HEAD_DOTS, LINE_BYTES, unpackbits

log = logging.getLogger(__name__)

ESC = 0x1B
_INVERT = bytes(255 - i for i in range(256))
#: ESC i <letter>: bytes after the letter
_ESC_I_LENGTHS = {ord("S"): 0, ord("a"): 1, ord("z"): 10, ord("M"): 1, ord("A"): 1,
                  ord("K"): 1, ord("d"): 2, ord("U"): 15, ord("k"): 1}


@dataclass(frozen=True, slots=True)
class JobMedia:
    """What the job's ``ESC i z`` says it was made for."""

    media_type: int
    width_mm: int
    length_mm: int
    lines: int


@dataclass
class Page:
    media: JobMedia | None = None
    lines: list[bytes] = field(default_factory=list)

    def image(self) -> Image.Image:
        """The lines as the head burnt them (``HEAD_DOTS`` wide, black printed, head dot 0
        at the right: the mirror is undone)."""
        height = max(1, len(self.lines))
        data = b"".join(self.lines) or bytes(LINE_BYTES)
        raw = Image.frombytes("1", (HEAD_DOTS, height), data.translate(_INVERT))
        return raw.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


class QlMachine(Protocol):
    def status(self) -> bytes: ...

    def print_page(self, page: Page) -> bytes: ...


class QlParser:
    def __init__(self, machine: QlMachine) -> None:
        self.machine = machine
        self._buffer = b""
        self._compressed = False
        self._page = Page()

    def close(self) -> None:
        if self._page.lines:
            log.info("virtual QL: connection closed before the print command: not printed")

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        replies = b""
        pos = 0
        buf = self._buffer
        while pos < len(buf):
            used, reply = self._command(buf, pos)
            if used == 0:
                break  # incomplete: wait for more bytes
            pos += used
            replies += reply
        self._buffer = buf[pos:]
        return replies

    def _command(self, buf: bytes, pos: int) -> tuple[int, bytes]:
        """(bytes used, reply) of the command at ``pos``; 0 used when it is not all here."""
        byte = buf[pos]
        if byte == 0x00:
            end = pos
            while end < len(buf) and buf[end] == 0:
                end += 1
            return end - pos, b""
        if byte == ESC:
            return self._escape(buf, pos)
        if byte == ord("M"):
            if pos + 1 >= len(buf):
                return 0, b""
            self._compressed = buf[pos + 1] == 0x02
            return 2, b""
        if byte == ord("Z"):
            self._page.lines.append(bytes(LINE_BYTES))
            return 1, b""
        if byte in (ord("g"), ord("G")):
            if pos + 3 > len(buf):
                return 0, b""
            size = buf[pos + 2] if byte == ord("g") else buf[pos + 1] | buf[pos + 2] << 8
            if pos + 3 + size > len(buf):
                return 0, b""
            data = buf[pos + 3 : pos + 3 + size]
            line = unpackbits(data) if self._compressed else data
            self._page.lines.append(line[:LINE_BYTES].ljust(LINE_BYTES, b"\x00"))
            return 3 + size, b""
        if byte in (0x0C, 0x1A):
            page, self._page = self._page, Page(self._page.media)
            return 1, self.machine.print_page(page)
        log.debug("virtual QL: byte 0x%02x skipped", byte)
        return 1, b""

    def _escape(self, buf: bytes, pos: int) -> tuple[int, bytes]:
        if pos + 2 > len(buf):
            return 0, b""
        if buf[pos + 1] == ord("@"):
            self._page = Page()
            self._compressed = False
            return 2, b""
        if buf[pos + 1] != ord("i"):
            return 2, b""
        if pos + 3 > len(buf):
            return 0, b""
        letter = buf[pos + 2]
        size = _ESC_I_LENGTHS.get(letter, 0)
        if pos + 3 + size > len(buf):
            return 0, b""
        args = buf[pos + 3 : pos + 3 + size]
        if letter == ord("S"):
            return 3, self.machine.status()
        if letter == ord("z"):
            self._page.media = JobMedia(args[1], args[2], args[3],
                                        int.from_bytes(args[4:8], "little"))
        return 3 + size, b""
