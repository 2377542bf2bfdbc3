"""Who attended what: the rows of attendance lists and certificates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from admin.queries import program as q_program
from admin.schema import kiosks, people, presence, registrations, scans, sessions


def session_attendance(conn: Connection, session_id: int) -> list[dict[str, Any]]:
    """Everyone admitted to the session (one row per person), by surname."""
    reg = (select(registrations.c.person_id)
           .where(registrations.c.session_id == session_id)).subquery()
    # An organizer's override at the help desk (admin.queries.people.check_in_by_hand).
    manual = (select(scans.c.attendee_id, func.max(scans.c.override_reason).label("reason"))
              .where(scans.c.session_id == session_id, scans.c.override_reason != "")
              .group_by(scans.c.attendee_id)).subquery()
    stmt = (
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.institution,
               people.c.position, func.min(presence.c.first_in).label("first_in"),
               func.max(presence.c.last_out).label("last_out"),
               func.max(reg.c.person_id).label("registered"),
               func.max(manual.c.reason).label("override_reason"))
        .join(presence, presence.c.person_id == people.c.id)
        .outerjoin(reg, reg.c.person_id == people.c.id)
        .outerjoin(manual, manual.c.attendee_id == people.c.id)
        .where(presence.c.session_id == session_id)
        .group_by(people.c.id, people.c.first_name, people.c.last_name, people.c.institution,
                  people.c.position)
        .order_by(people.c.last_name, people.c.first_name, people.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def chain_heads(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    """The verified scan-chain heads of the event's kiosks (admin.scan_chain): what an
    attendance export rests on, named in its seal."""
    rows = conn.execute(select(kiosks.c.id, kiosks.c.chain_seq, kiosks.c.chain_head).where(
        kiosks.c.event_id == event_id, kiosks.c.chain_seq.is_not(None)).order_by(kiosks.c.id))
    return [{"kiosk_id": r.id, "seq": r.chain_seq, "chain": r.chain_head} for r in rows]


def manual_note(row: dict[str, Any], tr: Any) -> str:
    """``wpis ręczny: powód`` for a row an organizer recorded despite the rules."""
    reason = row.get("override_reason") or ""
    return f"{tr('wpis ręczny', 'manual entry')}: {reason}" if reason else ""


def attendance_list(conn: Connection, session_id: int) -> tuple[dict[str, Any], list[dict]]:
    return q_program.get_session(conn, session_id), session_attendance(conn, session_id)


def attended_sessions(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    stmt = (select(sessions.c.id, sessions.c.title, sessions.c.kind, sessions.c.starts_at,
                   sessions.c.ends_at)
            .join(presence, presence.c.session_id == sessions.c.id)
            .where(presence.c.person_id == person_id)
            .group_by(sessions.c.id, sessions.c.title, sessions.c.kind, sessions.c.starts_at,
                      sessions.c.ends_at)
            .order_by(sessions.c.starts_at))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def attended_days(conn: Connection, person_id: int) -> list[Any]:
    stmt = (select(presence.c.day).where(presence.c.person_id == person_id,
                                         presence.c.session_id == 0)
            .distinct().order_by(presence.c.day))
    return list(conn.execute(stmt).scalars())
