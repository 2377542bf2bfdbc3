"""Who attended what: the rows of attendance lists and certificates."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.schema import events, kiosks, people, presence, registrations, scans
from admin.time_present import Presence, meets_rule, minutes_present, session_minutes
from sync.collation import by_name
from sync.timekeeping import event_day


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
    )
    return by_name([dict(r) for r in conn.execute(stmt).mappings()])


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
    """The session and its rows, each with ``minutes`` present and ``open_end``
    (admin.time_present)."""
    session = q_program.get_session(conn, session_id)
    rows = session_attendance(conn, session_id)
    stays = minutes_by_person(conn, session)
    for row in rows:
        presence = stays.get(row["id"])
        row["minutes"] = presence.minutes if presence else 0
        row["open_end"] = presence.open_end if presence else False
    return session, rows


def minutes_by_person(conn: Connection, session: dict[str, Any],
                      person_id: int | None = None) -> dict[int, Presence]:
    """Minutes present in ``session`` per person (or only ``person_id``'s), from its
    admitted entries and exits."""
    moves: dict[int, list[tuple[Any, str]]] = {}
    stmt = select(scans.c.attendee_id, scans.c.scan_time, scans.c.direction).where(
        scans.c.session_id == session["id"], scans.c.event_id == session["event_id"],
        scans.c.admitted, scans.c.direction.is_not(None), scans.c.attendee_id.is_not(None))
    if person_id is not None:
        stmt = stmt.where(scans.c.attendee_id == person_id)
    for person, when, direction in conn.execute(stmt):
        moves.setdefault(person, []).append((when, direction))
    return {p: minutes_present(m, session["starts_at"], session["ends_at"])
            for p, m in moves.items()}


def minutes_note(row: dict[str, Any], tr: Any) -> str:
    """``95`` or ``95 (bez wyjścia)`` for the list's minutes column."""
    text = str(row.get("minutes", 0))
    return f"{text} ({tr('bez wyjścia', 'no exit')})" if row.get("open_end") else text


def signin_list(conn: Connection, session: dict[str, Any]) -> list[dict[str, Any]]:
    """Who goes on a session's sign-in sheet: its registrations, or (a session without
    them) every active participant of the event; by surname."""
    reg = select(registrations.c.person_id).where(
        registrations.c.session_id == session["id"])
    stmt = select(people.c.id, people.c.first_name, people.c.last_name,
                  people.c.institution).where(people.c.event_id == session["event_id"],
                                              people.c.status == "active")
    if conn.execute(reg.limit(1)).first() is not None:
        stmt = stmt.where(people.c.id.in_(reg))
    return by_name([dict(r) for r in conn.execute(stmt).mappings()])


# -- certificates: who meets the event's rule ---------------------------------------------


def set_certificate_rule(conn: Connection, event_id: int, min_percent: int, basis: str) -> None:
    from admin.errors import Invalid

    if basis not in ("session", "day"):
        raise Invalid("Wybierz: sesja albo dzień", "Choose: session or day")
    if not 0 <= min_percent <= 100:
        raise Invalid("Próg to od 0 do 100 %", "The threshold is 0 to 100 %")
    conn.execute(update(events).where(events.c.id == event_id).values(
        certificate_min_percent=min_percent, certificate_basis=basis))


class EventMinutes:
    """Minutes present of everyone in every session of an event, read once (bulk
    certificates)."""

    def __init__(self, conn: Connection, event: dict[str, Any],
                 person_id: int | None = None) -> None:
        self.event = event
        self.program = q_program.list_sessions(conn, event["id"])
        self.by_session = {s["id"]: minutes_by_person(conn, s, person_id)
                           for s in self.program}

    def people(self) -> set[int]:
        return {p for stays in self.by_session.values() for p in stays}


def certificate_sessions(conn: Connection, event: dict[str, Any], person_id: int,
                         minutes: EventMinutes | None = None) -> list[dict[str, Any]]:
    """The sessions a certificate lists under the event's rule, each with ``minutes``
    present and its ``length``: every session where the person met the share, or (basis
    "day") every session of the days where their minutes met the share of the program."""
    minutes = minutes or EventMinutes(conn, event)
    percent, basis = event["certificate_min_percent"], event["certificate_basis"]
    attended = []
    for session in minutes.program:
        stay = minutes.by_session[session["id"]].get(person_id)
        length = session_minutes(session["starts_at"], session["ends_at"])
        attended.append({**session, "minutes": stay.minutes if stay else 0, "length": length})
    if basis == "session":
        return [s for s in attended if meets_rule(s["minutes"], s["length"], percent)]
    by_day: dict[Any, list[dict[str, Any]]] = {}
    for s in attended:
        by_day.setdefault(event_day(event, s["starts_at"]), []).append(s)
    out = []
    for day_sessions in by_day.values():
        present = sum(s["minutes"] for s in day_sessions)
        length = sum(s["length"] for s in day_sessions)
        if meets_rule(present, length, percent):
            out += [s for s in day_sessions if s["minutes"] > 0]
    return out


def minutes_per_day(conn: Connection, event_id: int, person_id: int
                    ) -> list[tuple[Any, int, bool]]:
    """(day, minutes present in that day's sessions, any stay without exit) of a person."""
    days: dict[Any, tuple[int, bool]] = {}
    zone = q_events.timezone_of(conn, event_id)
    for session in q_program.list_sessions(conn, event_id):
        stay = minutes_by_person(conn, session, person_id).get(person_id)
        if stay is None:
            continue
        day = event_day(zone, session["starts_at"])
        total, open_end = days.get(day, (0, False))
        days[day] = (total + stay.minutes, open_end or stay.open_end)
    return [(d, m, o) for d, (m, o) in sorted(days.items())]
