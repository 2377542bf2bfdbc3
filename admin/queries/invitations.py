"""Invitation state per person, and what the invitation e-mail reads from the program.

See ``admin.invitations`` for the states and why a "sending" left behind is uncertain.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select, update

from admin.invitation_letter import Day, Letter, Place, Registration
from admin.schema import UTCDateTime, people, registrations, rooms, sessions, utcnow, venues
from printers.layout import format_event_dates

STATUSES = ("none", "sending", "sent", "failed")
# A "sending" older than this is not in flight any more: its mailing stopped (uncertain).
# Longer than handing one message over can take (smtp_timeout_seconds is at most 300).
IN_FLIGHT = timedelta(minutes=10)


# -- reading -----------------------------------------------------------------------------------


def status_counts(conn: Connection, event_id: int) -> dict[str, int]:
    rows = conn.execute(select(people.c.invitation_status, func.count())
                        .where(people.c.event_id == event_id, people.c.status == "active")
                        .group_by(people.c.invitation_status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def failed_people(conn: Connection, event_id: int, limit: int = 200) -> list[dict[str, Any]]:
    return _people_in(conn, event_id, "failed", limit)


def uncertain_people(conn: Connection, event_id: int, limit: int = 200,
                     now: datetime | None = None) -> list[dict[str, Any]]:
    """People whose invitation was handed over by a mailing that stopped before the answer."""
    cutoff = (now or utcnow()) - IN_FLIGHT
    return _people_in(conn, event_id, "sending", limit, people.c.invitation_attempted_at < cutoff)


def _people_in(conn: Connection, event_id: int, status: str, limit: int,
               *extra: Any) -> list[dict[str, Any]]:
    stmt = (select(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
                   people.c.invitation_error, people.c.invitation_attempted_at)
            .where(people.c.event_id == event_id, people.c.invitation_status == status, *extra)
            .order_by(people.c.last_name, people.c.first_name).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def pending_ids(conn: Connection, event_id: int, include_failed: bool = True,
                include_uncertain: bool = False, now: datetime | None = None) -> list[int]:
    """Who a mailing would write to: not sent yet, and (by choice) failed or uncertain."""
    wanted = people.c.invitation_status.in_(["none", "failed"] if include_failed else ["none"])
    if include_uncertain:
        wanted = wanted | _uncertain(now)
    stmt = (select(people.c.id)
            .where(people.c.event_id == event_id, people.c.status == "active",
                   people.c.email.is_not(None), wanted)
            .order_by(people.c.id))
    return list(conn.execute(stmt).scalars())


def sample_person(conn: Connection, event_id: int) -> Any:
    """The event's first active registrant (id, names, institution), or None."""
    return conn.execute(
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.institution)
        .where(people.c.event_id == event_id, people.c.status == "active")
        .order_by(people.c.id).limit(1)).first()


def _uncertain(now: datetime | None = None) -> Any:
    return ((people.c.invitation_status == "sending")
            & (people.c.invitation_attempted_at < (now or utcnow()) - IN_FLIGHT))


def load_letter(conn: Connection, event: dict[str, Any]) -> Letter:
    """The event's part of every invitation: each day's first session and its places."""
    tz = ZoneInfo(event["timezone"])
    rows = conn.execute(
        select(sessions.c.kind, sessions.c.starts_at, venues.c.name, venues.c.address)
        .join(rooms, rooms.c.id == sessions.c.room_id)
        .join(venues, venues.c.id == rooms.c.venue_id)
        .where(sessions.c.event_id == event["id"])
        .order_by(sessions.c.starts_at, sessions.c.id)).all()
    main = [r for r in rows if r.kind == "session"] or list(rows)  # side events: own places
    days: dict[date, tuple[str, list[Place]]] = {}
    for r in main:
        local = r.starts_at.astimezone(tz)
        first, places = days.setdefault(local.date(), (f"{local.hour}:{local.minute:02d}", []))
        place = Place(r.name, r.address)
        if place not in places:
            places.append(place)
    return Letter(
        event_name=event["name"], dates=format_event_dates(event["starts_on"], event["ends_on"]),
        days=tuple(Day(d, first, tuple(places)) for d, (first, places) in days.items()),
        help_desk_pl=event["help_desk_pl"], help_desk_en=event["help_desk_en"],
        contact_email=event["contact_email"], contact_phone=event["contact_phone"],
        bring_pl=event["bring_pl"], bring_en=event["bring_en"])


def load_registrations(conn: Connection, event: dict[str, Any]
                       ) -> dict[int, tuple[Registration, ...]]:
    """Person id -> the sessions and side events they registered for, in time order."""
    tz = ZoneInfo(event["timezone"])
    rows = conn.execute(
        select(registrations.c.person_id, sessions.c.title, sessions.c.starts_at,
               sessions.c.ends_at, rooms.c.name.label("room"), venues.c.name.label("venue"),
               venues.c.address)
        .join(sessions, sessions.c.id == registrations.c.session_id)
        .join(rooms, rooms.c.id == sessions.c.room_id)
        .join(venues, venues.c.id == rooms.c.venue_id)
        .where(sessions.c.event_id == event["id"])
        .order_by(registrations.c.person_id, sessions.c.starts_at)).all()
    out: dict[int, list[Registration]] = {}
    for r in rows:
        start, end = r.starts_at.astimezone(tz), r.ends_at.astimezone(tz)
        when = (f"{start.day}.{start.month:02d}.{start.year}, {start.hour}:{start.minute:02d}"
                f"–{end.hour}:{end.minute:02d}")
        where = ", ".join(x for x in (r.room, r.venue, r.address) if x)
        out.setdefault(r.person_id, []).append(Registration(r.title, when, where))
    return {pid: tuple(regs) for pid, regs in out.items()}


# -- writing -----------------------------------------------------------------------------------


class Writes:
    """The two writes of a mailing, built once (SQLAlchemy builds a statement in about as
    long as SQLite runs it). ``kind`` names the mail and its columns: ``invitation`` or
    ``certificate`` (``people.<kind>_status`` and its neighbours), same states."""

    def __init__(self, event_id: int, statuses: tuple[str, ...], take_uncertain: bool,
                 kind: str = "invitation"):
        self.event_id = event_id
        status, attempted = people.c[f"{kind}_status"], people.c[f"{kind}_attempted_at"]
        waiting = status.in_(statuses)
        if take_uncertain:
            waiting = waiting | ((status == "sending") & (attempted < bindparam("cutoff")))
        self.claim = (
            update(people)
            .where(people.c.id == bindparam("pid"), people.c.event_id == event_id,
                   people.c.status == "active", people.c.email.is_not(None), waiting)
            .values({status: "sending", people.c[f"{kind}_error"]: "",
                     attempted: bindparam("now")})
            .returning(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
                       people.c.institution, people.c.role, people.c.badge_revision))
        sent_at = people.c[f"{kind}_sent_at"]
        self.mark = (
            update(people).where(people.c.id == bindparam("pid"))
            .values({status: bindparam("state"), people.c[f"{kind}_error"]: bindparam("error"),
                     sent_at: func.coalesce(bindparam("sent_at", type_=UTCDateTime), sent_at)}))

    def take(self, conn: Connection, person_id: int) -> Any:
        """Mark the person "sending" if they are still waiting; their row, or None."""
        now = utcnow()
        return conn.execute(self.claim, {"pid": person_id, "now": now,
                                         "cutoff": now - IN_FLIGHT}).first()

    def record(self, conn: Connection, person_id: int, status: str, error: str = "") -> None:
        conn.execute(self.mark, {"pid": person_id, "state": status, "error": error[:500],
                                 "sent_at": utcnow() if status == "sent" else None})
