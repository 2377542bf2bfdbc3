"""An event's self-service at the kiosks (``sync.self_service``): settings, secret, codes.

The organizer switches lookup without a QR on or off per event and chooses its second
factor; the roster then carries the seal key and, per active person, their badge's
signature sealed under that factor (:func:`seals`). The personal codes are derived from
the event's secret, made the first time a code is needed and never sent to a kiosk.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, select, update

from admin.errors import Invalid
from admin.queries import events as q_events
from admin.schema import events, people
from sync import token as tokens
from sync.self_service import (
    FACTORS,
    Factor,
    SelfService,
    code_for_id,
    format_code,
    hash_key_of,
    seal,
)


def secret(conn: Connection, event_id: int) -> bytes:
    """The event's secret for personal codes (made and stored on first use)."""
    value = conn.execute(select(events.c.self_service_secret)
                         .where(events.c.id == event_id)).scalar()
    if not value:
        value = secrets.token_hex(32)
        # Two writers at once: the first one's secret stays (only where it is still empty).
        conn.execute(update(events).where(events.c.id == event_id,
                                          events.c.self_service_secret == "")
                     .values(self_service_secret=value))
        value = conn.execute(select(events.c.self_service_secret)
                             .where(events.c.id == event_id)).scalar()
    return bytes.fromhex(value)


def _secret_of(conn: Connection, event: dict[str, Any]) -> bytes:
    """The secret from the event's row already read (made when it has none yet)."""
    value = event.get("self_service_secret")
    return bytes.fromhex(value) if value else secret(conn, event["id"])


def personal_code(conn: Connection, event_id: int, person_id: int,
                  revision: int | None = None) -> str:
    """``ABC-123``: what the invitation prints beside the QR (of the person's current badge
    unless ``revision`` is given)."""
    if revision is None:
        revision = conn.execute(select(people.c.badge_revision)
                                .where(people.c.id == person_id)).scalar() or 1
    return format_code(code_for_id(secret(conn, event_id), person_id, revision))


def current_code(event: dict[str, Any], person: dict[str, Any]) -> str:
    """The person's personal code when the event offers self-service with the code, else
    "" (no write: a page reads it)."""
    if not (event["self_service_enabled"] and event["self_service_factor"] == "code"
            and event["self_service_secret"]):
        return ""
    return format_code(code_for_id(bytes.fromhex(event["self_service_secret"]), person["id"],
                                   person["badge_revision"]))


def save_settings(conn: Connection, event_id: int, enabled: bool, factor: str) -> None:
    if factor not in FACTORS:
        raise Invalid("Nieznany drugi składnik.", "Unknown second factor.")
    q_events.get_event(conn, event_id)
    secret(conn, event_id)  # made here, in a write: rosters are built in reads
    conn.execute(update(events).where(events.c.id == event_id).values(
        self_service_enabled=enabled, self_service_factor=factor))
    q_events.bump_people_version(conn, event_id)  # the kiosks' rosters change with it


def roster_settings(conn: Connection, event: dict[str, Any]) -> SelfService | None:
    """What the roster tells kiosks, or None when lookup is not offered."""
    if not event["self_service_enabled"]:
        return None
    return SelfService(enabled=True, factor=event["self_service_factor"],
                       hash_key=hash_key_of(_secret_of(conn, event)))


def seals(conn: Connection, event: dict[str, Any], service: SelfService | None,
          people_revisions: Iterable[tuple[int, int]]) -> dict[int, str]:
    """Each person's seal: their current badge's signature under the event's factor
    (``sync.self_service.seal``). People without an e-mail address get none when the factor
    is the address: they cannot use the lookup. ``people_revisions``: (id, badge revision)
    of the active people."""
    if service is None:
        return {}
    wanted = dict(people_revisions)
    if service.factor == "code":
        key = _secret_of(conn, event)
        values = {pid: code_for_id(key, pid, revision) for pid, revision in wanted.items()}
    else:
        values = {r.id: r.email for r in conn.execute(
            select(people.c.id, people.c.email)
            .where(people.c.event_id == event["id"], people.c.email.is_not(None)))
            if r.id in wanted and r.email and r.email.strip()}
    signing = q_events.signing_key(conn, event["id"]).private_bytes_raw()
    return {pid: _seal(signing, service.hash_key, service.factor, event["id"], pid,
                       wanted[pid], value)
            for pid, value in values.items()}


@functools.lru_cache(maxsize=1 << 15)  # a roster is built again after every change
def _seal(signing: bytes, hash_key: str, factor: Factor, event_id: int, person_id: int,
          revision: int, value: str) -> str:
    token = tokens.issue(Ed25519PrivateKey.from_private_bytes(signing), event_id, person_id,
                         revision)
    return seal(hash_key, factor, value, person_id, revision, token)
