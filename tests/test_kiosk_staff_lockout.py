"""The staff PIN lockout survives a restart of the kiosk service and a reboot of the Pi."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask.testing import FlaskClient
from test_kiosk_web import PIN, FakeClock, make_app, make_runtime, post_pin

from kiosk.store import Store
from kiosk.web import GUARD_KEY
from kiosk.web.guard import StaffGuard


class Restartable:
    """One kiosk data folder, served by one kiosk process after another."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.clock = FakeClock()  # the boot's monotonic clock: runs on through a restart
        self.runtime = make_runtime(tmp_path, None)

    def client(self) -> FlaskClient:
        app = make_app(self.runtime)
        app.extensions[GUARD_KEY].clock = self.clock
        return app.test_client()

    def restart(self) -> FlaskClient:
        self.runtime.stop()
        self.runtime = make_runtime(self.tmp_path, None)
        return self.client()


def test_a_restart_does_not_reset_the_lockout(tmp_path: Path) -> None:
    kiosk = Restartable(tmp_path)
    try:
        client = kiosk.client()
        for _ in range(5):
            post_pin(client, "0000")
        kiosk.clock.now += 20
        client = kiosk.restart()
        resp = post_pin(client, PIN)
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "40"
        kiosk.clock.now += 40
        assert post_pin(client, PIN).status_code == 302
    finally:
        kiosk.runtime.stop()


def test_a_restart_does_not_reset_the_count_of_wrong_pins(tmp_path: Path) -> None:
    kiosk = Restartable(tmp_path)
    try:
        client = kiosk.client()
        for _ in range(4):
            assert post_pin(client, "0000").status_code == 401
        client = kiosk.restart()
        assert post_pin(client, "1111").status_code == 429  # the fifth in a row
        kiosk.clock.now += 61
        client = kiosk.restart()
        resp = post_pin(client, "0000")  # the sixth: the wait doubles
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "120"
    finally:
        kiosk.runtime.stop()


def test_the_right_pin_clears_what_was_kept(tmp_path: Path) -> None:
    kiosk = Restartable(tmp_path)
    try:
        client = kiosk.client()
        for _ in range(3):
            post_pin(client, "0000")
        assert kiosk.runtime.store.reader.staff_lockout() is not None
        assert post_pin(client, PIN).status_code == 302
        assert kiosk.runtime.store.reader.staff_lockout() is None
        client = kiosk.restart()
        for _ in range(4):
            assert post_pin(client, "0000").status_code == 401  # counted from zero
    finally:
        kiosk.runtime.stop()


T0 = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)


def locked_guard(store: Store) -> None:
    guard = StaffGuard(PIN, store=store, boot="boot-1", clock=lambda: 5000.0,
                       wall_clock=lambda: T0)
    for _ in range(5):
        guard.check_pin("0000")
    assert guard.locked_for() == 60


def after_reboot(store: Store, wall: datetime) -> StaffGuard:
    # A new boot: its monotonic clock starts near zero again.
    return StaffGuard(PIN, store=store, boot="boot-2", clock=lambda: 3.0,
                      wall_clock=lambda: wall)


def test_after_a_reboot_the_rest_of_the_wait_comes_from_the_wall_clock(store: Store) -> None:
    locked_guard(store)
    assert after_reboot(store, T0 + timedelta(seconds=25)).locked_for() == 35


def test_a_wall_clock_behind_after_a_reboot_gives_the_full_wait_not_more(store: Store) -> None:
    locked_guard(store)  # e.g. a Pi without a clock battery, before its first sync
    assert after_reboot(store, T0 - timedelta(days=3)).locked_for() == 60


def test_a_wait_that_ended_during_the_reboot_keeps_the_count(store: Store) -> None:
    locked_guard(store)
    guard = after_reboot(store, T0 + timedelta(minutes=10))
    assert guard.locked_for() == 0
    assert guard.check_pin("0000").locked_for == 120  # the sixth wrong PIN in a row
