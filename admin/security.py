"""Password hashing (Argon2id), CSRF tokens, and the attempt limits (logins, enrollment)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from werkzeug.wrappers import Response

from admin import db
from admin.queries import limits as q_limits
from admin.queries.limits import LimitPolicy
from admin.schema import utcnow
from bramka import web_guard

# -- passwords ---------------------------------------------------------------------------------

_DEFAULT_HASHER = PasswordHasher()  # Argon2id, library defaults (RFC 9106 low-memory profile)
# Tests only: the same algorithm with tiny cost so hundreds of logins stay fast.
_FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str, fast: bool = False) -> str:
    return (_FAST_HASHER if fast else _DEFAULT_HASHER).hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _DEFAULT_HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so timing does not tell.
_DUMMY_HASH = _FAST_HASHER.hash("bramka-no-such-user")


def burn_time(password: str) -> None:
    verify_password(_DUMMY_HASH, password)


# -- secret key --------------------------------------------------------------------------------


def load_or_create_secret(data_dir: Path) -> str:
    """The Flask secret key kept in ``data_dir/secret_key`` (created once, mode 0600)."""
    path = Path(data_dir) / "secret_key"
    if path.exists():
        text = path.read_text().strip()
        if len(text) >= 32:
            return text
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


# -- response headers --------------------------------------------------------------------------

# The admin's pages load their scripts and styles from /static only (no inline script,
# style or event handler: tests/admin/test_admin_headers.py checks the templates); images
# are ours or data: URLs (the kiosk enrollment QR). No page may be framed (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",  # the CSRF check sends a refused form back by it
}


def add_security_headers(resp: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        resp.headers.setdefault(name, value)
    return resp


# -- CSRF --------------------------------------------------------------------------------------

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_SESSION_KEY = "_csrf"


def csrf_token() -> str:
    return web_guard.csrf_token(CSRF_SESSION_KEY)


def csrf_valid(candidate: str | None) -> bool:
    """The form's token is this session's (``bramka.web_guard``: bytes, constant time)."""
    return web_guard.csrf_valid(candidate, CSRF_SESSION_KEY)


# -- attempt limits ----------------------------------------------------------------------------
#
# Flask-Limiter (and the ``limits`` storages under it: memory, Redis, Memcached, MongoDB)
# counts requests per key before the view and cannot store in our SQL database; counting
# only failures there is a second step after the check, which is the race we are closing.
# So: one row per key in ``attempt_limits``, taken under a row lock (admin/queries/limits.py).


def _key_hash(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class AttemptLimiter:
    """Attempts per key for one ``scope``, counted in the database before the guarded work.

    ``attempt(key)`` returns 0.0 when the attempt may go ahead (it is counted already)
    or the seconds to wait (nothing counted); ``succeeded(key)`` clears the key. Each
    call is its own short transaction, committed before the caller goes on.
    """

    def __init__(self, scope: str, policy: LimitPolicy,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.scope = scope
        self.policy = policy
        self.clock = clock

    def attempt(self, *key: str) -> float:
        with db.write() as conn:
            return q_limits.take_attempt(conn, self.scope, _key_hash(*key), self.policy,
                                         self.clock())

    def succeeded(self, *key: str) -> None:
        with db.write() as conn:
            q_limits.clear(conn, self.scope, _key_hash(*key))


def login_policy(max_attempts: int, window_seconds: float) -> LimitPolicy:
    """``max_attempts`` wrong passwords for one account from one address go at once; then
    each try waits 1 s, 2 s, 4 s ... up to ``window_seconds``. Never a lockout: a right
    password after the wait logs in, and nobody elsewhere is slowed down."""
    return LimitPolicy(free_attempts=max_attempts, first_delay=1.0,
                       max_delay=float(window_seconds), forget_after=float(window_seconds))


class LoginLimiter:
    """The three calls ``admin/sync_api.py`` makes for enrollment codes, on the database.

    ``blocked_for(keys)`` *takes* the attempt for every key (so two processes or threads
    cannot both pass the check on the last allowed attempt), ``failed`` has nothing left
    to do, ``succeeded`` clears. After ``max_attempts`` attempts not followed by a success,
    a key waits ``window_seconds``. The scope is the key's prefix (``"enroll:1.2.3.4"``).
    New code calls :class:`AttemptLimiter` directly.
    """

    def __init__(self, max_attempts: int, window_seconds: float,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.policy = LimitPolicy(free_attempts=max_attempts, first_delay=window_seconds,
                                  max_delay=window_seconds, forget_after=window_seconds)
        self.clock = clock

    def _limiter(self, key: str) -> tuple[AttemptLimiter, str]:
        scope, _, rest = key.partition(":")
        return AttemptLimiter(scope[:16] or "default", self.policy, self.clock), rest

    def blocked_for(self, keys: list[str]) -> float:
        """Take an attempt for each key; seconds to wait if any of them must (0: go)."""
        wait = 0.0
        for key in keys:
            limiter, rest = self._limiter(key)
            wait = max(wait, limiter.attempt(rest))
        return wait

    def failed(self, keys: list[str]) -> None:
        """Counted already by :meth:`blocked_for`."""

    def succeeded(self, keys: list[str]) -> None:
        for key in keys:
            limiter, rest = self._limiter(key)
            limiter.succeeded(rest)
