"""Logging in and out, password hashing, the rate limit, the secret key, accounts."""

from __future__ import annotations

from pathlib import Path

from admin_testkit import PASSWORD, Client, make_user
from flask import Flask

from admin import create_app
from admin.queries import users as q_users
from admin.security import LoginLimiter, hash_password, verify_password
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


def test_wrong_password_is_refused_and_rate_limited(app: Flask, client: Client) -> None:
    make_user(app, "ola", "organizer")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert client.login("ola", "wrong password").status_code == 401
    resp = client.login("ola", PASSWORD)  # right password, but blocked for now
    assert resp.status_code == 429
    assert "Zbyt wiele" in resp.get_data(as_text=True)


def test_limiter_window_expires() -> None:
    lim = LoginLimiter(max_attempts=2, window_seconds=10)
    lim.failed(["user:a"], now=0)
    lim.failed(["user:a"], now=1)
    assert lim.blocked_for(["user:a"], now=2) > 0
    assert lim.blocked_for(["user:b"], now=2) == 0
    assert lim.blocked_for(["user:a"], now=11.5) == 0


def test_limiter_forgets_keys_with_nothing_recent() -> None:
    # Every address that ever asked must not stay in memory for good.
    lim = LoginLimiter(max_attempts=2, window_seconds=10)
    for n in range(1000):
        assert lim.blocked_for([f"addr:10.0.{n // 250}.{n % 250}"], now=n / 100) == 0
    lim.failed(["addr:x"], now=0)
    assert lim.blocked_for(["addr:x"], now=11) == 0
    assert lim._failures == {}


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


def test_open_redirect_is_refused(app: Flask, client: Client) -> None:
    make_user(app, "ola", "organizer")
    resp = client.post("/login", {"username": "ola", "password": PASSWORD,
                                  "next": "//evil.example/"})
    assert resp.headers["Location"].endswith("/events")


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
