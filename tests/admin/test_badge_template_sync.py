"""The badge template travels with the roster (protocol 3): a change moves the cursor, the
kiosk downloads each image once by its hash, an idle poll carries nothing, and a kiosk of
protocol 2 is told to update. Real HTTP on 127.0.0.1, SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from admin_fixtures import make_event
from PIL import Image
from support import served as serve_app
from test_sync import enroll
from test_sync import event as event  # noqa: F401  (the fixture)

from admin.queries import badge_templates as q_badge
from kiosk import badge_store
from sync.badge_template import BadgeTemplate, check_image, template_hash
from sync.wire import BASE_PATH, PROTOCOL


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 120), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def counted(app: Any) -> Iterator[tuple[str, Counter]]:
    """The admin over HTTP, counting the sync paths it serves."""
    paths: Counter = Counter()
    inner = app.wsgi_app

    def counting(environ: dict, start_response: Callable) -> Any:
        paths[environ["PATH_INFO"].removeprefix(BASE_PATH)] += 1
        return inner(environ, start_response)

    app.wsgi_app = counting
    try:
        with serve_app(app) as url:
            yield url, paths
    finally:
        app.wsgi_app = inner


def save(engine: Any, event_id: int, logo: bytes | None, **fields: Any) -> BadgeTemplate:
    with engine.begin() as conn:
        ref = None
        if logo is not None:
            ref = check_image(logo)
            q_badge.put_image(conn, event_id, ref, logo)
        template = BadgeTemplate(logo=ref, **fields)
        q_badge.save_template(conn, event_id, template)
    return template


def image_requests(paths: Counter) -> int:
    return sum(n for path, n in paths.items() if path.startswith("/badge-images/"))


def test_a_template_change_reaches_the_kiosk_once_by_hash(engine, counted, event, tmp_path):
    url, paths = counted
    kiosk = enroll(engine, url, event["id"], tmp_path)
    try:
        assert kiosk.client.contact().roster_applied
        assert badge_store.current_hash(kiosk.store.reader.db) is None  # the default badge

        logo = png((0, 0, 0))
        template = save(engine, event["id"], logo, fields=("logo", "name", "role", "qr"),
                        role_colours={"speaker": "#0055aa"})
        assert kiosk.client.contact().roster_applied
        stored = badge_store.load(kiosk.store.reader.db)
        assert stored is not None and stored.sha256 == template_hash(template)
        assert stored.images == {check_image(logo).sha256: logo}
        assert image_requests(paths) == 1

        rosters = paths["/roster"]
        for _ in range(3):  # idle polls: the cursor stays, nothing is downloaded
            assert not kiosk.client.contact().roster_applied
        assert paths["/roster"] == rosters + 3 and image_requests(paths) == 1

        # Another colour, the same logo: a new template, no image download.
        recoloured = save(engine, event["id"], logo, fields=("logo", "name", "role", "qr"),
                          role_colours={"speaker": "#aa0000"})
        assert kiosk.client.contact().roster_applied
        assert badge_store.current_hash(kiosk.store.reader.db) == template_hash(recoloured)
        assert image_requests(paths) == 1

        # A new logo is fetched once; the old one is dropped on both sides.
        new_logo = png((200, 0, 0))
        save(engine, event["id"], new_logo, fields=("logo", "name", "qr"))
        assert kiosk.client.contact().roster_applied
        stored = badge_store.load(kiosk.store.reader.db)
        assert stored is not None and list(stored.images.values()) == [new_logo]
        assert kiosk.store.reader.db.execute("SELECT count(*) FROM badge_images").fetchone()[0] == 1
        assert image_requests(paths) == 2
        assert not kiosk.client.contact().roster_applied
        assert image_requests(paths) == 2

        # Saving the same template again changes nothing: no new roster version.
        with engine.begin() as conn:
            assert not q_badge.save_template(conn, event["id"], q_badge.get_template(
                conn, event["id"]))
        assert not kiosk.client.contact().roster_applied
    finally:
        kiosk.close()


def refused(request: urllib.request.Request) -> tuple[int, dict[str, Any]]:
    """The admin's status and JSON error body for a request it must refuse."""
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310
    with info.value as error:
        return error.code, json.loads(error.read())


def test_images_are_served_only_to_kiosks_of_the_event(engine, counted, event, tmp_path):
    url, _ = counted
    kiosk = enroll(engine, url, event["id"], tmp_path)
    stranger = enroll(engine, url, make_event(engine)["id"], tmp_path,
                      name="Obcy kiosk")
    try:
        kiosk.client.contact()
        logo = png((10, 20, 30))
        save(engine, event["id"], logo, fields=("logo", "name", "qr"))
        address = f"{url}{BASE_PATH}/badge-images/{check_image(logo).sha256}"
        assert refused(urllib.request.Request(address))[0] == 401  # no token
        request = urllib.request.Request(
            address, headers={"Authorization": f"Bearer {kiosk.client.token}"})
        with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
            assert resp.read() == logo and resp.headers["Content-Type"] == "image/png"
        for token, where in ((stranger.client.token, address),  # another event's kiosk
                             (kiosk.client.token, f"{url}{BASE_PATH}/badge-images/{'0' * 64}")):
            code, body = refused(urllib.request.Request(
                where, headers={"Authorization": f"Bearer {token}"}))
            assert code == 404 and body["error"] == "bad_request"
    finally:
        kiosk.close()
        stranger.close()


@pytest.mark.parametrize("old", [2, 3, 4])
def test_an_older_kiosk_is_told_to_update(engine, counted, event, tmp_path, old):
    """Version 4 had no self-service in the roster (issue 14), version 3 no plan in the
    heartbeat (issue 13), version 2 no badge template."""
    url, _ = counted
    kiosk = enroll(engine, url, event["id"], tmp_path)
    try:
        assert PROTOCOL == 5
        for path, body in (("/roster?cursor=", None),
                           ("/heartbeat", b'{"protocol": %d}' % old)):
            code, answer = refused(urllib.request.Request(
                f"{url}/api/sync/v{old}{path}", data=body, method="POST" if body else "GET",
                headers={"Authorization": f"Bearer {kiosk.client.token}",
                         "Content-Type": "application/json"}))
            assert code == 426
            assert answer["error"] == "protocol_unsupported"
            assert answer["detail"] == {"supported": [5], "requested": old}
            assert "zaktualizuj" in answer["message"]["pl"]
    finally:
        kiosk.close()
