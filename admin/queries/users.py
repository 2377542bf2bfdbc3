"""Admin accounts: organizers and volunteers."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from admin.errors import Conflict, Invalid
from admin.schema import users, utcnow
from admin.security import MIN_PASSWORD_LENGTH, hash_password

ROLES = ("organizer", "volunteer")
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


def create_user(
    conn: Connection,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    fast_hash: bool = False,
) -> int:
    username = username.strip()
    if not _USERNAME.match(username):
        raise Invalid(
            "Login: 2–64 znaki, litery, cyfry lub . _ @ -",
            "User name: 2-64 characters, letters, digits or . _ @ -",
        )
    if role not in ROLES:
        raise Invalid(f"Nieznana rola: {role}", f"Unknown role: {role}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Hasło musi mieć co najmniej {MIN_PASSWORD_LENGTH} znaków",
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters",
        )
    try:
        with conn.begin_nested():
            result = conn.execute(
                insert(users).values(
                    username=username,
                    display_name=display_name.strip() or username,
                    password_hash=hash_password(password, fast=fast_hash),
                    role=role,
                    active=True,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        raise Conflict(f"Login {username} jest już zajęty",
                       f"User name {username} is taken") from None
    return int(result.inserted_primary_key[0])


def find_by_username(conn: Connection, username: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(users).where(func.lower(users.c.username) == username.strip().lower())
    ).mappings().first()
    return dict(row) if row else None


def get_user(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def list_users(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(users).order_by(users.c.username)).mappings()]


_NEXT_SESSION = users.c.session_version + 1  # every change that must end sessions


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(active=active, session_version=_NEXT_SESSION))


def set_role(conn: Connection, user_id: int, role: str) -> None:
    """A new role takes effect at the next login: the user's sessions end."""
    if role not in ROLES:
        raise Invalid(f"Nieznana rola: {role}", f"Unknown role: {role}")
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(role=role, session_version=_NEXT_SESSION))


def end_sessions(conn: Connection, user_id: int) -> None:
    """Log the user out everywhere: every session cookie issued so far stops working."""
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(session_version=_NEXT_SESSION))


def set_password(conn: Connection, user_id: int, password: str, fast_hash: bool = False) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(
            f"Hasło musi mieć co najmniej {MIN_PASSWORD_LENGTH} znaków",
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters",
        )
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(password_hash=hash_password(password, fast=fast_hash),
                         session_version=_NEXT_SESSION))


def touch_login(conn: Connection, user_id: int) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(last_login_at=utcnow()))


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(users)).scalar_one())
