"""The badge designer page: organizer only, a bad form keeps what was typed and uploaded,
the preview is the kiosk's render, the export is what `bramka badge sheets` reads."""

from __future__ import annotations

import io
import json

import numpy as np
from admin_fixtures import make_event
from PIL import Image

from admin.queries import badge_templates as q_badge
from admin.queries import events as q_events
from kiosk.scanner.decoders import make_decoder
from sync.badge_template import MAX_IMAGE_SIDE, check_image


def png(colour: tuple[int, int, int], size: tuple[int, int] = (300, 100)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


FORM = {"width_mm": "", "height_mm": "", "font": "DejaVu Sans", "name_size_pt": "",
        "text_size_pt": "", "logo_height_mm": "15", "funding_height_mm": "12",
        "logo_sha256": "", "funding_sha256": "",
        "fields": ["name", "institution", "role", "qr"]}


def post(organizer, url, **changes):
    data = {**FORM, **changes}
    return organizer.post(url, data=data, content_type="multipart/form-data")


def test_only_organizers_design_badges(engine, volunteer):
    ev = make_event(engine)
    assert volunteer.get(f"/events/{ev['id']}/badge").status_code == 403
    assert volunteer.post(f"/events/{ev['id']}/badge", data=FORM).status_code == 403


def test_saving_a_template_bumps_the_roster_and_a_bad_form_loses_nothing(engine, organizer):
    ev = make_event(engine)
    url = f"/events/{ev['id']}/badge"
    page = organizer.get(url)
    assert page.status_code == 200 and 'id="preview-image"' in page.text
    with engine.connect() as conn:
        version = q_events.people_version(conn, ev["id"])

    logo = png((0, 0, 0))
    bad = post(organizer, url, colour_speaker="niebieski", width_mm="500",
               logo=(io.BytesIO(logo), "logo.png"), fields=["logo", "name", "qr"])
    assert bad.status_code == 400
    assert "Kolory ról" in bad.text and "#rrggbb" in bad.text and "najwyżej 210" in bad.text
    assert 'value="niebieski"' in bad.text and 'value="500"' in bad.text  # as typed
    digest = check_image(logo).sha256
    assert f'name="logo_sha256" value="{digest}"' in bad.text  # the upload is kept
    with engine.connect() as conn:
        assert q_badge.get_template(conn, ev["id"]) is None
        assert q_events.people_version(conn, ev["id"]) == version

    good = post(organizer, url, colour_speaker="#0055AA", logo_sha256=digest,
                fields=["logo", "name", "role", "qr"])
    assert good.status_code == 302
    with engine.connect() as conn:
        saved = q_badge.get_template(conn, ev["id"])
        assert q_events.people_version(conn, ev["id"]) == version + 1
    assert saved is not None and saved.logo is not None and saved.logo.sha256 == digest
    assert saved.role_colours == {"speaker": "#0055aa"}
    assert saved.fields == ("logo", "name", "role", "qr")

    huge = post(organizer, url, logo_sha256=digest, fields=["logo", "name", "qr"],
                logo=(io.BytesIO(png((0, 0, 0), (MAX_IMAGE_SIDE + 1, 10))), "big.png"))
    assert huge.status_code == 400 and "Logo: " in huge.text and "za dużo pikseli" in huge.text
    with engine.connect() as conn:  # the saved logo is still the one printed
        assert q_badge.get_template(conn, ev["id"]).logo.sha256 == digest


def test_the_preview_is_the_kiosk_render_of_the_form_as_it_is(engine, organizer):
    ev = make_event(engine)
    url = f"/events/{ev['id']}/badge/preview.png"
    saved = organizer.get(f"{url}?profile=ql-62x100&role=speaker")
    assert saved.status_code == 200 and saved.mimetype == "image/png"
    default = Image.open(io.BytesIO(saved.data))
    assert default.size == (696, 1109)  # the 62 x 100 mm label at 300 dpi
    answer = post(organizer, url, profile="cups-62x100", role="speaker",
                  colour_speaker="#aa0000")
    assert answer.status_code == 200
    image = Image.open(io.BytesIO(answer.data)).convert("RGB")
    red = np.all(np.asarray(image) == (0xAA, 0, 0), axis=2)
    assert red.sum(axis=1).max() > 0.8 * image.width
    codes = make_decoder("zxing").decode(np.asarray(image.convert("L")))
    assert len(codes) == 1 and codes[0].text.startswith("PODGLAD")
    wrong = post(organizer, url, colour_speaker="red")
    assert wrong.status_code == 400
    assert wrong.get_json()["message"]["en"].startswith("Role colours")
    with engine.connect() as conn:
        assert q_badge.get_template(conn, ev["id"]) is None  # a preview saves nothing


def test_the_export_holds_the_template_and_its_images(engine, organizer):
    ev = make_event(engine)
    logo = png((10, 10, 10))
    assert post(organizer, f"/events/{ev['id']}/badge", fields=["logo", "name", "qr"],
                logo=(io.BytesIO(logo), "l.png")).status_code == 302
    body = json.loads(organizer.get(f"/events/{ev['id']}/badge/template.json").data)
    digest = check_image(logo).sha256
    assert body["template"]["logo"]["sha256"] == digest
    assert list(body["images"]) == [digest]
