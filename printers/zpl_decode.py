"""Reading ZPL back into labels: the virtual Zebra's interpreter.

:class:`ZplParser` takes a connection's bytes in chunks of any size, splits
them into ``^``/``~`` commands and drives a :class:`ZplMachine`: ``~HS`` is
answered at once (the reply goes back to the sender), ``~JA`` cancels the
buffered formats, and each ``^XA ... ^XZ`` format becomes one label image:
``^PW`` wide, ``^LL`` long, with every ``^GF`` graphic field (``:Z64:``,
``:B64:`` or plain hex) drawn at its ``^FO`` origin plus ``^LH``. Other commands
are read and ignored (text fields are not drawn: Bramka's badges are graphics).
A Z64/B64 field whose CRC does not match spoils its format, as on a printer.
"""

from __future__ import annotations

import base64
import binascii
import logging
import zlib
from dataclasses import dataclass, field
from typing import Protocol

from PIL import Image

from printers.zpl_encode import crc16

log = logging.getLogger(__name__)

_INVERT = bytes(255 - i for i in range(256))
_IMMEDIATE = (b"~HS", b"~JA", b"^XA", b"^XZ")


class ZplError(ValueError):
    """A command the printer cannot carry out (bad graphic data, say)."""


class ZplMachine(Protocol):
    def host_status(self) -> bytes: ...

    def cancel_all(self) -> None: ...

    def format_received(self, label: Image.Image, copies: int) -> None: ...


@dataclass
class _Format:
    width: int = 0
    length: int = 0
    home: tuple[int, int] = (0, 0)
    origin: tuple[int, int] = (0, 0)
    copies: int = 1
    fields: list[tuple[tuple[int, int], Image.Image]] = field(default_factory=list)
    spoiled: str = ""


def _numbers(params: str, count: int) -> list[int]:
    values = [p.strip() for p in params.split(",")][:count]
    return [int(v) if v.lstrip("-").isdigit() else 0 for v in values] + [0] * (count - len(values))


def decode_graphic(params: str) -> Image.Image:
    """``^GF`` parameters (``A,b,c,d,data``) to a 1-bit image, black printed."""
    parts = params.split(",", 4)
    if len(parts) < 5 or parts[0].strip().upper() != "A":
        raise ZplError(f"only ASCII graphic fields are read, got ^GF{params[:20]}")
    total, row_bytes, data = int(parts[1]), int(parts[3]), parts[4].strip()
    if row_bytes <= 0 or total % row_bytes:
        raise ZplError(f"^GF: {total} bytes is not whole rows of {row_bytes}")
    if data.startswith((":Z64:", ":B64:")):
        body, _, crc = data[5:].partition(":")
        text = body.encode("ascii")
        if crc and int(crc[:4], 16) != crc16(text):
            raise ZplError("^GF: the CRC of the base64 data does not match")
        raw = base64.b64decode(text)
        if data.startswith(":Z64:"):
            raw = zlib.decompress(raw)
    else:
        try:
            raw = binascii.unhexlify("".join(data.split()))
        except binascii.Error as exc:
            raise ZplError(f"^GF: bad hex data ({exc})") from None
    if len(raw) != total:
        raise ZplError(f"^GF: {len(raw)} bytes of data, the field says {total}")
    height = total // row_bytes
    return Image.frombytes("1", (row_bytes * 8, height), raw.translate(_INVERT))


def render_format(fmt: _Format) -> Image.Image:
    """The label one format prints."""
    bottom = max((y + img.height for (_, y), img in fmt.fields), default=1)
    right = max((x + img.width for (x, _), img in fmt.fields), default=1)
    label = Image.new("1", (fmt.width or right, fmt.length or bottom), 1)
    for (x, y), img in fmt.fields:
        label.paste(img, (x, y))
    return label


class ZplParser:
    """One connection's ZPL interpreter."""

    def __init__(self, machine: ZplMachine) -> None:
        self.machine = machine
        self._buffer = b""
        self._format: _Format | None = None

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> bytes:
        self._buffer += data
        replies = b""
        while True:
            start = _next_prefix(self._buffer, 0)
            if start < 0:
                self._buffer = b""
                return replies
            head = self._buffer[start : start + 3].upper()
            if len(head) < 3:
                self._buffer = self._buffer[start:]
                return replies
            if head in _IMMEDIATE:
                self._buffer = self._buffer[start + 3 :]
                replies += self._immediate(head)
                continue
            end = _next_prefix(self._buffer, start + 1)
            if end < 0:  # the parameters may go on in the next chunk
                self._buffer = self._buffer[start:]
                return replies
            params = self._buffer[start + 3 : end].decode("ascii", "replace")
            self._buffer = self._buffer[end:]
            self._command(head[1:].decode("ascii"), params)

    def close(self) -> None:
        if self._format is not None:
            log.info("virtual zebra: connection closed inside a format (no ^XZ): not printed")
            self._format = None

    def _immediate(self, head: bytes) -> bytes:
        if head == b"~HS":
            return self.machine.host_status()
        if head == b"~JA":
            self._format = None
            self.machine.cancel_all()
        elif head == b"^XA":
            self._format = _Format()
        elif self._format is not None:  # ^XZ
            fmt, self._format = self._format, None
            if fmt.spoiled:
                log.warning("virtual zebra: format dropped (%s)", fmt.spoiled)
            else:
                self.machine.format_received(render_format(fmt), max(1, fmt.copies))
        return b""

    def _command(self, code: str, params: str) -> None:
        fmt = self._format
        if fmt is None:
            return  # outside a format only ~ commands act
        if code == "PW":
            fmt.width = _numbers(params, 1)[0]
        elif code == "LL":
            fmt.length = _numbers(params, 1)[0]
        elif code == "LH":
            x, y = _numbers(params, 2)
            fmt.home = (x, y)
        elif code == "FO":
            x, y = _numbers(params, 2)
            fmt.origin = (fmt.home[0] + x, fmt.home[1] + y)
        elif code == "PQ":
            fmt.copies = _numbers(params, 1)[0]
        elif code == "GF":
            try:
                fmt.fields.append((fmt.origin, decode_graphic(params)))
            except (ZplError, ValueError, zlib.error) as exc:
                fmt.spoiled = str(exc)


def _next_prefix(buffer: bytes, start: int) -> int:
    caret, tilde = buffer.find(b"^", start), buffer.find(b"~", start)
    found = [i for i in (caret, tilde) if i >= 0]
    return min(found) if found else -1
