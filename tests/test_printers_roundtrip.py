"""Every protocol, end to end over real TCP: render -> encode -> virtual printer -> PNG.

The page the virtual printer decoded is read by the kiosk's own QR decoders
(``[scanner] decoder``: zxing-cpp and zbar) and must give the token back; the
name's pixels must be exactly where the layout put them (no OCR: the rows of the
printed label are compared with the name block the renderer drew), and the label
must have the profile's size.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageChops

from bramka.config import BadgeSettings, PrinterSettings
from kiosk.scanner.decoders import DECODER_NAMES, make_decoder
from printers.backends import make_printer
from printers.jobs import BadgeEncoder
from printers.label import PlacedBadge
from printers.layout import BadgeData
from printers.profiles import PrinterProfile, get_profile, half_density
from printers.virtual_server import make_virtual
from sync import token as tokens

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PROFILES = [
    "escpos-80",
    "escpos-80@half",  # half density (a serial link): every image dot printed 2 x 2
    "ql-62",
    "ql-62x100",
    "zpl-4x3-203",
    "zpl-4x3-300",
    "zpl-4x6-203",
    "zpl-4x6-300",
]
BADGE = BadgeData(
    "Łukasz Źdźbło-Żółkiewski",
    "Miejski Ośrodek Pomocy Społecznej w Krakowie",
    "speaker",
    tokens.issue(KEY, 7, 1001, revision=1),
    "Małopolski Kongres Polityki Społecznej",
    "12–14.05.2025",
)


@pytest.fixture(scope="module", params=PROFILES)
def printed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, PlacedBadge, BadgeEncoder, Image.Image]]:
    name, _, density = request.param.partition("@")
    settings = PrinterSettings(backend="virtual", profile=name, timeout_seconds=5,
                               raster_density=density or "full")
    encoder = BadgeEncoder.for_settings(settings, BadgeSettings())
    assert encoder.profile == profile_of(request.param)
    placed = encoder.place(BADGE)
    with make_virtual(get_profile(name), tmp_path_factory.mktemp(name)) as virtual:
        with make_printer(settings.model_copy(update={"port": virtual.port})) as printer:
            printer.send(encoder.encode_image(placed.label))
        assert virtual.wait_for_pages(1, timeout=30)
        page = Image.open(virtual.pages[0])
        page.load()
    yield request.param, placed, encoder, page


def profile_of(param: str) -> PrinterProfile:
    name, _, density = param.partition("@")
    return half_density(get_profile(name)) if density == "half" else get_profile(name)


def on_paper(image: Image.Image, magnify: int) -> Image.Image:
    """``image`` as the head prints it: each dot ``magnify`` x ``magnify`` dots."""
    return image.resize((image.width * magnify, image.height * magnify),
                        Image.Resampling.NEAREST)


@pytest.mark.parametrize("decoder_name", DECODER_NAMES)
def test_the_printed_label_scans_back_to_the_token(
    printed: tuple[str, PlacedBadge, BadgeEncoder, Image.Image], decoder_name: str
) -> None:
    _, _, _, page = printed
    found = [c.text for c in make_decoder(decoder_name).decode(np.asarray(page.convert("L")))]
    assert found == [BADGE.token]


def test_the_label_has_the_profiles_size(
    printed: tuple[str, PlacedBadge, BadgeEncoder, Image.Image],
) -> None:
    name, placed, _, page = printed
    profile = profile_of(name)
    assert page.width == profile.width_dots * profile.magnify == get_profile(
        name.partition("@")[0]).width_dots
    if profile.length_dots is not None and profile.protocol != "escpos":
        assert page.height == profile.length_dots
    label = on_paper(placed.label.convert("L"), profile.magnify)
    printed_area = page.convert("L").crop((0, 0, label.width, label.height))
    assert ImageChops.difference(printed_area, label).getbbox() is None


def test_the_name_is_where_the_layout_put_it(
    printed: tuple[str, PlacedBadge, BadgeEncoder, Image.Image],
) -> None:
    """The name block comes first: its rows on paper are the renderer's name block, and
    the margin above it is blank paper."""
    param, placed, encoder, page = printed
    magnify = profile_of(param).magnify
    renderer = encoder.renderer.renderer(placed.scale)
    name = renderer.name_block(BADGE.name)
    assert name is not None
    top = (placed.top + renderer.top_margin) * magnify
    grey = page.convert("L")
    drawn = on_paper(name.convert("1", dither=Image.Dither.NONE).convert("L"), magnify)
    printed_name = grey.crop((0, top, page.width, top + drawn.height))
    assert ImageChops.difference(printed_name, drawn).getbbox() is None
    ink = np.asarray(printed_name) < 128
    assert ink.sum() > 0.03 * ink.size  # the name really is ink, not a blank match
    assert (np.asarray(grey.crop((0, 0, page.width, top))) == 255).all()
