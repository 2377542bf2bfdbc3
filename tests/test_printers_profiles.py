"""Printer profiles in config: chosen by name, checked at start-up, old configs unchanged."""

from __future__ import annotations

import pytest

from bramka.config import BadgeSettings, ConfigError, PrinterSettings, load_settings
from printers.escpos_encode import encode_image
from printers.jobs import BadgeEncoder, profile_for
from printers.label import LabelRenderer
from printers.layout import BadgeData, render_badge
from printers.profiles import PROFILES, get_profile

TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
LONG = BadgeData(
    "Łukasz Źdźbło-Żółkiewski-Ćwiąkała",
    "Miejski Ośrodek Pomocy Społecznej w Krakowie, Dział Pomocy Dziecku i Rodzinie",
    "speaker",
    TOKEN,
    "Małopolski Kongres Polityki Społecznej",
    "12–14.05.2025",
)


def test_an_unknown_profile_stops_start_up_naming_the_key_and_the_choices() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, {"BRAMKA_PRINTER__PROFILE": "ql-63"})
    message = str(caught.value)
    assert "[printer]" in message and "unknown printer profile 'ql-63'" in message
    assert "ql-62x100" in message


def test_a_profile_needs_what_its_protocol_needs() -> None:
    with pytest.raises(ConfigError, match="cups_printer"):
        load_settings(None, {"BRAMKA_PRINTER__PROFILE": "cups-62x100"})
    for label in ("ql-62", "zpl-4x6-203"):
        with pytest.raises(ConfigError, match="not serial"):
            load_settings(None, {"BRAMKA_PRINTER__PROFILE": label,
                                 "BRAMKA_PRINTER__BACKEND": "serial"})
    ok = load_settings(None, {"BRAMKA_PRINTER__PROFILE": "cups-62x100",
                              "BRAMKA_PRINTER__CUPS_PRINTER": "Brother_QL_820NWB"})
    assert ok.printer.profile == "cups-62x100"


@pytest.mark.parametrize(("width", "profile"), [(576, "escpos-80"), (384, "escpos-58")])
def test_without_a_profile_the_escpos_bytes_are_what_they_were(width: int, profile: str) -> None:
    settings = PrinterSettings(paper_width=width)  # a config from before profiles
    assert settings.profile == ""
    assert profile_for(settings).name == profile
    badge = BadgeSettings()
    before = encode_image(render_badge(LONG, badge, width), width)
    assert BadgeEncoder.for_settings(settings, badge).encode(LONG) == before


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_every_profile_gives_a_label_of_its_size_even_for_a_long_badge(name: str) -> None:
    profile = get_profile(name)
    placed = LabelRenderer(profile, BadgeSettings()).place(LONG)
    assert placed.label.width == profile.width_dots
    if profile.length_dots is not None and profile.protocol != "escpos":
        assert placed.label.height == profile.length_dots
        assert placed.badge.height <= profile.length_dots
    assert placed.label.mode == "1"


def test_profiles_line_up_with_the_protocols_published_sizes() -> None:
    assert get_profile("ql-62").line() == "ql-62 ql 62mm-endless 300"
    assert (get_profile("ql-62x100").width_dots, get_profile("ql-62x100").length_dots) == (
        696, 1109)
    assert (get_profile("zpl-4x6-203").width_dots, get_profile("zpl-4x6-203").length_dots) == (
        812, 1218)
    assert get_profile("zpl-4x3-300").width_dots == 1200


SERIAL_BYTES_PER_S = 115_200 / 10  # 8 data bits, a start and a stop bit


@pytest.mark.parametrize(("backend", "density", "magnify"), [
    ("serial", "auto", 2), ("network", "auto", 1), ("usb", "half", 2), ("serial", "full", 1),
])
def test_a_serial_escpos_printer_gets_the_badge_at_half_density(
        backend: str, density: str, magnify: int) -> None:
    settings = PrinterSettings(backend=backend, raster_density=density)  # type: ignore[arg-type]
    profile = profile_for(settings)
    assert profile.magnify == magnify and profile.width_dots * magnify == 576
    data = BadgeEncoder.for_settings(settings, BadgeSettings()).encode(LONG)
    seconds = len(data) / SERIAL_BYTES_PER_S
    if magnify == 2:
        assert seconds < 2.0, f"{len(data)} B: {seconds:.1f} s at 115 200 baud"
        assert b"\x1dv0\x03" in data  # GS v 0, quadruple mode: each dot 2 x 2
    else:
        assert b"\x1dv0\x03" not in data and b"\x1dv0\x00" in data


def test_half_density_is_for_escpos_only() -> None:
    for name in ("ql-62", "zpl-4x6-203", "cups-a6"):
        settings = PrinterSettings(profile=name, raster_density="half",
                                   cups_printer="q" if name.startswith("cups") else "")
        assert profile_for(settings) == get_profile(name)
    with pytest.raises(ValueError, match="magnify"):
        encode_image(render_badge(LONG, BadgeSettings(), 576), 576, magnify=3)
