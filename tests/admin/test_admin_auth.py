"""Logging in and out, password hashing, the secret key, accounts (limits: test_admin_limits)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import pytest
from admin_testkit import PASSWORD, Client, make_user
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from admin import create_app
from admin.auth import same_origin_path
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
