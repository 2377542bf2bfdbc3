"""Deleting personal data when the retention period ends, keeping anonymous counts.

For an event that ended more than ``retention_days`` ago: count registered and attending
people per session and for the whole event into ``anonymous_counts``; then delete the people
(with their registrations and badge history), presence rows, audit entries and queued kiosk
commands, and strip the person from every scan (scans stay as anonymous facts).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection, delete, func, insert, select, update

from admin.queries import program as q_program
from admin.schema import (
    anonymous_counts,
    audit_log,
    events,
    kiosk_commands,
    people,
    presence,
    presence_counts,
    scans,
    utcnow,
)


@dataclass(frozen=True)
class Purged:
    event_id: int
    name: str
    people: int


def due_events(conn: Connection, today: date, retention_days: int) -> list[dict]:
    cutoff = today - timedelta(days=retention_days)
    rows = conn.execute(select(events.c.id, events.c.name, events.c.ends_on)
                        .where(events.c.ends_on < cutoff,
                               events.c.personal_data_deleted_at.is_(None))
                        .order_by(events.c.id)).mappings()
    return [dict(r) for r in rows]


def _counts(conn: Connection, event_id: int) -> list[dict]:
    now = utcnow()
    out = []
    registered_total = conn.execute(select(func.count()).select_from(people)
                                    .where(people.c.event_id == event_id)).scalar_one()
    attended_total = conn.execute(
        select(func.count(func.distinct(presence.c.person_id)))
        .where(presence.c.event_id == event_id)).scalar_one()
    out.append({"event_id": event_id, "session_id": None, "label": "*",
                "registered": registered_total, "attended": attended_total, "created_at": now})
    attended = dict(conn.execute(
        select(presence.c.session_id, func.count(func.distinct(presence.c.person_id)))
        .where(presence.c.event_id == event_id, presence.c.session_id != 0)
        .group_by(presence.c.session_id)).all())
    for s in q_program.list_sessions(conn, event_id):
        out.append({"event_id": event_id, "session_id": s["id"], "label": s["title"],
                    "registered": int(s["registered"]), "attended": int(attended.get(s["id"], 0)),
                    "created_at": now})
    for day, n in conn.execute(
            select(presence.c.day, func.count(func.distinct(presence.c.person_id)))
            .where(presence.c.event_id == event_id, presence.c.session_id == 0)
            .group_by(presence.c.day).order_by(presence.c.day)).all():
        out.append({"event_id": event_id, "session_id": None, "label": f"day {day}",
                    "registered": registered_total, "attended": int(n), "created_at": now})
    return out


def purge_event(conn: Connection, event_id: int) -> int:
    """Delete one event's personal data now; return how many people were deleted."""
    conn.execute(insert(anonymous_counts), _counts(conn, event_id))
    n_people = conn.execute(select(func.count()).select_from(people)
                            .where(people.c.event_id == event_id)).scalar_one()
    conn.execute(update(scans).where(scans.c.event_id == event_id)
                 .values(attendee_id=None, badge_revision=None, raw=None))
    conn.execute(delete(presence).where(presence.c.event_id == event_id))
    conn.execute(delete(presence_counts).where(presence_counts.c.event_id == event_id))
    conn.execute(delete(audit_log).where(audit_log.c.event_id == event_id))
    people_ids = set(conn.execute(select(people.c.id)
                                  .where(people.c.event_id == event_id)).scalars())
    doomed = [r.id for r in conn.execute(select(kiosk_commands.c.id, kiosk_commands.c.payload))
              if json.loads(r.payload).get("attendee_id") in people_ids]
    if doomed:
        conn.execute(delete(kiosk_commands).where(kiosk_commands.c.id.in_(doomed)))
    conn.execute(delete(people).where(people.c.event_id == event_id))
    conn.execute(update(events).where(events.c.id == event_id)
                 .values(personal_data_deleted_at=utcnow(),
                         people_version=events.c.people_version + 1))
    return int(n_people)


def purge_expired(conn: Connection, today: date, retention_days: int,
                  dry_run: bool = False) -> list[Purged]:
    done = []
    for ev in due_events(conn, today, retention_days):
        if dry_run:
            n = conn.execute(select(func.count()).select_from(people)
                             .where(people.c.event_id == ev["id"])).scalar_one()
        else:
            n = purge_event(conn, ev["id"])
        done.append(Purged(ev["id"], ev["name"], int(n)))
    return done


def anonymous_summary(conn: Connection, event_id: int) -> list[dict]:
    rows = conn.execute(select(anonymous_counts).where(anonymous_counts.c.event_id == event_id)
                        .order_by(anonymous_counts.c.id)).mappings()
    return [dict(r) for r in rows]
