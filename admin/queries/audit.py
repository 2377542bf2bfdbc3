"""Who changed what: help-desk edits, badge replacements, registrations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from admin.schema import audit_log, utcnow


def log(conn: Connection, username: str, action: str, *, event_id: int | None = None,
        person_id: int | None = None, detail: str = "") -> None:
    conn.execute(insert(audit_log).values(at=utcnow(), username=username, action=action,
                                          event_id=event_id, person_id=person_id, detail=detail))


def for_person(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    stmt = (select(audit_log).where(audit_log.c.person_id == person_id)
            .order_by(audit_log.c.at.desc(), audit_log.c.id.desc()))
    return [dict(r) for r in conn.execute(stmt).mappings()]
