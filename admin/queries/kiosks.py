"""Kiosks as the admin knows them, and commands queued for them (badge reprints).

The sync layer delivers pending commands and records each kiosk's contact and state with
:func:`record_status`; the help desk only queues.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from admin.errors import NotFound
from admin.schema import kiosk_commands, kiosks, utcnow


def list_kiosks(conn: Connection, event_id: int | None = None) -> list[dict[str, Any]]:
    stmt = select(kiosks).where(kiosks.c.revoked_at.is_(None)).order_by(kiosks.c.id)
    if event_id is not None:
        stmt = stmt.where((kiosks.c.event_id == event_id) | kiosks.c.event_id.is_(None))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def get_kiosk(conn: Connection, kiosk_id: str) -> dict[str, Any]:
    row = conn.execute(select(kiosks).where(kiosks.c.id == kiosk_id)).mappings().first()
    if row is None:
        raise NotFound("Nie ma takiego kiosku", "No such kiosk")
    return dict(row)


def ensure_kiosk(conn: Connection, kiosk_id: str, event_id: int | None = None, name: str = "",
                 mode: str = "entrance", room: str = "") -> None:
    """Create the kiosk row when missing (enrollment proper belongs to the sync layer)."""
    if conn.execute(select(kiosks.c.id).where(kiosks.c.id == kiosk_id)).first() is None:
        conn.execute(insert(kiosks).values(id=kiosk_id, event_id=event_id, name=name or kiosk_id,
                                           mode=mode, room=room, enrolled_at=utcnow()))


def record_status(
    conn: Connection,
    kiosk_id: str,
    *,
    queue_length: int | None = None,
    printer_state: str | None = None,
    camera_state: str | None = None,
    clock_offset_ms: int | None = None,
    at: datetime | None = None,
) -> None:
    """A kiosk made contact: remember when and what it reported."""
    values: dict[str, Any] = {"last_contact_at": at or utcnow()}
    for name, value in (("queue_length", queue_length), ("printer_state", printer_state),
                        ("camera_state", camera_state), ("clock_offset_ms", clock_offset_ms)):
        if value is not None:
            values[name] = value
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(**values))


def queue_command(conn: Connection, kiosk_id: str, kind: str, payload: dict[str, Any],
                  username: str) -> int:
    get_kiosk(conn, kiosk_id)
    return int(conn.execute(insert(kiosk_commands).values(
        kiosk_id=kiosk_id, kind=kind, payload=json.dumps(payload, ensure_ascii=False),
        status="pending", created_by=username, created_at=utcnow())).inserted_primary_key[0])


def pending_commands(conn: Connection, kiosk_id: str) -> list[dict[str, Any]]:
    stmt = (select(kiosk_commands).where(kiosk_commands.c.kiosk_id == kiosk_id,
                                         kiosk_commands.c.status == "pending")
            .order_by(kiosk_commands.c.id))
    out = []
    for r in conn.execute(stmt).mappings():
        d = dict(r)
        d["payload"] = json.loads(d["payload"])
        out.append(d)
    return out


def mark_delivered(conn: Connection, command_ids: list[int]) -> None:
    if command_ids:
        conn.execute(update(kiosk_commands).where(kiosk_commands.c.id.in_(command_ids))
                     .values(status="delivered", delivered_at=utcnow()))
