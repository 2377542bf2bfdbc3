"""Badge templates (issue 12 part 3): the model refuses what cannot print, the renderer
prints what the organizer designed, and without a template the badge is as it always was."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bramka.config import BadgeSettings
from kiosk.scanner.decoders import make_decoder
from printers.label import LabelRenderer
from printers.layout import BadgeData, BadgeRenderer
from printers.profiles import get_profile
from sync.badge_template import (
    MAX_IMAGE_BYTES,
    BadgeTemplate,
    TemplateInvalid,
    check_image,
    parse_template,
    template_hash,
)

TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
FIXTURE = Path(__file__).parent / "fixtures" / "badge_default_digests.json"
PEOPLE = [
    BadgeData("Katarzyna Cecuga-Nowak", "Miejski Ośrodek Pomocy Społecznej w Krakowie",
              "speaker", TOKEN, "Małopolski Kongres Polityki Społecznej", "12–14.05.2025"),
    BadgeData("Łukasz Wójcik", "", "participant", TOKEN),
    BadgeData("Żaneta Ćwiąkalska", "GOPS w Gdowie", "guest", TOKEN, "Kongres", "1.06.2025"),
]
BLUE = "#0055aa"


def png(width: int, height: int, colour: tuple[int, int, int] = (0, 0, 0)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def decoded(image: Image.Image) -> list[str]:
    return [c.text for c in make_decoder("zxing").decode(np.asarray(image.convert("L")))]


def with_logo(**changes: object) -> tuple[BadgeTemplate, dict[str, bytes]]:
    logo = png(400, 200)
    ref = check_image(logo)
    template = BadgeTemplate(fields=("logo", "name", "institution", "role", "qr"), logo=ref,
                             role_colours={"speaker": BLUE}, **changes)  # type: ignore[arg-type]
    return template, {ref.sha256: logo}


# -- the model ------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "pl", "en"), [
    ({"role_colours": {"speaker": "blue"}}, "Kolory ról", "#rrggbb"),
    ({"role_colours": {"speaker": "#12345"}}, "Kolory ról", "#rrggbb"),
    ({"role_colours": {"sponsor": "#123456"}}, "Kolory ról", "not a known value"),
    ({"fields": ["name", "qr", "photo"]}, "Pola", "not a known value"),
    ({"fields": ["name", "institution"]}, "kod QR", "the QR code is required"),
    ({"fields": ["name", "qr", "name"]}, "dwa razy", "twice"),
    ({"fields": ["logo", "qr"]}, "wymaga obrazu", "needs its image"),
    ({"width_mm": 20}, "Szerokość: co najmniej 25", "Width: at least 25"),
    ({"height_mm": 400}, "Wysokość: najwyżej 297", "Height: at most 297"),
    ({"name_size_pt": 90}, "Wielkość nazwiska", "Name size: at most 56"),
    ({"font": "Comic Sans MS"}, "Krój pisma", "Font: not a known value"),
    ({"watermark": True}, "nieznane pole", "not a known field"),
])
def test_a_bad_template_is_refused_saying_what_is_wrong(change: dict, pl: str, en: str) -> None:
    with pytest.raises(TemplateInvalid) as info:
        parse_template({**BadgeTemplate().model_dump(), **change})
    assert pl in info.value.pl, info.value.pl
    assert en in info.value.en, info.value.en


def test_colours_are_kept_lower_case_and_the_hash_follows_the_content() -> None:
    a = parse_template({"role_colours": {"speaker": "#00AAFF"}})
    assert a.role_colours == {"speaker": "#00aaff"}
    assert template_hash(a) == template_hash(parse_template(a.model_dump_json()))
    assert template_hash(a) != template_hash(BadgeTemplate())


def test_images_must_be_small_png_or_jpeg() -> None:
    with pytest.raises(TemplateInvalid, match="too large"):
        check_image(b"\x89PNG" + b"\0" * MAX_IMAGE_BYTES)
    with pytest.raises(TemplateInvalid, match="too many pixels"):
        check_image(png(5000, 10, (255, 255, 255)))  # small file, too many pixels a side
    with pytest.raises(TemplateInvalid, match="not a PNG or JPEG"):
        check_image(b"GIF89a not really")
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, format="GIF")
    with pytest.raises(TemplateInvalid, match="as PNG or JPEG"):
        check_image(gif.getvalue())
    jpeg = io.BytesIO()
    Image.new("RGB", (30, 20), (200, 10, 10)).save(jpeg, format="JPEG")
    ref = check_image(jpeg.getvalue())
    assert (ref.media_type, ref.width, ref.height) == ("image/jpeg", 30, 20)
    assert ref.sha256 == hashlib.sha256(jpeg.getvalue()).hexdigest()


# -- the renderer ---------------------------------------------------------------------------


def digests(template: BadgeTemplate | None) -> dict[str, list]:
    out: dict[str, list] = {}
    for name in ("escpos-80", "escpos-58", "ql-62", "ql-62x100", "zpl-4x3-203", "zpl-4x6-300",
                 "cups-a6"):
        renderer = LabelRenderer(get_profile(name), BadgeSettings(), template)
        for i, person in enumerate(PEOPLE):
            image = renderer.render(person)
            out[f"{name}/{i}"] = [image.mode, list(image.size),
                                  hashlib.sha256(image.tobytes()).hexdigest()]
    return out


def test_without_a_template_and_with_the_default_one_the_badge_is_as_before() -> None:
    # Digests of the badges the code before templates printed (made from commit 75f02f1).
    before = json.loads(FIXTURE.read_text())
    assert digests(None) == before
    assert digests(BadgeTemplate()) == before


def test_a_colour_badge_has_the_role_band_in_its_colour_and_the_logo_on_top() -> None:
    template, images = with_logo()
    badge = BadgeRenderer(BadgeSettings(), 708, dpi=300, template=template, images=images,
                          colour=True).render(PEOPLE[0])
    assert badge.mode == "RGB"
    pixels = np.asarray(badge)
    blue = np.all(pixels == (0x00, 0x55, 0xAA), axis=2)
    rows = np.flatnonzero(blue.any(axis=1))
    assert rows.size > 40  # a band, not a stray pixel
    # the band is below the name and above the QR, across the content width
    assert blue.sum(axis=1).max() > 0.9 * badge.width
    black = np.all(pixels < 60, axis=2)
    top_logo = black[: rows[0]].any(axis=1)
    assert top_logo[:60].any()  # the logo's black box starts near the top margin
    assert decoded(badge) == [TOKEN]


def test_on_a_thermal_printer_the_band_keeps_its_shape_and_the_logo_prints_black() -> None:
    template, images = with_logo()
    plain = LabelRenderer(get_profile("ql-62"), BadgeSettings()).render(PEOPLE[0])
    label = LabelRenderer(get_profile("ql-62"), BadgeSettings(), template, images).render(
        PEOPLE[0])
    assert label.mode == "1"
    black = ~np.asarray(label.convert("L")).astype(bool)
    logo_rows = black[:, 300:400].all(axis=1)  # the logo is solid black in its middle
    assert logo_rows[:200].sum() > 100
    assert not (~np.asarray(plain.convert("L")).astype(bool))[:200, 300:400].all(axis=1).any()
    assert decoded(label) == [TOKEN]


def test_the_template_size_on_endless_and_die_cut_media() -> None:
    template = BadgeTemplate(width_mm=50, height_mm=90)
    endless = LabelRenderer(get_profile("ql-62"), BadgeSettings(), template).render(PEOPLE[1])
    assert endless.size == (get_profile("ql-62").width_dots, round(90 / 25.4 * 300))
    black = ~np.asarray(endless.convert("L")).astype(bool)
    columns = np.flatnonzero(black.any(axis=0))
    assert columns.min() > 50 and columns.max() < endless.width - 50  # 50 mm, centred
    assert decoded(endless) == [TOKEN]
    # wider than the media: the layout is scaled to its width, nothing is cut
    wide = LabelRenderer(get_profile("ql-62x100"), BadgeSettings(),
                         BadgeTemplate(width_mm=100)).place(PEOPLE[0])
    assert wide.label.size == (get_profile("ql-62x100").width_dots,
                               get_profile("ql-62x100").length_dots)
    assert decoded(wide.label) == [TOKEN]


def test_a_template_font_and_sizes_change_the_name() -> None:
    serif = BadgeTemplate(font="DejaVu Serif", name_size_pt=30)
    a = LabelRenderer(get_profile("ql-62x100"), BadgeSettings()).render(PEOPLE[1])
    b = LabelRenderer(get_profile("ql-62x100"), BadgeSettings(), serif).render(PEOPLE[1])
    assert a.tobytes() != b.tobytes()
    assert decoded(b) == [TOKEN]


def test_a_missing_image_leaves_the_badge_printable() -> None:
    template, _ = with_logo()
    label = LabelRenderer(get_profile("zpl-4x3-203"), BadgeSettings(), template, {}).render(
        PEOPLE[0])
    assert decoded(label) == [TOKEN]


def test_every_template_font_is_found_and_has_every_polish_letter() -> None:
    from PIL import ImageFont

    from printers.fonts import family_fonts
    from sync.badge_template import FONTS

    for family in FONTS:
        found = family_fonts(family)
        assert found is not None, family  # fonts-dejavu-core and -extra (./run installs them)
        for path in found:
            font = ImageFont.truetype(str(path), 40)
            missing = font.getmask("\uffff").getbbox()  # the "no such glyph" box
            for letter in "ąćęłńóśźżĄĆĘŁŃÓŚŹŻ":
                assert font.getmask(letter).getbbox() != missing, (family, letter)
