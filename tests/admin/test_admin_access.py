"""Every route needs the right role: walked from the URL map, so a new route is covered."""

from __future__ import annotations

from typing import Any

import pytest
from admin_testkit import Client
from flask import Flask

PUBLIC = {"auth.login", "auth.logout", "auth.set_language", "static"}
# Kiosk machine endpoints authenticate with the kiosk's own token, not a login session.
MACHINE_BLUEPRINTS = ("sync_api.", "sync_versions.")


def _routes(app: Flask) -> list[tuple[str, str, str, Any]]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        args = {a: (1 if rule._converters[a].__class__.__name__ == "IntegerConverter" else "x")
                for a in rule.arguments}
        url = rule.build(args)[1] if args else rule.rule
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url, app.view_functions[rule.endpoint]))
    return out


def _call(client: Client, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.post(url, {})


def test_every_view_declares_its_role(app: Flask) -> None:
    missing = [endpoint for endpoint, _m, _u, view in _routes(app)
               if not hasattr(view, "required_role")]
    assert missing == []
    public = {endpoint for endpoint, _m, _u, view in _routes(app) if view.required_role is None
              and not endpoint.startswith(MACHINE_BLUEPRINTS)}
    assert public <= PUBLIC


def test_anonymous_is_sent_to_login_everywhere(app: Flask, client: Client) -> None:
    checked = 0
    for endpoint, method, url, view in _routes(app):
        if view.required_role is None:
            continue
        resp = _call(client, method, url)
        if resp.status_code == 302:
            assert "/login" in resp.headers["Location"], (endpoint, method, url)
        else:
            assert resp.status_code == 401, (endpoint, method, url, resp.status_code)
        checked += 1
    assert checked > 20


def test_volunteer_gets_no_organizer_route(app: Flask, volunteer: Client) -> None:
    organizer_only = 0
    for endpoint, method, url, view in _routes(app):
        if view.required_role is None:
            continue
        resp = _call(volunteer, method, url)
        if view.required_role == "organizer":
            assert resp.status_code == 403, (endpoint, method, url, resp.status_code)
            organizer_only += 1
        elif view.required_role == "volunteer":
            assert resp.status_code not in (401, 403), (endpoint, method, url)
            if resp.status_code == 302:
                assert "/login" not in resp.headers["Location"], (endpoint, method, url)
    assert organizer_only > 10


def test_organizer_passes_every_role_check(app: Flask, organizer: Client) -> None:
    for endpoint, method, url, view in _routes(app):
        if view.required_role is None or endpoint in ("auth.logout", "auth.user_end_sessions"):
            continue  # both end the organizer's own session
        resp = _call(organizer, method, url)
        assert resp.status_code not in (401, 403), (endpoint, method, url, resp.status_code)


@pytest.mark.parametrize("path", ["/events", "/users"])
def test_post_without_csrf_token_is_refused(organizer: Client, path: str) -> None:
    resp = organizer.raw.post(path, data={"name": "X", "starts_on": "2026-06-15",
                                          "ends_on": "2026-06-15", "username": "abc"})
    assert resp.status_code == 302
    page = organizer.get("/events").get_data(as_text=True)
    assert "X</a>" not in page


def test_json_post_without_csrf_header_is_refused(app: Flask, organizer: Client) -> None:
    resp = organizer.raw.post("/events", json={})
    assert resp.status_code in (302, 400)
