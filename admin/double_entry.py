"""Double entries (issue 16): an admission while the person was already admitted and not
out, on the merged timeline of every kiosk (times on the server's clock).

At the entrance there are no exits: a second ``ok`` check-in of one person on one day is
a double entry (a kiosk gives ``already_checked_in`` to a repeat it knows of, so two
``ok``s mean two kiosks that had not synced). In a room, an ``ok`` entry while the person
is inside (from another kiosk, or with no exit between) is one; entering again after an
exit is not. :func:`double_entries` is pure; :func:`refresh` keeps the
``double_entries`` table in step as scans are stored (``admin.scans``), so the dashboard
reads a few rows instead of walking timelines on every poll.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select

from admin.queries.events import timezone_of
from admin.schema import double_entries as double_entries_table
from admin.schema import scans
from sync.timekeeping import event_day

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Movement:
    at: datetime
    kiosk_id: str
    direction: str | None  # None at the entrance
    result: str


@dataclass(frozen=True, slots=True)
class DoubleEntry:
    first_at: datetime  # the admission the person was still inside on
    first_kiosk: str
    at: datetime  # the admission made while inside
    kiosk_id: str


def double_entries(movements: Iterable[Movement], entrance: bool) -> list[DoubleEntry]:
    """The double entries in one person's movements at one place (entrance: one day)."""
    out: list[DoubleEntry] = []
    inside: Movement | None = None
    last: tuple[datetime, str] | None = None
    for m in sorted(movements, key=lambda m: (m.at, m.kiosk_id)):
        if m.direction == "out" and not entrance:
            inside = last = None
            continue
        if m.result != "ok":
            continue  # already_checked_in: the kiosk knew, and let them through once
        if (m.at, m.kiosk_id) == last:
            continue  # two records of one admission (same kiosk, same instant)
        last = (m.at, m.kiosk_id)
        if inside is not None:
            out.append(DoubleEntry(inside.at, inside.kiosk_id, m.at, m.kiosk_id))
        else:
            inside = m
    return out


def refresh(conn: Connection, event_id: int, person_ids: Iterable[int]) -> None:
    """Recompute the stored double entries of these people of the event from their scans
    (called for people whose admissions at some place now number two or more)."""
    ids = sorted(set(person_ids))
    zone = timezone_of(conn, event_id)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        moves: dict[tuple[int, int, Any], list[Movement]] = {}
        for r in conn.execute(select(
                scans.c.attendee_id, scans.c.session_id, scans.c.scan_time, scans.c.kiosk_id,
                scans.c.direction, scans.c.result).where(
                scans.c.event_id == event_id, scans.c.admitted,
                scans.c.attendee_id.in_(chunk))):
            key = (r.attendee_id, r.session_id or 0, event_day(zone, r.scan_time))
            moves.setdefault(key, []).append(
                Movement(r.scan_time, r.kiosk_id, r.direction, r.result))
        rows = [{"event_id": event_id, "person_id": person, "session_id": session_id,
                 "day": day, "at": d.at, "kiosk_id": d.kiosk_id, "first_at": d.first_at,
                 "first_kiosk": d.first_kiosk}
                for (person, session_id, day), ms in moves.items()
                for d in double_entries(ms, entrance=session_id == 0)]
        conn.execute(delete(double_entries_table).where(
            double_entries_table.c.event_id == event_id,
            double_entries_table.c.person_id.in_(chunk)))
        if rows:
            conn.execute(double_entries_table.insert(), rows)
