"""Staff access on a kiosk that stands in public: PIN check, lockout, idle logout, CSRF.

One :class:`StaffGuard` per app (``app.extensions["bramka_staff_guard"]``); the count of
wrong PINs is kept in the kiosk's store, so a restart does not reset it. Times are
monotonic: the session cookie is signed with a key made per process, so a cookie
never outlives the process whose clock it carries, and a Raspberry Pi setting its
wall clock at the first sync cannot stretch or cut a staff session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from flask import session

from bramka import web_guard
from kiosk.checkin import boot_id
from kiosk.store_reader import StaffLockout

CSRF_KEY = "csrf"
STAFF_KEY = "staff"
SEEN_KEY = "staff_seen"
GENERATION_KEY = "staff_gen"
PIN_VERSION_KEY = "staff_pin_version"
MAX_LOCKOUT_SECONDS = 15 * 60


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass(frozen=True, slots=True)
class PinResult:
    ok: bool
    locked_for: float = 0.0  # seconds until another attempt is allowed
    attempts_left: int = 0


class LockoutReader(Protocol):
    def staff_lockout(self) -> StaffLockout | None: ...


class LockoutStore(Protocol):
    """Where the count of wrong PINs survives a restart (the kiosk's store)."""

    @property
    def reader(self) -> LockoutReader: ...
    def save_staff_lockout(self, lockout: StaffLockout | None) -> None: ...


class StaffGuard:
    """Counts wrong PINs for the whole kiosk (everyone is at the same screen).

    After ``max_attempts`` wrong PINs in a row the kiosk refuses every PIN, right
    or wrong, for ``lockout_seconds``; each further wrong PIN after that doubles
    the wait, up to 15 minutes. A right PIN resets the count.

    With a ``store``, the count and the wait are written before each answer and read
    back at start: restarting the kiosk service keeps the wait to the second (the
    monotonic clock runs on through a restart); after a reboot, the rest of the wait
    is taken from the wall clock, never longer than the wait itself (a Pi's clock may be
    wrong until it syncs: at worst the full wait again, never a fresh start).
    """

    def __init__(self, pin: str, *, matcher: Callable[[str], bool] | None = None,
                 pin_version: Callable[[], str] | None = None,
                 max_attempts: int = 5, lockout_seconds: float = 60.0,
                 idle_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic,
                 store: LockoutStore | None = None,
                 boot: str | None = None,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._pin_digest = _digest(pin)
        # ``matcher`` (the runtime's): the PIN of the admin's plan, or the local one;
        # ``pin_version`` names which: a new PIN ends the sessions opened with the old.
        self._pin_version = pin_version or (lambda: "")
        self._matcher = matcher
        self.max_attempts = max_attempts
        self.lockout_seconds = lockout_seconds
        self.idle_seconds = idle_seconds
        self.clock = clock
        self.wall_clock = wall_clock
        self._store = store
        self._boot = boot or boot_id()
        self._loaded = store is None
        self._lock = threading.Lock()
        self._failures = 0
        self._wait = 0.0
        self._locked_until = 0.0
        # Raised on every logout: a copy of an older cookie no longer opens staff mode.
        self._generation = secrets.randbits(32)

    # -- PIN ------------------------------------------------------------------------------------

    def _load(self) -> None:
        """The saved count, on first use (so a clock set by a test applies). Under _lock."""
        if self._loaded or self._store is None:
            return
        self._loaded = True
        saved = self._store.reader.staff_lockout()
        if saved is None:
            return
        self._failures, self._wait = saved.failures, saved.wait_seconds
        if saved.boot_id == self._boot:
            self._locked_until = saved.locked_until_monotonic
        else:
            left = (saved.locked_until_wall - self.wall_clock()).total_seconds()
            self._locked_until = self.clock() + min(max(left, 0.0), saved.wait_seconds)

    def _save(self, now: float) -> None:
        if self._store is None:
            return
        if self._failures == 0:
            self._store.save_staff_lockout(None)
            return
        left = max(0.0, self._locked_until - now)
        self._store.save_staff_lockout(StaffLockout(
            failures=self._failures, wait_seconds=self._wait, boot_id=self._boot,
            locked_until_monotonic=self._locked_until,
            locked_until_wall=self.wall_clock() + timedelta(seconds=left)))

    def locked_for(self) -> float:
        with self._lock:
            self._load()
            return max(0.0, self._locked_until - self.clock())

    def check_pin(self, pin: str) -> PinResult:
        with self._lock:
            self._load()
            now = self.clock()
            if now < self._locked_until:
                return PinResult(False, locked_for=self._locked_until - now)
            if (self._matcher(pin) if self._matcher is not None
                    else hmac.compare_digest(_digest(pin), self._pin_digest)):
                if self._failures:
                    self._failures, self._wait, self._locked_until = 0, 0.0, 0.0
                    self._save(now)
                return PinResult(True)
            self._failures += 1
            over = self._failures - self.max_attempts
            result = PinResult(False, attempts_left=self.max_attempts - self._failures)
            if over >= 0:
                self._wait = min(self.lockout_seconds * (2 ** over), MAX_LOCKOUT_SECONDS)
                self._locked_until = now + self._wait
                result = PinResult(False, locked_for=self._wait)
            self._save(now)  # before the answer: pulling the plug now keeps the count
            return result

    # -- staff session --------------------------------------------------------------------------

    def log_in(self) -> None:
        session.clear()
        session[STAFF_KEY] = True
        session[SEEN_KEY] = self.clock()
        session[GENERATION_KEY] = self._generation
        session[PIN_VERSION_KEY] = self._pin_version()
        session[CSRF_KEY] = secrets.token_urlsafe(32)

    def log_out(self) -> None:
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        with self._lock:
            self._generation = (self._generation + 1) % (2 ** 32)

    def state(self) -> str:
        """``"in"`` (and refreshes the idle timer), ``"idle"`` (timed out) or ``"out"``."""
        if (not session.get(STAFF_KEY) or session.get(GENERATION_KEY) != self._generation
                or session.get(PIN_VERSION_KEY) != self._pin_version()):
            return "out"
        seen = session.get(SEEN_KEY)
        now = self.clock()
        if not isinstance(seen, int | float) or not 0 <= now - seen <= self.idle_seconds:
            return "idle"
        session[SEEN_KEY] = now
        return "in"


# -- CSRF ---------------------------------------------------------------------------------------


def csrf_token() -> str:
    """This browser session's CSRF token, made on first use."""
    return web_guard.csrf_token(CSRF_KEY)


def csrf_valid(sent: str | None) -> bool:
    return web_guard.csrf_valid(sent, CSRF_KEY)
