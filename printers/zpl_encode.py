"""Badge image -> the ZPL II label format, and the ``~HS`` host status both sides read.

The label is one ``^GF`` graphic field in ASCII form with Zebra's ``:Z64:``
compression (zlib-deflated bitmap, base64, then the CRC-16 of the base64 text,
CRC-16/XMODEM as the ZPL II guide's ZB64 chapter specifies), placed at the home
position of a label ``^PW`` dots wide and ``^LL`` long (from the profile; an
endless roll gets the badge's own length). One format, one copy:

    ^XA^PW812^LL1218^LH0,0^FO0,0^GFA,b,b,r,:Z64:...:CRC^FS^PQ1^XZ

``~HS`` asks for the host status: three ``STX ... ETX CR LF`` strings of comma
separated fields (ZPL II guide, ``~HS``). :func:`parse_host_status` reads the
fields Bramka acts on; :func:`host_status_reply` writes them (the virtual printer).
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass

from PIL import Image

from printers.profiles import PrinterProfile

HOST_STATUS = b"~HS"
CANCEL_ALL = b"~JA"  # drop every format in the printer's buffer
STX, ETX = b"\x02", b"\x03"
ZLIB_LEVEL = 6
_INVERT = bytes(255 - i for i in range(256))


def crc16(data: bytes) -> int:
    """CRC-16/XMODEM (polynomial 0x1021, start 0), as Z64 checks its base64 text."""
    return binascii.crc_hqx(data, 0)


def graphic_field(image: Image.Image) -> bytes:
    """``^GFA,...`` for a 1-bit image (black printed), compressed as ``:Z64:``."""
    bitmap = image.convert("1")
    row_bytes = (bitmap.width + 7) // 8
    raw = bitmap.tobytes().translate(_INVERT)  # PIL packs white as 1; ZPL prints 1
    total = row_bytes * bitmap.height
    text = base64.b64encode(zlib.compress(raw, ZLIB_LEVEL))
    crc = f"{crc16(text):04X}".encode()
    return b"^GFA,%d,%d,%d,:Z64:%s:%s" % (total, total, row_bytes, text, crc)


def encode_label(image: Image.Image, profile: PrinterProfile) -> bytes:
    """The whole job: one format printing ``image`` once on the profile's label."""
    if image.width > profile.width_dots:
        raise ValueError(f"image is {image.width} dots wide, the label {profile.width_dots}")
    length = profile.length_dots or image.height
    return (
        b"^XA^PW%d^LL%d^LH0,0^FO0,0" % (profile.width_dots, length)
        + graphic_field(image)
        + b"^FS^PQ1^XZ"
    )


@dataclass(frozen=True, slots=True)
class HostStatus:
    """The ``~HS`` fields Bramka uses (the rest are settings, not state)."""

    paper_out: bool = False
    pause: bool = False
    label_length: int = 0  # dots
    formats_in_buffer: int = 0
    buffer_full: bool = False
    corrupt_ram: bool = False
    under_temperature: bool = False
    over_temperature: bool = False
    head_up: bool = False
    ribbon_out: bool = False
    labels_remaining: int = 0

    @property
    def state(self) -> str:
        """``ready``, ``paper_out``, ``cover_open`` or ``error``."""
        if self.paper_out:
            return "paper_out"
        if self.head_up:
            return "cover_open"
        if (
            self.ribbon_out
            or self.corrupt_ram
            or self.under_temperature
            or self.over_temperature
            or self.pause
        ):
            return "error"
        return "ready"

    @property
    def detail(self) -> str:
        flags = [
            name
            for name in ("paper_out", "head_up", "ribbon_out", "pause", "corrupt_ram")
            if getattr(self, name)
        ]
        if self.under_temperature or self.over_temperature:
            flags.append("temperature")
        return ", ".join(flags) or "ready"

    @property
    def idle(self) -> bool:
        """Nothing left to print: no format waiting, no label of a batch to go."""
        return self.formats_in_buffer == 0 and self.labels_remaining == 0


class HostStatusError(ValueError):
    """Not a ``~HS`` answer."""


def parse_host_status(data: bytes) -> HostStatus:
    """Read the three strings (``data`` holds at least them; extra bytes are ignored)."""
    strings = []
    rest = data
    for _ in range(3):
        start, end = rest.find(STX), rest.find(ETX)
        if start < 0 or end < start:
            raise HostStatusError(f"incomplete ~HS answer: {data[:80]!r}")
        strings.append(rest[start + 1 : end].decode("ascii", "replace").split(","))
        rest = rest[end + 1 :]
    one, two = strings[0], strings[1]
    if len(one) < 12 or len(two) < 11:
        raise HostStatusError(f"~HS answer has too few fields: {data[:80]!r}")

    def flag(value: str) -> bool:
        return value.strip() == "1"

    return HostStatus(
        paper_out=flag(one[1]),
        pause=flag(one[2]),
        label_length=int(one[3]),
        formats_in_buffer=int(one[4]),
        buffer_full=flag(one[5]),
        corrupt_ram=flag(one[9]),
        under_temperature=flag(one[10]),
        over_temperature=flag(one[11]),
        head_up=flag(two[2]),
        ribbon_out=flag(two[3]),
        labels_remaining=int(two[8]),
    )


def host_status_reply(status: HostStatus) -> bytes:
    """The three strings a printer in ``status`` answers to ``~HS``."""

    def b(flag: bool) -> str:
        return "1" if flag else "0"

    one = (
        f"030,{b(status.paper_out)},{b(status.pause)},{status.label_length:04d},"
        f"{status.formats_in_buffer:03d},{b(status.buffer_full)},0,0,000,"
        f"{b(status.corrupt_ram)},{b(status.under_temperature)},{b(status.over_temperature)}"
    )
    two = (
        f"001,0,{b(status.head_up)},{b(status.ribbon_out)},0,2,6,0,"
        f"{status.labels_remaining:08d},0,000"
    )
    three = "1234,0"
    return b"".join(STX + s.encode() + ETX + b"\r\n" for s in (one, two, three))
