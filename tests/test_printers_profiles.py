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
