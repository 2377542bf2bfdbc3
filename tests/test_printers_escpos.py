"""ESC/POS bytes: the exact stream for a fixed badge, and decoding every image command back.

The expected stream lives in tests/fixtures/badge_576.escpos. A deliberate layout
change regenerates it with ``BRAMKA_REGEN_FIXTURES=1 pytest tests/test_printers_escpos.py``;
the new binary then shows up in review. The stream depends on the DejaVu font file
and FreeType, so the fixture records the font's hash: on a machine with another
font build the comparison is skipped with that reason, except under CI (``CI=true``),
where a skipped comparison would go unnoticed: there it fails.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops
from support import under_ci

from bramka.config import BadgeSettings
from printers.escpos_decode import PageCollector, StreamParser, decode_stream
from printers.escpos_encode import (
    HW_INIT,
    PAPER_FULL_CUT,
    STATUS_QUERIES,
    StatusBytes,
    cut_stream,
    encode_image,
)
from printers.fonts import find_fonts
from printers.layout import BadgeData, render_badge

FIXTURES = Path(__file__).parent / "fixtures"
REGENERATE = "BRAMKA_REGEN_FIXTURES=1 .venv/bin/pytest tests/test_printers_escpos.py"
STREAM = FIXTURES / "badge_576.escpos"
META = FIXTURES / "badge_576.json"
TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
FIXED = BadgeData(
    name="Zażółć Gęślą-Jaźń",
    institution="MOPS Kraków",
    role="speaker",
    token=TOKEN,
    event_name="Małopolski Kongres Polityki Społecznej",
    event_dates="12–14.05.2025",
)


def font_fingerprint() -> str:
    regular, bold = find_fonts()
    digest = hashlib.sha256(regular.read_bytes() + bold.read_bytes()).hexdigest()
    return digest[:16]


def fixed_stream() -> bytes:
    return encode_image(render_badge(FIXED, BadgeSettings(), 576), 576)


def test_fixed_badge_matches_the_stored_stream() -> None:
    stream = fixed_stream()
    if os.environ.get("BRAMKA_REGEN_FIXTURES") == "1":
        FIXTURES.mkdir(exist_ok=True)
        STREAM.write_bytes(stream)
        META.write_text(json.dumps({"font": font_fingerprint(), "bytes": len(stream)}) + "\n")
        pytest.skip(f"regenerated {STREAM.name} ({len(stream)} bytes): review the diff")
    meta = json.loads(META.read_text())
    if meta["font"] != font_fingerprint():
        reason = f"fixture made with font {meta['font']}, this machine has {font_fingerprint()}"
        if under_ci():
            pytest.fail(
                f"{reason}: CI must compare the exact bytes. Install the DejaVu build the "
                f"fixture was made with, or regenerate the fixture on CI's font with "
                f"`{REGENERATE}` and commit tests/fixtures/{STREAM.name} and {META.name}"
            )
        pytest.skip(reason)
    expected = STREAM.read_bytes()
    if stream != expected:
        first = next(
            (i for i, (a, b) in enumerate(zip(stream, expected, strict=False)) if a != b),
            min(len(stream), len(expected)),
        )
        pytest.fail(
            f"ESC/POS stream changed ({len(expected)} -> {len(stream)} bytes, first difference at "
            f"byte {first}). If the layout change is deliberate, regenerate: `{REGENERATE}`"
        )


@pytest.mark.parametrize("ci", ["true", ""])
def test_another_font_build_fails_under_ci_and_skips_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    other_font = tmp_path / "badge_576.json"
    other_font.write_text(json.dumps({"font": "0" * 16, "bytes": 1}))
    monkeypatch.setitem(globals(), "META", other_font)
    monkeypatch.setenv("CI", ci)
    monkeypatch.delenv("BRAMKA_REGEN_FIXTURES", raising=False)
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as outcome:
        test_fixed_badge_matches_the_stored_stream()
    assert "fixture made with font 0000000000000000" in str(outcome.value)
    if ci:
        assert outcome.type is pytest.fail.Exception, "under CI a font mismatch must fail"
        assert "BRAMKA_REGEN_FIXTURES=1" in str(outcome.value)
    else:
        assert outcome.type is pytest.skip.Exception


def test_stream_shape_is_init_raster_bands_feed_cut() -> None:
    stream = fixed_stream()
    assert stream.startswith(HW_INIT + b"\x1dv0\x00" + (72).to_bytes(2, "little"))
    assert stream.endswith(b"\x1bd\x06" + PAPER_FULL_CUT)
    assert stream.count(b"\x1dv0\x00") >= 2  # split into bands for small printer buffers


def test_image_wider_than_the_paper_is_refused() -> None:
    with pytest.raises(ValueError, match="wide"):
        encode_image(Image.new("1", (600, 10), 1), 576)


@pytest.mark.parametrize("impl", ["bitImageRaster", "graphics", "bitImageColumn"])
@pytest.mark.parametrize("width", [384, 576])
def test_each_image_command_decodes_back_to_the_same_picture(impl: str, width: int) -> None:
    image = render_badge(FIXED, BadgeSettings(), width)
    pages = decode_stream(encode_image(image, width, impl=impl), width)  # type: ignore[arg-type]
    assert len(pages) == 1
    printed = pages[0].crop((0, 0, width, image.height))
    assert ImageChops.difference(printed.convert("L"), image.convert("L")).getbbox() is None
    below = pages[0].crop((0, image.height, width, pages[0].height))
    assert below.convert("L").getextrema()[0] == 255  # only the feed before the cut


def test_narrow_image_is_centered() -> None:
    image = Image.new("1", (64, 8), 0)
    page = decode_stream(encode_image(image, 384), 384)[0]
    assert page.convert("L").getbbox() is not None
    inverted = Image.eval(page.convert("L"), lambda v: 255 - v)
    assert inverted.getbbox() == (160, 0, 224, 8)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=50000), max_size=12))
def test_chunk_boundaries_do_not_matter(cuts: list[int]) -> None:
    stream = SMALL_STREAM + SMALL_STREAM
    points = sorted({c % len(stream) for c in cuts} | {0, len(stream)})
    pages: list[Image.Image] = []

    class Echo(PageCollector):
        """Answers each status request with its number, so the order shows."""

        def status(self, n: int) -> bytes:
            return bytes([n])

    parser = StreamParser(Echo(384, pages.append))
    replies = b"".join(parser.feed(stream[a:b]) for a, b in zip(points, points[1:], strict=False))
    assert parser.pending == 0
    assert replies == b"\x01\x02\x03\x04" * 2
    assert [p.tobytes() for p in pages] == [p.tobytes() for p in SMALL_PAGES] * 2


def _small() -> tuple[bytes, list[Image.Image]]:
    image = render_badge(FIXED, BadgeSettings(fields=["name", "qr"]), 384)
    stream = encode_image(image, 384, band_height=100) + b"".join(STATUS_QUERIES)
    return stream, decode_stream(stream, 384)


SMALL_STREAM, SMALL_PAGES = _small()


def test_status_bytes_map_to_states() -> None:
    ready = StatusBytes(0x12, 0x12, 0x12, 0x12)
    assert ready.state == "ready" and not ready.paper_low
    assert StatusBytes(0x1A, 0x32, 0x12, 0x7E).state == "paper_out"
    assert StatusBytes(0x12, 0x12, 0x12, 0x1E).paper_low
    assert StatusBytes(0x1A, 0x16, 0x12, 0x12).state == "cover_open"
    assert StatusBytes(0x1A, 0x52, 0x1A, 0x12).state == "error"
    assert StatusBytes(0x1A, 0x12, 0x12, 0x12).state == "offline"


def test_python_escpos_reads_our_paper_bits_the_same_way() -> None:
    from escpos.constants import RT_MASK_LOWPAPER, RT_MASK_NOPAPER

    assert 0x7E & RT_MASK_NOPAPER == RT_MASK_NOPAPER  # paper end
    assert 0x1E & RT_MASK_LOWPAPER == RT_MASK_LOWPAPER  # near end


def test_cut_stream_ejects_without_printing() -> None:
    assert decode_stream(cut_stream(), 576) == []
    assert cut_stream().endswith(PAPER_FULL_CUT)
