"""Logging in and out, password hashing, the secret key, accounts (limits: test_admin_limits)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from admin_testkit import PASSWORD, Client, make_user
from flask import Flask, request
from hypothesis import given
from hypothesis import strategies as st

from admin import create_app
from admin.auth import public, same_origin_path
from admin.queries import users as q_users
from admin.security import hash_password, verify_password
from bramka.config import AdminSettings


def test_password_hash_is_argon2id_and_verifies() -> None:
    stored = hash_password("tajne hasło 123")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "tajne hasło 123")
    assert not verify_password(stored, "tajne haslo 123")
    assert not verify_password("not a hash", "x")


def test_login_and_logout(app: Flask, client: Client) -> None:
    make_user(app, "ola", "organizer")
    resp = client.login("ola")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/events")
    assert client.get("/events").status_code == 200
    client.post("/logout")
    assert client.get("/events").status_code == 302


def test_volunteer_lands_on_help_desk(app: Flask, client: Client) -> None:
    make_user(app, "wojtek", "volunteer")
    resp = client.login("wojtek")
    assert "/helpdesk" in resp.headers["Location"]


def test_unknown_user_and_disabled_user_cannot_log_in(app: Flask, client: Client) -> None:
    assert client.login("nobody").status_code == 401
    uid = make_user(app, "ola", "organizer")
    with app.extensions["bramka_db"].begin() as conn:
        q_users.set_active(conn, uid, False)
    assert client.login("ola").status_code == 401


def test_password_change_ends_other_sessions(app: Flask, organizer: Client) -> None:
    assert organizer.get("/events").status_code == 200
    with app.extensions["bramka_db"].begin() as conn:
        user = q_users.find_by_username(conn, "ola")
        assert user is not None
        q_users.set_password(conn, user["id"], "a brand new password", fast_hash=True)
    assert organizer.get("/events").status_code == 302


@pytest.mark.parametrize("target", [
    "//evil.example/",
    "/\t/evil.example",          # browsers drop the tab: //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/ /evil.example",
    "/\\evil.example",          # read as //evil.example
    "\\\\evil.example",
    "/\u200b/evil.example",      # a format character
    "/\x00/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "evil.example",
    "///evil.example",
    "/events#//evil.example",
    "http:/evil.example",
    "https://[evil.example/",
])
def test_open_redirect_is_refused(app: Flask, client: Client, target: str) -> None:
    make_user(app, "ola", "organizer")
    resp = client.post("/login", {"username": "ola", "password": PASSWORD, "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/events"


def test_redirect_after_login_keeps_a_path_of_this_site(app: Flask, client: Client) -> None:
    make_user(app, "ola", "organizer")
    resp = client.post("/login", {"username": "ola", "password": PASSWORD,
                                  "next": "/events/3/people?q=Kowalska%20Anna&page=2"})
    assert resp.headers["Location"] == "/events/3/people?q=Kowalska%20Anna&page=2"


def test_login_page_sends_the_next_it_was_given_through_the_form(app: Flask,
                                                                  client: Client) -> None:
    # The query string arrives decoded: "/%09/evil.example" is "/\t/evil.example".
    make_user(app, "ola", "organizer")
    page = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert 'value="/\t/evil.example"' in page
    resp = client.post("/login", {"username": "ola", "password": PASSWORD,
                                  "next": "/\t/evil.example"})
    assert resp.headers["Location"] == "/events"


def test_organizer_creates_accounts(app: Flask, organizer: Client) -> None:
    resp = organizer.post("/users", {"username": "ania", "password": "short", "role": "volunteer"})
    assert resp.status_code == 302
    assert "ania" not in organizer.get("/users").get_data(as_text=True)
    organizer.post("/users", {"username": "ania", "password": "long enough pass",
                              "role": "volunteer", "display_name": "Ania Nowak"})
    page = organizer.get("/users").get_data(as_text=True)
    assert "Ania Nowak" in page
    other = Client(app.test_client())
    assert other.login("ania", "long enough pass").status_code == 302


def test_secret_key_generated_once_and_kept(tmp_path: Path) -> None:
    settings = AdminSettings(database_url=f"sqlite:///{tmp_path / 'a.db'}", data_dir=tmp_path)
    first = create_app(settings)
    second = create_app(settings)
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    first.extensions["bramka_db"].dispose()
    second.extensions["bramka_db"].dispose()


def test_language_toggle(app: Flask, client: Client) -> None:
    assert "Zaloguj" in client.get("/login").get_data(as_text=True)
    client.post("/lang/en", {"next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)


@given(st.text(max_size=60))
def test_any_next_that_is_kept_stays_on_this_site(target: str) -> None:
    kept = same_origin_path(target)
    if kept is None:
        return
    assert urljoin("http://admin.test/events/1", kept).startswith("http://admin.test/")
    assert kept.startswith("/") and not kept.startswith("//")
    assert "\\" not in kept and not any(ch.isspace() or ord(ch) < 32 for ch in kept)


def _session_of(app: Flask, client: Client) -> dict[str, Any]:
    cookie = client.raw.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return dict(serializer.loads(cookie.value))


def test_the_session_cookie_carries_no_part_of_the_password_hash(app: Flask,
                                                                 organizer: Client) -> None:
    with app.extensions["bramka_db"].connect() as conn:
        stored = q_users.find_by_username(conn, "ola")
    assert stored is not None
    data = _session_of(app, organizer)
    assert data["user_id"] == stored["id"] and data["sv"] == stored["session_version"]
    flat = repr(data)
    hash_body = stored["password_hash"].rsplit("$", 1)[-1]
    assert not any(hash_body[i:i + 6] in flat for i in range(len(hash_body) - 5))


def logged_in(client: Client) -> bool:
    return "/login" not in client.get("/").headers["Location"]


def test_role_change_and_disabling_end_the_sessions(app: Flask, organizer: Client) -> None:
    uid = make_user(app, "wojtek", "volunteer")
    wojtek = Client(app.test_client())
    assert wojtek.login("wojtek").status_code == 302
    assert organizer.post(f"/users/{uid}/role", {"role": "organizer"}).status_code == 302
    assert not logged_in(wojtek)
    assert wojtek.login("wojtek").status_code == 302
    assert wojtek.get("/events").status_code == 200  # as an organizer now
    organizer.post(f"/users/{uid}/active", {"active": "0"})
    assert not logged_in(wojtek)


def test_log_out_everywhere(app: Flask, organizer: Client) -> None:
    uid = make_user(app, "wojtek", "volunteer")
    phone, desk = Client(app.test_client()), Client(app.test_client())
    assert phone.login("wojtek").status_code == 302 and desk.login("wojtek").status_code == 302
    assert logged_in(phone) and logged_in(desk)
    assert organizer.post(f"/users/{uid}/sessions/end").status_code == 302
    assert not logged_in(phone) and not logged_in(desk)
    assert logged_in(organizer)  # someone else's sessions only
    assert desk.login("wojtek").status_code == 302  # a new login works
    assert logged_in(desk) and not logged_in(phone)


def test_own_role_cannot_be_changed(app: Flask, organizer: Client) -> None:
    with app.extensions["bramka_db"].connect() as conn:
        me = q_users.find_by_username(conn, "ola")
    assert me is not None
    organizer.post(f"/users/{me['id']}/role", {"role": "volunteer"})
    assert organizer.get("/events").status_code == 200


def test_cookies_are_secure_only_when_the_admin_is_served_over_tls(settings: AdminSettings,
                                                                   app: Flask) -> None:
    make_user(app, "ola", "organizer")
    plain = Client(app.test_client()).login("ola")
    assert all("Secure" not in c for c in plain.headers.getlist("Set-Cookie"))
    tls = create_app(settings.model_copy(update={"secure_cookies": True}),
                     {"TESTING": True, "FAST_PASSWORD_HASH": True})
    try:
        client = Client(tls.test_client())
        resp = client.login("ola")
        cookies = resp.headers.getlist("Set-Cookie")
        assert resp.status_code == 302 and len(cookies) == 2
        assert all("; Secure" in c and c.startswith("__Host-") for c in cookies)
    finally:
        tls.extensions["bramka_db"].dispose()


@pytest.mark.parametrize("hops", [0, 1])
def test_forwarded_headers_are_believed_only_behind_a_proxy(settings: AdminSettings,
                                                            hops: int) -> None:
    app = create_app(settings.model_copy(update={"behind_proxy": hops}), {"TESTING": True})
    try:
        seen: dict[str, Any] = {}

        @app.get("/probe")
        @public
        def probe() -> str:
            seen.update(addr=request.remote_addr, secure=request.is_secure, host=request.host)
            return ""

        app.test_client().get("/probe", headers={
            "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "bramka.example.org"})
        if hops:
            assert seen == {"addr": "203.0.113.9", "secure": True, "host": "bramka.example.org"}
        else:
            assert seen == {"addr": "127.0.0.1", "secure": False, "host": "localhost"}
    finally:
        app.extensions["bramka_db"].dispose()


def test_the_configured_language_wins_over_the_browser_until_one_is_picked(
        settings: AdminSettings) -> None:
    """An admin configured in English stays English for a Polish browser (and the other
    way round) until the person presses the language button."""
    for configured, browser, expected, other in (("en", "pl-PL,pl;q=0.9", "Log in", "Zaloguj"),
                                                 ("pl", "en-GB,en;q=0.9", "Zaloguj", "Log in")):
        app = create_app(settings.model_copy(update={"language": configured}))
        try:
            client = Client(app.test_client())
            page = client.raw.get("/login", headers={"Accept-Language": browser})
            html = page.get_data(as_text=True)
            assert expected in html and f'lang="{configured}"' in html
            client.post(f"/lang/{'pl' if configured == 'en' else 'en'}", {"next": "/login"})
            assert other in client.raw.get("/login", headers={
                "Accept-Language": browser}).get_data(as_text=True)
        finally:
            app.extensions["bramka_db"].dispose()


def test_a_non_ascii_csrf_token_is_refused_not_a_server_error(app: Flask, client: Client) -> None:
    client.raw.get("/login")
    resp = client.raw.post("/login", data={"csrf_token": "żółw-ąę", "username": "x",
                                           "password": "y"})
    assert resp.status_code == 302  # refused as any bad token (back to the form), no 500
    json_resp = client.raw.post("/login", data={"csrf_token": "żółw"},
                                headers={"Accept": "application/json"})
    assert json_resp.status_code == 400
    body = json_resp.get_json()  # the wire's WireError shape, words in both languages
    assert body["error"] == "csrf" and body["message"]["pl"].startswith("Formularz wygasł")
    assert body["message"]["en"] and "detail" in body
