"""Password hashing (Argon2id), CSRF tokens, and the login rate limiter."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import session

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


# -- CSRF --------------------------------------------------------------------------------------

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def csrf_token() -> str:
    token = session.get("_csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["_csrf"] = token
    return token


def csrf_valid(candidate: str | None) -> bool:
    expected = session.get("_csrf")
    return bool(expected and candidate and hmac.compare_digest(expected, candidate))


# -- login rate limit --------------------------------------------------------------------------


class LoginLimiter:
    """At most ``max_attempts`` failed logins per key (user name, address) per window."""

    def __init__(self, max_attempts: int, window_seconds: float) -> None:
        self.max_attempts = max_attempts
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked_for(self, keys: list[str], now: float | None = None) -> float:
        """Seconds until a login for any of ``keys`` may be tried again (0: allowed)."""
        now = time.monotonic() if now is None else now
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._recent(key, now)
                if not q:  # nothing recent: forget the key, so the table does not grow
                    del self._failures[key]
                elif len(q) >= self.max_attempts:
                    wait = max(wait, q[0] + self.window - now)
        return wait

    def failed(self, keys: list[str], now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
