"""Brother QL raster bytes: the exact job for a small label, PackBits, the 32-byte status."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from printers.profiles import get_profile
from printers.ql import ql_error
from printers.ql_decode import Page, QlParser
from printers.ql_raster import (
    E1_CUTTER_JAM,
    E1_END_OF_MEDIA,
    E1_NO_MEDIA,
    E2_COVER_OPEN,
    E2_REPLACE_MEDIA,
    INVALIDATE,
    MEDIA_CONTINUOUS,
    MEDIA_DIE_CUT,
    QlStatus,
    QlStatusError,
    encode_label,
    packbits,
    parse_status,
    unpackbits,
)

#: 16 x 4 dots of 4-dot checks on a 62 x 100 mm die-cut label, after the 400 NULs.
#: Each line: the first blank bytes as one run (aa 00: 87, ab 00: 86), then the mirrored
#: checks and the last blank byte as one literal (02 f0 f0 00 / 03 0f 0f 00 00).
SMALL_JOB = bytes.fromhex(
    "1b40"  # ESC @ initialise
    "1b696101"  # ESC i a 1: raster mode
    "1b697a 8e 0b 3e 64 04000000 0000"  # ESC i z: die-cut, 62 mm x 100 mm, 4 lines
    "1b694d40"  # ESC i M: auto cut
    "1b694101"  # ESC i A 1: cut every label
    "1b694b08"  # ESC i K: cut at end
    "1b69640000"  # ESC i d 0: no feed margin on die-cut labels
    "4d02"  # M 2: PackBits
    "670006 aa00 02f0f000"
    "670007 ab00 030f0f0000"
    "670006 aa00 02f0f000"
    "670007 ab00 030f0f0000"
    "1a"  # print, last page
)


def checks() -> Image.Image:
    """16 x 4 dots of 4-dot checks, black first (PIL packs white as 1)."""
    return Image.frombytes("1", (16, 4), bytes.fromhex("0f0ff0f0" * 2))


class Collect:
    def __init__(self) -> None:
        self.pages: list[Page] = []

    def status(self) -> bytes:
        return QlStatus().to_bytes()

    def print_page(self, page: Page) -> bytes:
        self.pages.append(page)
        return b"done"


def test_small_label_is_exactly_these_bytes() -> None:
    job = encode_label(checks(), get_profile("ql-62x100"))
    assert job[:400] == INVALIDATE
    assert job[400:] == SMALL_JOB


def test_an_endless_roll_feeds_35_dots_and_says_continuous() -> None:
    job = encode_label(checks(), get_profile("ql-62"))
    assert bytes.fromhex("1b697a 8e 0a 3e 00 04000000 0000") in job
    assert bytes.fromhex("1b69642300") in job


def test_the_parser_gets_the_picture_back_where_the_head_printed_it() -> None:
    machine = Collect()
    assert QlParser(machine).feed(encode_label(checks(), get_profile("ql-62"))) == b"done"
    (page,) = machine.pages
    assert page.media is not None
    assert (page.media.media_type, page.media.width_mm, page.media.lines) == (
        MEDIA_CONTINUOUS, 62, 4
    )
    burnt = page.image()  # 720 head dots, mirror undone: the label starts at dot 12
    assert burnt.width == 720
    label = burnt.crop((12, 0, 12 + 16, 4)).convert("L")
    assert ImageChops.difference(label, checks().convert("L")).getbbox() is None


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_packbits_round_trips(data: bytes) -> None:
    packed = packbits(data)
    assert unpackbits(packed) == data
    assert len(packed) <= len(data) + (len(data) + 127) // 128


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=2000), max_size=10))
def test_chunk_boundaries_do_not_matter(cuts: list[int]) -> None:
    job = encode_label(checks(), get_profile("ql-62x100"))
    stream = b"\x1biS" + job + job
    points = sorted({c % len(stream) for c in cuts} | {0, len(stream)})
    machine = Collect()
    parser = QlParser(machine)
    replies = b"".join(parser.feed(stream[a:b]) for a, b in zip(points, points[1:], strict=False))
    assert replies == QlStatus().to_bytes() + b"done" * 2
    assert [len(p.lines) for p in machine.pages] == [4, 4]


def test_status_bytes_round_trip() -> None:
    status = QlStatus(E1_CUTTER_JAM, E2_COVER_OPEN, 62, MEDIA_DIE_CUT, 100, 2, 1)
    data = status.to_bytes()
    assert len(data) == 32 and data[:4] == b"\x80\x20B4"
    assert parse_status(data) == status
    with pytest.raises(QlStatusError):
        parse_status(b"\x00" * 32)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (QlStatus(media_width=62, media_type=MEDIA_CONTINUOUS), None),
        (QlStatus(E1_NO_MEDIA, 0, 0, 0, 0), "paper_out"),
        (QlStatus(E1_END_OF_MEDIA, 0, 62, MEDIA_CONTINUOUS), "paper_out"),
        (QlStatus(0, E2_COVER_OPEN, 62, MEDIA_CONTINUOUS), "cover_open"),
        (QlStatus(0, E2_REPLACE_MEDIA, 62, MEDIA_CONTINUOUS), "wrong_media"),
        (QlStatus(media_width=29, media_type=MEDIA_CONTINUOUS), "wrong_media"),
        (QlStatus(media_width=62, media_type=MEDIA_DIE_CUT, media_length=100), "wrong_media"),
        (QlStatus(E1_CUTTER_JAM, 0, 62, MEDIA_CONTINUOUS), "printer_fault"),
    ],
)
def test_status_maps_to_the_kiosk_errors(status: QlStatus, code: str | None) -> None:
    error = ql_error(status, get_profile("ql-62"), "ql")
    assert (error.code if error else None) == code
