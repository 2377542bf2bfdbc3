"""Login and enrollment attempt limits: counted in the database before the check, per
account and address (or per known browser), with growing waits and no lockout."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from admin_testkit import PASSWORD, Client, make_user
from flask import Flask

from admin import create_app
from admin.auth import LIMITER
from admin.queries import limits as q_limits
from admin.security import AttemptLimiter, LoginLimiter, login_policy
from bramka.config import AdminSettings


class FrozenClock:
    """The limiters' clock, moved by hand: no test waits for real time to pass."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(app: Flask) -> FrozenClock:
    clock = FrozenClock()
    app.extensions[LIMITER].clock = clock
    return clock


def client_at(app: Flask, address: str) -> Client:
    raw = app.test_client()
    raw.environ_base["REMOTE_ADDR"] = address
    return Client(raw)


def test_wrong_passwords_then_a_wait_then_the_right_one_logs_in(app: Flask,
                                                               clock: FrozenClock) -> None:
    make_user(app, "ola", "organizer")
    client = client_at(app, "10.0.0.5")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert client.login("ola", "wrong password").status_code == 401
    resp = client.login("ola", PASSWORD)  # right password, but it waits its turn
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "1"
    assert "Zbyt wiele nieudanych prób. Spróbuj za 1 s." in resp.get_data(as_text=True)
    clock.advance(1)
    assert client.login("ola", PASSWORD).status_code == 302


def test_waits_double_up_to_the_window_and_never_lock_out(app: Flask) -> None:
    clock = FrozenClock()
    limiter = AttemptLimiter("login", login_policy(max_attempts=3, window_seconds=300), clock)
    waits = []
    with app.test_request_context():
        for _ in range(3):
            assert limiter.attempt("account", "ola", "10.0.0.5") == 0
        for _ in range(12):
            wait = limiter.attempt("account", "ola", "10.0.0.5")
            assert wait > 0
            assert limiter.attempt("account", "ola", "10.0.0.5") == wait  # waiting counts nothing
            waits.append(wait)
            clock.advance(wait)
            assert limiter.attempt("account", "ola", "10.0.0.5") == 0  # after the wait: a try
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]


def test_a_quiet_key_starts_over_and_its_row_is_deleted(app: Flask) -> None:
    clock = FrozenClock()
    limiter = AttemptLimiter("login", login_policy(max_attempts=2, window_seconds=60), clock)
    with app.test_request_context():
        for n in range(50):  # every address that ever tried
            limiter.attempt("account", "ola", f"10.0.1.{n}")
        for _ in range(2):
            limiter.attempt("account", "ola", "10.0.0.5")
        assert limiter.attempt("account", "ola", "10.0.0.5") > 0
        clock.advance(60 + 1)  # the wait (1 s) and a quiet window after it
        assert limiter.attempt("account", "ola", "10.0.0.5") == 0
        assert limiter.attempt("account", "ola", "10.0.0.5") == 0  # counted from 1 again
        with app.extensions["bramka_db"].connect() as conn:
            assert q_limits.pending(conn, "login") == 1


def test_an_attacker_slows_down_neither_the_neighbours_nor_the_organizer_elsewhere(
        app: Flask, clock: FrozenClock) -> None:
    make_user(app, "ola", "organizer")
    make_user(app, "wojtek", "volunteer")
    attacker = client_at(app, "192.0.2.1")  # the venue's router: everyone's address
    for _ in range(30):
        assert attacker.login("ola", "guess").status_code in (401, 429)
    assert attacker.login("ola", "guess").status_code == 429
    assert client_at(app, "192.0.2.1").login("wojtek").status_code == 302
    assert client_at(app, "198.51.100.7").login("ola").status_code == 302


def test_a_browser_that_logged_in_before_is_not_slowed_by_an_attacker_beside_it(
        app: Flask, clock: FrozenClock) -> None:
    make_user(app, "ola", "organizer")
    ola = client_at(app, "192.0.2.1")
    assert ola.login("ola").status_code == 302
    ola.post("/logout")
    attacker = client_at(app, "192.0.2.1")
    for _ in range(10):
        attacker.login("ola", "guess")
    assert attacker.login("ola", PASSWORD).status_code == 429
    assert ola.login("ola").status_code == 302
    # The browser's own count still holds against guessing from it.
    ola.post("/logout")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert ola.login("ola", "typo typo").status_code == 401
    assert ola.login("ola").status_code == 429


def test_a_forged_device_cookie_is_ignored(app: Flask, clock: FrozenClock) -> None:
    make_user(app, "ola", "organizer")
    client = client_at(app, "192.0.2.1")
    client.raw.set_cookie("bramka_device", "eyJ1Ijoib2xhIiwibiI6IngifQ.forged.sig")
    for _ in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        client.login("ola", "guess")
    assert client_at(app, "192.0.2.1").login("ola").status_code == 429


def _simultaneous(n: int, attempt: Any) -> list[Any]:
    """Run ``attempt(i)`` in ``n`` threads released together; their results in order."""
    ready = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        prepared = attempt(i)
        ready.wait(timeout=30)
        results[i] = prepared()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_thirty_simultaneous_wrong_passwords_check_at_most_the_limit(
        app: Flask, clock: FrozenClock) -> None:
    make_user(app, "ola", "organizer")

    def attempt(_i: int) -> Any:
        client = client_at(app, "192.0.2.1")
        data = {"username": "ola", "password": "guess", "csrf_token": client.csrf()}
        return lambda: client.raw.post("/login", data=data).status_code

    statuses = _simultaneous(30, attempt)
    assert statuses.count(401) == app.config["LOGIN_MAX_ATTEMPTS"]
    assert statuses.count(429) == 30 - app.config["LOGIN_MAX_ATTEMPTS"]


@pytest.fixture
def second_process(settings: AdminSettings) -> Iterator[Flask]:
    """Another admin app on the same database: what a second process would be."""
    other = create_app(settings, {"TESTING": True, "FAST_PASSWORD_HASH": True})
    yield other
    other.extensions["bramka_db"].dispose()


def test_limits_hold_across_admin_processes(app: Flask, second_process: Flask,
                                            clock: FrozenClock) -> None:
    second_process.extensions[LIMITER].clock = clock
    make_user(app, "ola", "organizer")
    first, second = client_at(app, "192.0.2.1"), client_at(second_process, "192.0.2.1")
    for n in range(app.config["LOGIN_MAX_ATTEMPTS"]):
        assert (first if n % 2 else second).login("ola", "guess").status_code == 401
    assert first.login("ola").status_code == 429
    assert second.login("ola").status_code == 429


def test_enrollment_limit_is_taken_before_the_check_and_shared(
        app: Flask, second_process: Flask) -> None:
    clock = FrozenClock()
    limiters = [LoginLimiter(3, 900, clock), LoginLimiter(3, 900, clock)]

    def attempt(i: int) -> Any:
        target = (app, second_process)[i % 2]

        def go() -> float:
            with target.test_request_context():
                return limiters[i % 2].blocked_for(["enroll:192.0.2.1"])
        return go

    waits = _simultaneous(12, attempt)
    assert sum(1 for w in waits if w == 0) == 3
    assert all(w == 900 for w in waits if w)
    with app.test_request_context():
        limiters[0].succeeded(["enroll:192.0.2.1"])  # a right code clears the address
        assert limiters[1].blocked_for(["enroll:192.0.2.1"]) == 0
