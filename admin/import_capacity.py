"""Seats in an import: which sessions the sheet would fill past their limit, and what
the organizer chose for each (``waitlist``: the first comers by the sheet's order get the
seats left, the rest go on the session's waiting list; ``accept``: everyone is registered,
over the limit on purpose). Without a choice a full session gets a waiting list: an
import never fills a room past its seats without a word.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select

from admin.importer import Plan
from admin.queries import program as q_program
from admin.schema import registrations, sessions, utcnow, waitlist

CHOICES = ("waitlist", "accept")
DEFAULT = "waitlist"


@dataclass(frozen=True)
class OverCapacity:
    session_id: int
    title: str
    capacity: int
    registered: int  # before the import
    incoming: int  # new registrations the sheet asks for

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.registered)

    @property
    def waitlisted(self) -> int:
        return max(0, self.incoming - self.seats_left)


def incoming_pairs(conn: Connection, event_id: int, plan: Plan,
                   row_person: Mapping[int, int]) -> dict[int, list[tuple[int, int | None]]]:
    """Per session, the sheet's new registrations in row order: (row, person id or None
    for someone the import creates)."""
    have = {(r.session_id, r.person_id) for r in conn.execute(
        select(registrations.c.session_id, registrations.c.person_id)
        .join(sessions, sessions.c.id == registrations.c.session_id)
        .where(sessions.c.event_id == event_id))}
    out: dict[int, list[tuple[int, int | None]]] = {}
    for row in sorted(plan.sessions):
        person = row_person.get(row)
        for sid in plan.sessions[row]:
            if person is None or (sid, person) not in have:
                out.setdefault(sid, []).append((row, person))
    return out


def known_people(plan: Plan) -> dict[int, int]:
    """Sheet row -> person id for the rows that are people already in the event."""
    rows = {cand.row: pid for pid, cand in plan.unchanged}
    rows.update({u.candidate.row: u.person_id for u in plan.updates})
    return rows


def over_capacity(conn: Connection, event_id: int, plan: Plan,
                  row_person: Mapping[int, int] | None = None) -> list[OverCapacity]:
    """The sessions this import would fill past their limit. ``row_person``: each row's
    person (after the import created them); by default those already in the event."""
    incoming = incoming_pairs(conn, event_id, plan,
                              known_people(plan) if row_person is None else row_person)
    return _full(conn, event_id, incoming)


def _full(conn: Connection, event_id: int,
          incoming: Mapping[int, list[tuple[int, int | None]]]) -> list[OverCapacity]:
    if not incoming:
        return []
    counts = dict(conn.execute(select(registrations.c.session_id, func.count())
                               .where(registrations.c.session_id.in_(sorted(incoming)))
                               .group_by(registrations.c.session_id)).all())
    out = []
    for s in q_program.list_sessions(conn, event_id):
        capacity = q_program.effective_capacity(s)
        new = len(incoming.get(s["id"], []))
        if capacity is not None and new and counts.get(s["id"], 0) + new > capacity:
            out.append(OverCapacity(s["id"], s["title"], capacity, counts.get(s["id"], 0), new))
    return out


Choices = Mapping[int, str] | str | None
"""Per full session ``waitlist`` or ``accept``; one word for all of them; None: the
default (a waiting list)."""


def register(conn: Connection, event_id: int, plan: Plan, row_person: Mapping[int, int],
             choices: Choices = None) -> tuple[int, int]:
    """Write the sheet's registrations (people already created); (registered, waitlisted)."""
    incoming = incoming_pairs(conn, event_id, plan, row_person)
    full = {o.session_id: o for o in _full(conn, event_id, incoming)}
    now = utcnow()
    seat, wait = [], []
    for sid, pairs in incoming.items():
        people = [p for _, p in pairs if p is not None]
        o = full.get(sid)
        choice = choices if isinstance(choices, str) else (choices or {}).get(sid, DEFAULT)
        if o is None or choice == "accept":
            seat += [(sid, p) for p in people]
            continue
        seat += [(sid, p) for p in people[:o.seats_left]]
        wait += [(sid, p) for p in people[o.seats_left:]]
    if seat:
        conn.execute(insert(registrations), [
            {"session_id": s, "person_id": p, "created_at": now} for s, p in sorted(set(seat))])
    if wait:
        _add_to_waitlist(conn, wait, now)
    return len(set(seat)), len(wait)


def _add_to_waitlist(conn: Connection, pairs: Iterable[tuple[int, int]], now: object) -> None:
    by_session: dict[int, list[int]] = {}
    for sid, person in pairs:
        by_session.setdefault(sid, []).append(person)
    for sid, people in by_session.items():
        there = set(conn.execute(select(waitlist.c.person_id).where(
            waitlist.c.session_id == sid)).scalars())
        last = conn.execute(select(func.max(waitlist.c.position)).where(
            waitlist.c.session_id == sid)).scalar() or 0
        rows = []
        for person in people:
            if person not in there:
                last += 1
                rows.append({"session_id": sid, "person_id": person, "position": last,
                             "created_at": now})
        if rows:
            conn.execute(insert(waitlist), rows)


def waiting(conn: Connection, session_id: int) -> list[dict[str, object]]:
    """A session's waiting list, in order."""
    from admin.schema import people

    rows = conn.execute(select(people.c.id, people.c.first_name, people.c.last_name,
                               people.c.institution, waitlist.c.position)
                        .join(waitlist, waitlist.c.person_id == people.c.id)
                        .where(waitlist.c.session_id == session_id)
                        .order_by(waitlist.c.position)).mappings().all()
    return [dict(r) for r in rows]
