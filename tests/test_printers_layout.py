"""Badge layout: size, fields, wrapping, role markers, Polish letters, the QR's geometry."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import segno
import zxingcpp
from PIL import Image, ImageChops, ImageDraw

from bramka.config import BadgeSettings
from printers.layout import (
    QUIET_ZONE_MODULES,
    SIDE_MARGIN,
    BadgeData,
    BadgeRenderer,
    format_event_dates,
    qr_image,
    render_badge,
)
from printers.roles import ROLES, role_marker

TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
POLISH = "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ"


def badge(**changes: str) -> BadgeData:
    base = {
        "name": "Katarzyna Cecuga-Nowak",
        "institution": "Miejski Ośrodek Pomocy Społecznej w Krakowie",
        "role": "speaker",
        "token": TOKEN,
        "event_name": "Małopolski Kongres Polityki Społecznej",
        "event_dates": "12–14.05.2025",
    }
    base.update(changes)
    return BadgeData(**base)


def black(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")) < 128


@pytest.mark.parametrize("width", [384, 576])
def test_badge_is_one_bit_paper_wide_and_scans(width: int) -> None:
    image = render_badge(badge(), BadgeSettings(), width)
    assert image.mode == "1"
    assert image.width == width
    assert 300 < image.height < 1400
    assert [r.text for r in zxingcpp.read_barcodes(image.convert("L"))] == [TOKEN]


def test_unknown_paper_width_is_refused() -> None:
    with pytest.raises(ValueError, match="paper width"):
        BadgeRenderer(BadgeSettings(), 500)


@pytest.mark.parametrize("width", [384, 576])
def test_nothing_is_printed_in_the_side_margins(width: int) -> None:
    long = badge(
        name="Aleksandra Konstantynopolitańczykiewiczówna-Szczebrzeszyńska",
        institution="Powiatowe Centrum Pomocy Rodzinie " * 6,
        role="participant",
    )
    pixels = black(render_badge(long, BadgeSettings(), width))
    assert not pixels[:, : SIDE_MARGIN - 1].any()
    assert not pixels[:, width - SIDE_MARGIN + 1 :].any()


def test_long_double_barrelled_name_wraps_after_the_hyphen_only_when_needed() -> None:
    renderer = BadgeRenderer(BadgeSettings(), 576)
    _, lines = renderer.fit_text("Katarzyna Cecuga-Nowak", 64, 35, 3, bold=True)
    assert lines == ["Katarzyna", "Cecuga-Nowak"]
    _, lines = renderer.fit_text("Źdźbło Łęcka-Żółkiewska-Ćwiąkalska", 64, 35, 3, bold=True)
    assert len(lines) == 3 and lines[1].endswith("-")


def test_one_letter_words_do_not_end_a_line() -> None:
    renderer = BadgeRenderer(BadgeSettings(), 384)
    _, lines = renderer.fit_text("Miejski Ośrodek Pomocy Społecznej w Krakowie", 30, 21, 3, False)
    assert all(not line.endswith(" w") for line in lines)
    assert any("w\u00a0Krakowie" in line for line in lines)


def test_an_overlong_institution_is_ellipsized_not_overflowing() -> None:
    renderer = BadgeRenderer(BadgeSettings(), 384)
    font, lines = renderer.fit_text("Ośrodek " * 40, 30, 21, 3, bold=False)
    assert len(lines) == 3 and lines[-1].endswith("…")
    assert all(font.getlength(line) <= renderer.content_width for line in lines)


def test_fields_come_from_settings() -> None:
    full = render_badge(badge(), BadgeSettings(), 576)
    only_qr = render_badge(badge(), BadgeSettings(fields=["qr"]), 576)
    assert only_qr.height < full.height / 2
    assert [r.text for r in zxingcpp.read_barcodes(only_qr.convert("L"))] == [TOKEN]
    no_qr = render_badge(badge(), BadgeSettings(fields=["name", "role"]), 576)
    assert zxingcpp.read_barcodes(no_qr.convert("L")) == []


def test_every_role_has_a_distinct_black_and_white_marker() -> None:
    renderer = BadgeRenderer(BadgeSettings(), 576)
    bands = {key: black(renderer.role_block(key)) for key in ROLES}
    ink = {key: band.mean() for key, band in bands.items()}
    assert ink["speaker"] > 0.5 and ink["guest"] > 0.5  # solid bands
    assert ink["participant"] < 0.35 and ink["press"] < 0.35
    shapes = {key: band.tobytes() for key, band in bands.items()}
    assert len(set(shapes.values())) == len(ROLES)
    assert role_marker("speaker").label == "PRELEGENT / SPEAKER"
    assert role_marker("Guest of honour").key == "guest"
    with pytest.raises(ValueError, match="unknown role"):
        role_marker("vip")


def test_polish_letters_have_real_glyphs() -> None:
    renderer = BadgeRenderer(BadgeSettings(), 576)
    font = renderer.font(64, bold=True)

    def glyph(char: str) -> np.ndarray:
        canvas = Image.new("L", (120, 120), 0)
        ImageDraw.Draw(canvas).text((20, 10), char, font=font, fill=255)
        return np.asarray(canvas)

    tofu = glyph("漢")  # DejaVu has no CJK: this draws the missing-glyph box
    assert tofu.any()
    for letter in POLISH:
        drawn = glyph(letter)
        assert drawn.any(), letter
        assert not np.array_equal(drawn, tofu), letter
    base = str.maketrans(POLISH, "acelnoszzACELNOSZZ")
    with_marks = renderer.name_block("Zażółć Gęślą-Jaźń")
    without = renderer.name_block("Zażółć Gęślą-Jaźń".translate(base))
    assert with_marks is not None and without is not None
    assert ImageChops.difference(with_marks, without).getbbox() is not None


@pytest.mark.parametrize("module", [4, 6, 9])
def test_qr_has_its_module_size_and_a_full_quiet_zone(module: int) -> None:
    code = segno.make(TOKEN, error="m", boost_error=False)
    assert code.mode == "alphanumeric" and code.error == "M"
    image = qr_image(TOKEN, module)
    modules = len(code.matrix) + 2 * QUIET_ZONE_MODULES
    assert image.size == (modules * module, modules * module)
    pixels = black(image)
    zone = QUIET_ZONE_MODULES * module
    assert not pixels[:zone].any() and not pixels[-zone:].any()
    assert not pixels[:, :zone].any() and not pixels[:, -zone:].any()
    assert pixels[zone : zone + module, zone : zone + module].all()  # finder corner module


def test_quiet_zone_stays_clear_on_the_badge() -> None:
    settings = BadgeSettings(qr_module_dots=6)
    image = render_badge(badge(), settings, 576)
    pixels = black(image)
    code_side = (len(segno.make(TOKEN, error="m").matrix)) * 6
    rows = np.where(pixels.any(axis=1))[0]
    # the QR is the last block: find its dark area and check the 24-dot ring around it
    qr_rows = rows[rows > image.height - code_side - 24 * 2 - 16]
    top, bottom = qr_rows.min(), qr_rows.max()
    cols = np.where(pixels[top : bottom + 1].any(axis=0))[0]
    left, right = cols.min(), cols.max()
    assert (bottom - top + 1, right - left + 1) == (code_side, code_side)
    ring = pixels[top - 24 : bottom + 25, left - 24 : right + 25].copy()
    ring[24:-24, 24:-24] = False
    assert not ring.any()


def test_event_dates_in_polish_style() -> None:
    assert format_event_dates(date(2025, 5, 12), date(2025, 5, 14)) == "12–14.05.2025"
    assert format_event_dates(date(2025, 5, 30), date(2025, 6, 1)) == "30.05–1.06.2025"
    assert format_event_dates(date(2025, 5, 12), date(2025, 5, 12)) == "12.05.2025"
    assert format_event_dates(date(2025, 12, 31), date(2026, 1, 2)) == "31.12.2025–2.01.2026"


def test_badge_data_round_trips_through_a_dict() -> None:
    data = badge(name="Łukasz Żółć")
    assert BadgeData.from_dict(data.to_dict()) == data
    assert BadgeData.from_dict({"name": "X", "token": "T", "role": None}).role == ""
