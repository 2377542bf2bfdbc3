"""ZPL bytes: the exact format for a small label, Z64 both ways, and ``~HS`` both ways."""

from __future__ import annotations

import base64
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from printers.profiles import get_profile
from printers.zpl import zpl_error
from printers.zpl_decode import ZplError, ZplParser, decode_graphic
from printers.zpl_encode import (
    HostStatus,
    crc16,
    encode_label,
    graphic_field,
    host_status_reply,
    parse_host_status,
)

#: 16 x 4 dots, 4-dot checks: rows 0xF0 0xF0 / 0x0F 0x0F alternate
SMALL_LABEL = (
    b"^XA^PW812^LL609^LH0,0^FO0,0"
    b"^GFA,8,8,2,:Z64:eJz78IGf/wMQAwAVegP9:D75F"
    b"^FS^PQ1^XZ"
)


def checks() -> Image.Image:
    """16 x 4 dots of 4-dot checks, black first (PIL packs white as 1)."""
    return Image.frombytes("1", (16, 4), bytes.fromhex("0f0ff0f0" * 2))


class Collect:
    def __init__(self) -> None:
        self.labels: list[Image.Image] = []
        self.cancelled = 0

    def host_status(self) -> bytes:
        return host_status_reply(HostStatus(label_length=609))

    def cancel_all(self) -> None:
        self.cancelled += 1

    def format_received(self, label: Image.Image, copies: int) -> None:
        self.labels += [label] * copies


def test_small_label_is_exactly_these_bytes() -> None:
    assert encode_label(checks(), get_profile("zpl-4x3-203")) == SMALL_LABEL


def test_the_z64_field_is_deflated_base64_with_its_xmodem_crc() -> None:
    field = graphic_field(checks()).decode()
    body, crc = field.split(":Z64:")[1].split(":")
    assert zlib.decompress(base64.b64decode(body)) == bytes([0xF0, 0xF0, 0x0F, 0x0F] * 2)
    assert int(crc, 16) == crc16(body.encode())
    assert crc16(b"123456789") == 0x31C3  # the CRC-16/XMODEM check value


def test_a_wrong_crc_is_refused() -> None:
    params = graphic_field(checks()).decode()[3:].replace(":D75F", ":0000")
    with pytest.raises(ZplError, match="CRC"):
        decode_graphic(params)


def test_plain_hex_fields_decode_too() -> None:
    image = decode_graphic("A,8,8,2,F0F00F0FF0F00F0F")
    assert ImageChops.difference(image.convert("L"), checks().convert("L")).getbbox() is None


def test_a_format_becomes_one_label_of_the_format_size() -> None:
    machine = Collect()
    assert ZplParser(machine).feed(SMALL_LABEL) == b""
    (label,) = machine.labels
    assert label.size == (812, 609)
    corner = label.crop((0, 0, 16, 4)).convert("L")
    assert ImageChops.difference(corner, checks().convert("L")).getbbox() is None
    assert label.convert("L").crop((16, 0, 812, 609)).getextrema() == (255, 255)


@settings(max_examples=30, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=10_000), max_size=10))
def test_chunk_boundaries_do_not_matter(cuts: list[int]) -> None:
    stream = b"~HS" + SMALL_LABEL + b"\r\n~HS" + SMALL_LABEL + b"~JA"
    points = sorted({c % len(stream) for c in cuts} | {0, len(stream)})
    machine = Collect()
    parser = ZplParser(machine)
    replies = b"".join(parser.feed(stream[a:b]) for a, b in zip(points, points[1:], strict=False))
    assert replies == machine.host_status() * 2
    assert len(machine.labels) == 2 and machine.cancelled == 1


def test_host_status_round_trips_and_maps_to_errors() -> None:
    profile = get_profile("zpl-4x3-203")
    ready = HostStatus(label_length=609)
    reply = host_status_reply(ready)
    assert reply.count(b"\x02") == 3 and reply.endswith(b"\x03\r\n")
    assert parse_host_status(reply) == ready
    assert zpl_error(ready, profile, "z") is None
    cases = {
        HostStatus(paper_out=True, pause=True, label_length=609): "paper_out",
        HostStatus(head_up=True, pause=True, label_length=609): "cover_open",
        HostStatus(pause=True, label_length=304): "wrong_media",
        HostStatus(pause=True, label_length=609): "printer_fault",
        HostStatus(ribbon_out=True, label_length=609): "printer_fault",
    }
    for status, code in cases.items():
        assert parse_host_status(host_status_reply(status)) == status
        error = zpl_error(status, profile, "z")
        assert error is not None and error.code == code, status
    assert not HostStatus(formats_in_buffer=1).idle
