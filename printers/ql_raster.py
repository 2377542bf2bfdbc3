"""Badge image -> Brother QL raster commands, and the 32-byte status both sides read.

Written against Brother's "Raster Command Reference" for the QL-700/800/810W/820NWB:

    400 x NUL          invalidate (clears a half-received job)
    ESC @              initialise
    ESC i a 1          switch to raster mode
    ESC i z ...        print information: media type, width and length in mm, raster lines
    ESC i M 0x40       auto cut;  ESC i A 1: cut after every label
    ESC i K 0x08       cut at end
    ESC i d n1 n2      feed margin in dots (35 on endless rolls, 0 on die-cut labels)
    M 0x02             raster lines are TIFF PackBits compressed
    g 0x00 n DATA      one raster line (n compressed bytes of the head's 90); Z: a blank line
    0x1A               print and feed (the last page)

The head has 720 dots; a 62 mm roll prints 696 of them from dot 12. A raster
line runs from the head's dot 0, which prints at the label's right edge, so the
image is mirrored into it. ``ESC i S`` asks for the status: 32 bytes, decoded by
:func:`parse_status`; the printer also sends them unasked while it prints
(phase changes, "printing completed", "error occurred").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image

from printers.profiles import PrinterProfile

INVALIDATE = b"\x00" * 400
INITIALISE = b"\x1b@"
STATUS_REQUEST = b"\x1biS"
RASTER_MODE = b"\x1bia\x01"
PRINT_INFO = b"\x1biz"
VARIOUS_MODE_AUTO_CUT = b"\x1biM\x40"
CUT_EVERY_LABEL = b"\x1biA\x01"
EXPANDED_CUT_AT_END = b"\x1biK\x08"
MARGIN = b"\x1bid"
COMPRESSION_PACKBITS = b"M\x02"
BLANK_LINE = b"Z"
PRINT_LAST = b"\x1a"

HEAD_DOTS = 720
LINE_BYTES = HEAD_DOTS // 8
ENDLESS_FEED_DOTS = 35
MEDIA_CONTINUOUS, MEDIA_DIE_CUT = 0x0A, 0x0B
#: print-information flags: media type, width and length are valid; printer recovery on
INFO_VALID = 0x02 | 0x04 | 0x08 | 0x80
#: the first printed head dot, by roll width in mm (Brother's print area table)
HEAD_OFFSETS = {62: 12, 29: 6, 38: 12, 50: 12, 54: 0, 12: 29}

STATUS_SIZE = 32
# status type (byte 18)
STATUS_REPLY, PRINTING_COMPLETED, ERROR_OCCURRED, TURNED_OFF = 0x00, 0x01, 0x02, 0x04
NOTIFICATION, PHASE_CHANGE = 0x05, 0x06
PHASE_RECEIVING, PHASE_PRINTING = 0x00, 0x01
# error information 1 (byte 8) and 2 (byte 9)
E1_NO_MEDIA, E1_END_OF_MEDIA, E1_CUTTER_JAM = 0x01, 0x02, 0x04
E1_IN_USE, E1_TURNED_OFF, E1_FAN = 0x10, 0x20, 0x80
E2_REPLACE_MEDIA, E2_EXPANSION_FULL, E2_COMMUNICATION = 0x01, 0x02, 0x04
E2_BUFFER_FULL, E2_COVER_OPEN, E2_OVERHEATING = 0x08, 0x10, 0x20
E2_FEED, E2_SYSTEM = 0x40, 0x80
MODEL_QL_820NWB = 0x41

_INVERT = bytes(255 - i for i in range(256))
_RUN = re.compile(rb"(.)\1{2,127}", re.DOTALL)  # 3 or more: shorter than literal


def packbits(line: bytes) -> bytes:
    """TIFF PackBits: runs of 3 to 128 equal bytes as (1 - n, byte), the rest as literals."""
    out = bytearray()
    start = 0

    def literal(chunk: bytes) -> None:
        for i in range(0, len(chunk), 128):
            part = chunk[i : i + 128]
            out.append(len(part) - 1)
            out.extend(part)

    for run in _RUN.finditer(line):
        if run.start() > start:
            literal(line[start : run.start()])
        out.append(257 - len(run.group()))
        out.append(line[run.start()])
        start = run.end()
    if start < len(line):
        literal(line[start:])
    return bytes(out)


def unpackbits(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(data):
        n = data[i]
        i += 1
        if n < 128:
            out += data[i : i + n + 1]
            i += n + 1
        elif n > 128:
            out += data[i : i + 1] * (257 - n)
            i += 1
    return bytes(out)


def head_offset(profile: PrinterProfile) -> int:
    return HEAD_OFFSETS.get(round(profile.width_mm), (HEAD_DOTS - profile.width_dots) // 2)


def raster_lines(image: Image.Image, profile: PrinterProfile) -> list[bytes]:
    """The image as head lines of 90 bytes (bit 7 of byte 0 is head dot 0, 1 = burn)."""
    if image.width > profile.width_dots:
        raise ValueError(f"image is {image.width} dots wide, the label {profile.width_dots}")
    line = Image.new("1", (HEAD_DOTS, image.height), 1)
    line.paste(image.convert("1").transpose(Image.Transpose.FLIP_LEFT_RIGHT),
               (head_offset(profile) + profile.width_dots - image.width, 0))
    data = line.tobytes().translate(_INVERT)
    return [data[i : i + LINE_BYTES] for i in range(0, len(data), LINE_BYTES)]


def print_information(profile: PrinterProfile, lines: int) -> bytes:
    media = MEDIA_CONTINUOUS if profile.endless else MEDIA_DIE_CUT
    length = 0 if profile.length_mm is None else round(profile.length_mm)
    return (
        PRINT_INFO
        + bytes([INFO_VALID, media, round(profile.width_mm), length])
        + lines.to_bytes(4, "little")
        + b"\x00\x00"
    )


def encode_label(image: Image.Image, profile: PrinterProfile) -> bytes:
    """The whole job for one label (one page, cut after it)."""
    lines = raster_lines(image, profile)
    margin = ENDLESS_FEED_DOTS if profile.endless else 0
    body = bytearray()
    blank = bytes(LINE_BYTES)
    for line in lines:
        if line == blank:
            body += BLANK_LINE
        else:
            packed = packbits(line)
            body += b"g\x00" + bytes([len(packed)]) + packed
    return b"".join(
        [
            INVALIDATE,
            INITIALISE,
            RASTER_MODE,
            print_information(profile, len(lines)),
            VARIOUS_MODE_AUTO_CUT,
            CUT_EVERY_LABEL,
            EXPANDED_CUT_AT_END,
            MARGIN + margin.to_bytes(2, "little"),
            COMPRESSION_PACKBITS,
            bytes(body),
            PRINT_LAST,
        ]
    )


@dataclass(frozen=True, slots=True)
class QlStatus:
    """The fields of the 32-byte status that Bramka acts on."""

    error1: int = 0
    error2: int = 0
    media_width: int = 62  # mm; 0 with no media
    media_type: int = MEDIA_CONTINUOUS  # 0 with no media
    media_length: int = 0  # mm; 0 on an endless roll
    status_type: int = STATUS_REPLY
    phase: int = PHASE_RECEIVING
    model: int = MODEL_QL_820NWB

    @property
    def no_media(self) -> bool:
        return bool(self.error1 & (E1_NO_MEDIA | E1_END_OF_MEDIA)) or self.media_type == 0

    @property
    def state(self) -> str:
        """``ready``, ``paper_out``, ``cover_open``, ``offline`` or ``error``."""
        if self.error2 & E2_COVER_OPEN:
            return "cover_open"
        if self.no_media:
            return "paper_out"
        if self.error1 & E1_TURNED_OFF or self.status_type == TURNED_OFF:
            return "offline"
        if self.error1 or self.error2 or self.status_type == ERROR_OCCURRED:
            return "error"
        return "ready"

    def fits(self, profile: PrinterProfile) -> bool:
        """The media loaded is the profile's (width, endless or die-cut, length)."""
        media = MEDIA_CONTINUOUS if profile.endless else MEDIA_DIE_CUT
        length = 0 if profile.length_mm is None else round(profile.length_mm)
        return (self.media_width, self.media_type, self.media_length) == (
            round(profile.width_mm),
            media,
            length,
        )

    def to_bytes(self) -> bytes:
        data = bytearray(STATUS_SIZE)
        data[0:6] = b"\x80\x20B4" + bytes([self.model]) + b"0"
        data[8], data[9] = self.error1, self.error2
        data[10], data[11] = self.media_width, self.media_type
        data[17], data[18], data[19] = self.media_length, self.status_type, self.phase
        return bytes(data)


class QlStatusError(ValueError):
    """Not a QL status."""


def parse_status(data: bytes) -> QlStatus:
    if len(data) < STATUS_SIZE or data[0] != 0x80 or data[1] != STATUS_SIZE:
        raise QlStatusError(f"not a Brother QL status: {data[:8].hex()}")
    return QlStatus(
        error1=data[8],
        error2=data[9],
        media_width=data[10],
        media_type=data[11],
        media_length=data[17],
        status_type=data[18],
        phase=data[19],
        model=data[4],
    )
