"""Every route needs the right role. What each role may reach is written out below, in the
test, not read from the decorators under test; a route missing from the table fails."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from admin_testkit import Client
from flask import Flask
from sqlalchemy import Engine, select

from admin.schema import events, users

Access = Literal["public", "kiosk", "volunteer", "organizer"]
PUBLIC: Access = "public"  # anyone, logged in or not
KIOSK: Access = "kiosk"  # machines: their own kiosk token or enrollment code, never a login
VOLUNTEER: Access = "volunteer"  # help-desk volunteers and organizers
ORGANIZER: Access = "organizer"  # organizers only

# (method, rule) -> who may call it. A new route (or a new method on a route) has to be
# added here, by someone deciding who may reach it.
ACCESS: dict[tuple[str, str], Access] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("POST", "/lang/<code>"): PUBLIC,
    # accounts
    ("GET", "/users"): ORGANIZER,
    ("POST", "/users"): ORGANIZER,
    ("POST", "/users/<int:user_id>/role"): ORGANIZER,
    ("POST", "/users/<int:user_id>/sessions/end"): ORGANIZER,
    ("POST", "/users/<int:user_id>/active"): ORGANIZER,
    # events, program, dashboard
    ("GET", "/"): VOLUNTEER,
    ("GET", "/events"): ORGANIZER,
    ("POST", "/events"): ORGANIZER,
    ("GET", "/events/<int:event_id>"): ORGANIZER,
    ("POST", "/events/<int:event_id>"): ORGANIZER,
    ("GET", "/events/<int:event_id>/dashboard"): ORGANIZER,
    ("GET", "/events/<int:event_id>/dashboard.json"): ORGANIZER,
    ("GET", "/events/<int:event_id>/rooms/<int:room_id>/inside"): ORGANIZER,
    ("GET", "/events/<int:event_id>/program"): ORGANIZER,
    ("POST", "/events/<int:event_id>/venues"): ORGANIZER,
    ("POST", "/venues/<int:venue_id>"): ORGANIZER,
    ("POST", "/venues/<int:venue_id>/rooms"): ORGANIZER,
    ("POST", "/rooms/<int:room_id>"): ORGANIZER,
    ("GET", "/events/<int:event_id>/sessions/new"): ORGANIZER,
    ("POST", "/events/<int:event_id>/sessions/new"): ORGANIZER,
    ("GET", "/sessions/<int:session_id>"): ORGANIZER,
    ("POST", "/sessions/<int:session_id>"): ORGANIZER,
    ("GET", "/sessions/<int:session_id>/registrations"): ORGANIZER,
    ("POST", "/sessions/<int:session_id>/registrations"): ORGANIZER,
    # documents
    ("GET", "/events/<int:event_id>/exports"): ORGANIZER,
    ("GET", "/sessions/<int:session_id>/attendance.<fmt>"): ORGANIZER,
    ("GET", "/sessions/<int:session_id>/signin.pdf"): ORGANIZER,
    ("GET", "/people/<int:person_id>/certificate.pdf"): ORGANIZER,
    ("GET", "/events/<int:event_id>/certificates.zip"): ORGANIZER,
    ("POST", "/events/<int:event_id>/certificate-rule"): ORGANIZER,
    ("POST", "/events/<int:event_id>/logo"): ORGANIZER,
    ("POST", "/events/<int:event_id>/certificates/mail"): ORGANIZER,
    ("GET", "/events/<int:event_id>/certificates/jobs/<job_id>"): ORGANIZER,
    ("GET", "/events/<int:event_id>/certificates/jobs/<job_id>.json"): ORGANIZER,
    # the badge designer
    ("GET", "/events/<int:event_id>/badge"): ORGANIZER,
    ("POST", "/events/<int:event_id>/badge"): ORGANIZER,
    ("GET", "/events/<int:event_id>/badge/preview.png"): ORGANIZER,
    ("POST", "/events/<int:event_id>/badge/preview.png"): ORGANIZER,
    ("GET", "/events/<int:event_id>/badge/template.json"): ORGANIZER,
    # import
    ("GET", "/events/<int:event_id>/import"): ORGANIZER,
    ("POST", "/events/<int:event_id>/import"): ORGANIZER,
    ("POST", "/events/<int:event_id>/import/<token>"): ORGANIZER,
    ("GET", "/events/<int:event_id>/import/jobs/<job_id>"): ORGANIZER,
    ("GET", "/events/<int:event_id>/import/jobs/<job_id>.json"): ORGANIZER,
    # invitations
    ("GET", "/events/<int:event_id>/invitations"): ORGANIZER,
    ("POST", "/events/<int:event_id>/invitations"): ORGANIZER,
    ("POST", "/events/<int:event_id>/invitations/details"): ORGANIZER,
    ("GET", "/events/<int:event_id>/invitations/preview"): ORGANIZER,
    ("GET", "/events/<int:event_id>/invitations/preview.png"): ORGANIZER,
    ("GET", "/events/<int:event_id>/invitations/jobs/<job_id>"): ORGANIZER,
    ("GET", "/events/<int:event_id>/invitations/jobs/<job_id>.json"): ORGANIZER,
    ("POST", "/people/<int:person_id>/invite"): ORGANIZER,
    # kiosks, as the organizer manages them
    ("GET", "/events/<int:event_id>/kiosks"): ORGANIZER,
    ("POST", "/events/<int:event_id>/kiosks"): ORGANIZER,
    ("GET", "/kiosks/<kiosk_id>"): ORGANIZER,
    ("POST", "/kiosks/<kiosk_id>/enrollment"): ORGANIZER,
    ("POST", "/kiosks/<kiosk_id>/revoke"): ORGANIZER,
    ("POST", "/kiosks/<kiosk_id>/plan"): ORGANIZER,
    ("POST", "/events/<int:event_id>/self-service"): ORGANIZER,
    # the help desk
    ("GET", "/helpdesk"): VOLUNTEER,
    ("GET", "/events/<int:event_id>/helpdesk"): VOLUNTEER,
    ("GET", "/events/<int:event_id>/helpdesk/search.json"): VOLUNTEER,
    ("GET", "/events/<int:event_id>/walk-in"): VOLUNTEER,
    ("POST", "/events/<int:event_id>/walk-in"): VOLUNTEER,
    ("GET", "/people/<int:person_id>"): VOLUNTEER,
    ("GET", "/people/<int:person_id>/qr.png"): VOLUNTEER,
    ("POST", "/people/<int:person_id>/checkin"): VOLUNTEER,
    ("POST", "/people/<int:person_id>/edit"): VOLUNTEER,
    ("POST", "/people/<int:person_id>/registrations"): VOLUNTEER,
    ("POST", "/people/<int:person_id>/print"): VOLUNTEER,
    ("POST", "/people/<int:person_id>/badge"): VOLUNTEER,
    ("GET", "/people/<int:person_id>/prints.json"): VOLUNTEER,
    # the kiosks' sync API
    ("GET", "/api/sync/v5/openapi.json"): PUBLIC,
    ("POST", "/api/sync/v5/enroll"): KIOSK,
    ("GET", "/api/sync/v5/roster"): KIOSK,
    ("GET", "/api/sync/v5/badge-images/<sha256>"): KIOSK,
    ("POST", "/api/sync/v5/scans"): KIOSK,
    ("POST", "/api/sync/v5/heartbeat"): KIOSK,
    ("GET", "/api/sync/v<int:version>/<path:rest>"): KIOSK,
    ("POST", "/api/sync/v<int:version>/<path:rest>"): KIOSK,
    ("PUT", "/api/sync/v<int:version>/<path:rest>"): KIOSK,
    ("DELETE", "/api/sync/v<int:version>/<path:rest>"): KIOSK,
}
# Both end the organizer's own session, so the organizer's walk calls them last.
ENDS_OWN_SESSION = {("POST", "/logout"), ("POST", "/users/<int:user_id>/sessions/end")}
# The rule's code in the views, for the one check that every view declares one at all.
PUBLIC_ENDPOINTS = {"auth.login", "auth.logout", "auth.set_language", "static"}
MACHINE_BLUEPRINTS = ("sync_api.", "sync_versions.")

Route = tuple[str, str, str]  # method, rule, a URL built from it


def _routes(app: Flask) -> list[Route]:
    out = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        args = {a: (1 if rule._converters[a].__class__.__name__ == "IntegerConverter" else "x")
                for a in rule.arguments}
        url = rule.build(args)[1] if args else rule.rule
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((method, rule.rule, url))
    return out


def _with(app: Flask, access: Access) -> list[Route]:
    return [r for r in _routes(app) if ACCESS.get((r[0], r[1])) == access]


def _call(client: Client, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    if method == "POST":
        return client.post(url, {})
    return client.raw.open(url, method=method)


def _sent_to_login(resp: Any) -> bool:
    if resp.status_code == 401:
        return True
    return resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_every_route_is_in_the_table_and_the_table_has_no_stale_rows(app: Flask) -> None:
    routes = {(method, rule) for method, rule, _url in _routes(app)}
    assert sorted(routes - ACCESS.keys()) == [], "routes nobody decided access for"
    assert sorted(ACCESS.keys() - routes) == [], "rows for routes that are gone"


def test_every_view_declares_its_role(app: Flask) -> None:
    views = {rule.endpoint: app.view_functions[rule.endpoint]
             for rule in app.url_map.iter_rules() if rule.endpoint != "static"}
    assert [e for e, view in views.items() if not hasattr(view, "required_role")] == []
    public = {e for e, view in views.items()
              if view.required_role is None and not e.startswith(MACHINE_BLUEPRINTS)}
    assert public <= PUBLIC_ENDPOINTS


def test_anonymous_is_sent_to_login_from_every_volunteer_and_organizer_route(
    app: Flask, client: Client
) -> None:
    guarded = _with(app, VOLUNTEER) + _with(app, ORGANIZER)
    assert len(guarded) > 50
    wrong = [(m, url, r.status_code) for m, _rule, url in guarded
             if not _sent_to_login(r := _call(client, m, url))]
    assert wrong == []


def test_anonymous_reaches_the_public_routes(app: Flask, client: Client) -> None:
    public = _with(app, PUBLIC)
    assert len(public) == 5
    answers = {(m, url): _call(client, m, url) for m, _rule, url in public}
    wrong = [(m, url, r.status_code) for (m, url), r in answers.items()
             if r.status_code == 403 or r.status_code >= 500
             or (m == "GET" and r.status_code != 200)]
    assert wrong == []
    # The login form's own answer to no password, not a role check:
    assert answers[("POST", "/login")].status_code == 401
    assert 'name="password"' in answers[("POST", "/login")].get_data(as_text=True)


def test_volunteer_is_refused_every_organizer_route(app: Flask, volunteer: Client) -> None:
    organizer_only = _with(app, ORGANIZER)
    assert len(organizer_only) > 40
    wrong = [(m, url, r.status_code) for m, _rule, url in organizer_only
             if (r := _call(volunteer, m, url)).status_code != 403]
    assert wrong == []


def test_volunteer_passes_the_role_check_of_every_volunteer_route(
    app: Flask, volunteer: Client
) -> None:
    allowed = _with(app, VOLUNTEER)
    assert len(allowed) == 14
    wrong = [(m, url, r.status_code) for m, _rule, url in allowed
             if (r := _call(volunteer, m, url)).status_code == 403 or _sent_to_login(r)]
    assert wrong == []


def test_organizer_passes_the_role_check_of_every_route(app: Flask, organizer: Client) -> None:
    routes = [r for r in _with(app, VOLUNTEER) + _with(app, ORGANIZER)
              if (r[0], r[1]) not in ENDS_OWN_SESSION]
    wrong = [(m, url, r.status_code) for m, _rule, url in routes
             if (r := _call(organizer, m, url)).status_code == 403 or _sent_to_login(r)]
    assert wrong == []


def test_a_login_session_is_no_kiosk_credential(app: Flask, organizer: Client) -> None:
    machine = _with(app, KIOSK)
    assert len(machine) == 9
    wrong = [(m, url, r.status_code) for m, _rule, url in machine
             if not 400 <= (r := _call(organizer, m, url)).status_code < 500]
    assert wrong == []
    resp = organizer.get("/api/sync/v5/roster")
    assert (resp.status_code, resp.get_json()["error"]) == (401, "unauthenticated")


# -- CSRF: each refused form is checked for its own effect, and the same form with the token
# shows that effect, so the check above it is not blind.

NEW_EVENT = {"name": "Forum bez tokenu", "starts_on": "2026-06-15", "ends_on": "2026-06-16"}
NEW_USER = {"username": "bez_tokenu", "password": "correct horse battery staple",
            "role": "volunteer", "display_name": "Bez Tokenu"}


def _event_names(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(events.c.name)).scalars())


def _usernames(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(users.c.username)).scalars())


@pytest.mark.parametrize("token", [None, "not-the-sessions-token"], ids=["missing", "wrong"])
def test_event_form_without_the_csrf_token_creates_no_event(
    organizer: Client, engine: Engine, token: str | None
) -> None:
    data = dict(NEW_EVENT, **({"csrf_token": token} if token else {}))
    resp = organizer.raw.post("/events", data=data, headers={"Referer": "http://localhost/events"})
    assert (resp.status_code, resp.headers["Location"]) == (302, "/events")  # back to the form
    assert NEW_EVENT["name"] not in _event_names(engine)

    made = organizer.post("/events", NEW_EVENT)
    assert made.status_code == 302 and made.headers["Location"].startswith("/events/")
    assert _event_names(engine) == [NEW_EVENT["name"]]


@pytest.mark.parametrize("token", [None, "not-the-sessions-token"], ids=["missing", "wrong"])
def test_account_form_without_the_csrf_token_creates_no_account(
    organizer: Client, engine: Engine, token: str | None
) -> None:
    data = dict(NEW_USER, **({"csrf_token": token} if token else {}))
    resp = organizer.raw.post("/users", data=data, headers={"Referer": "http://localhost/users"})
    assert (resp.status_code, resp.headers["Location"]) == (302, "/users")
    assert NEW_USER["username"] not in _usernames(engine)

    assert organizer.post("/users", NEW_USER).status_code == 302
    assert NEW_USER["username"] in _usernames(engine)


def test_logout_without_the_csrf_token_keeps_the_session(organizer: Client) -> None:
    resp = organizer.raw.post("/logout", headers={"Referer": "http://localhost/events"})
    assert (resp.status_code, resp.headers["Location"]) == (302, "/events")
    assert organizer.get("/events").status_code == 200  # still logged in

    assert organizer.post("/logout").status_code == 302
    assert _sent_to_login(organizer.get("/events"))


def test_a_request_asking_for_json_without_the_csrf_header_gets_a_json_400(
    organizer: Client, engine: Engine
) -> None:
    resp = organizer.raw.post("/events", data=NEW_EVENT, headers={"Accept": "application/json"})
    assert resp.status_code == 400
    assert resp.get_json() == {"error": "csrf", "detail": None, "message": {
        "pl": "Formularz wygasł, spróbuj ponownie.", "en": "The form expired, please try again."}}
    assert NEW_EVENT["name"] not in _event_names(engine)

    made = organizer.raw.post("/events", data=NEW_EVENT, headers={
        "Accept": "application/json", "X-CSRF-Token": organizer.csrf()})
    assert made.status_code == 302 and _event_names(engine) == [NEW_EVENT["name"]]
