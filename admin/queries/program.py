"""Venues, rooms, sessions and side events, and who registered for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from admin.errors import Conflict, Invalid, NotFound
from admin.queries import audit
from admin.queries.events import bump_people_version
from admin.schema import people, registrations, rooms, sessions, utcnow, venues, waitlist
from sync.collation import by_name

KINDS = ("session", "side_event")


def _name(value: str, what_pl: str, what_en: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise Invalid(f"Podaj nazwę: {what_pl}", f"Give a name: {what_en}")
    return value


def _capacity(value: int | None) -> int | None:
    if value is not None and value < 0:
        raise Invalid("Liczba miejsc nie może być ujemna", "Capacity cannot be negative")
    return value


# -- venues ------------------------------------------------------------------------------------


def add_venue(conn: Connection, event_id: int, name: str, address: str = "") -> int:
    name = _name(name, "miejsce", "venue")
    return int(conn.execute(insert(venues).values(
        event_id=event_id, name=name, address=address.strip())).inserted_primary_key[0])


def update_venue(conn: Connection, venue_id: int, name: str, address: str) -> None:
    name = _name(name, "miejsce", "venue")
    conn.execute(update(venues).where(venues.c.id == venue_id)
                 .values(name=name, address=address.strip()))
    bump_people_version(conn, get_venue(conn, venue_id)["event_id"])


def get_venue(conn: Connection, venue_id: int) -> dict[str, Any]:
    row = conn.execute(select(venues).where(venues.c.id == venue_id)).mappings().first()
    if row is None:
        raise NotFound("Nie ma takiego miejsca", "No such venue")
    return dict(row)


def delete_venue(conn: Connection, venue_id: int) -> None:
    try:
        with conn.begin_nested():
            conn.execute(delete(venues).where(venues.c.id == venue_id))
    except IntegrityError:
        raise Conflict("Najpierw usuń sesje w salach tego miejsca",
                       "Delete the sessions in this venue's rooms first") from None


def list_venues(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    out = [dict(v) for v in conn.execute(
        select(venues).where(venues.c.event_id == event_id).order_by(venues.c.name)).mappings()]
    room_rows = conn.execute(
        select(rooms).join(venues, venues.c.id == rooms.c.venue_id)
        .where(venues.c.event_id == event_id).order_by(rooms.c.name)).mappings().all()
    for v in out:
        v["rooms"] = [dict(r) for r in room_rows if r["venue_id"] == v["id"]]
    return out


# -- rooms -------------------------------------------------------------------------------------


def add_room(conn: Connection, venue_id: int, name: str, capacity: int | None) -> int:
    get_venue(conn, venue_id)
    return int(conn.execute(insert(rooms).values(
        venue_id=venue_id, name=_name(name, "sala", "room"),
        capacity=_capacity(capacity))).inserted_primary_key[0])


def get_room(conn: Connection, room_id: int) -> dict[str, Any]:
    row = conn.execute(
        select(rooms, venues.c.event_id, venues.c.name.label("venue_name"))
        .join(venues, venues.c.id == rooms.c.venue_id).where(rooms.c.id == room_id)
    ).mappings().first()
    if row is None:
        raise NotFound("Nie ma takiej sali", "No such room")
    return dict(row)


def update_room(conn: Connection, room_id: int, name: str, capacity: int | None) -> None:
    conn.execute(update(rooms).where(rooms.c.id == room_id)
                 .values(name=_name(name, "sala", "room"), capacity=_capacity(capacity)))
    bump_people_version(conn, get_room(conn, room_id)["event_id"])


def delete_room(conn: Connection, room_id: int) -> None:
    try:
        with conn.begin_nested():
            conn.execute(delete(rooms).where(rooms.c.id == room_id))
    except IntegrityError:
        raise Conflict("Najpierw usuń sesje w tej sali",
                       "Delete the sessions in this room first") from None


# -- sessions ----------------------------------------------------------------------------------


def _session_values(conn: Connection, event_id: int, data: dict[str, Any]) -> dict[str, Any]:
    title = _name(data.get("title", ""), "tytuł", "title")
    kind = data.get("kind", "session")
    if kind not in KINDS:
        raise Invalid("Nieznany rodzaj", "Unknown kind")
    starts_at: datetime = data["starts_at"]
    ends_at: datetime = data["ends_at"]
    if ends_at <= starts_at:
        raise Invalid("Sesja kończy się przed rozpoczęciem", "The session ends before it starts")
    room = get_room(conn, int(data["room_id"]))
    if room["event_id"] != event_id:
        raise Invalid("Sala należy do innego wydarzenia", "The room belongs to another event")
    return {
        "title": title, "kind": kind, "starts_at": starts_at, "ends_at": ends_at,
        "room_id": room["id"], "capacity": _capacity(data.get("capacity")),
        "registration_required": bool(data.get("registration_required")),
    }


def add_session(conn: Connection, event_id: int, data: dict[str, Any]) -> int:
    values = _session_values(conn, event_id, data)
    bump_people_version(conn, event_id)
    return int(conn.execute(insert(sessions).values(event_id=event_id, **values))
               .inserted_primary_key[0])


def update_session(conn: Connection, session_id: int, data: dict[str, Any]) -> None:
    current = get_session(conn, session_id)
    values = _session_values(conn, current["event_id"], data)
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))
    bump_people_version(conn, current["event_id"])


def delete_session(conn: Connection, session_id: int) -> None:
    event_id = get_session(conn, session_id)["event_id"]
    conn.execute(delete(sessions).where(sessions.c.id == session_id))
    bump_people_version(conn, event_id)


def _session_select() -> Any:
    reg_counts = (select(registrations.c.session_id, func.count().label("registered"))
                  .group_by(registrations.c.session_id).subquery())
    return (
        select(sessions, rooms.c.name.label("room_name"), rooms.c.capacity.label("room_capacity"),
               venues.c.name.label("venue_name"),
               func.coalesce(reg_counts.c.registered, 0).label("registered"))
        .join(rooms, rooms.c.id == sessions.c.room_id)
        .join(venues, venues.c.id == rooms.c.venue_id)
        .outerjoin(reg_counts, reg_counts.c.session_id == sessions.c.id)
    )


def get_session(conn: Connection, session_id: int) -> dict[str, Any]:
    row = conn.execute(_session_select().where(sessions.c.id == session_id)).mappings().first()
    if row is None:
        raise NotFound("Nie ma takiej sesji", "No such session")
    return dict(row)


def list_sessions(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    stmt = _session_select().where(sessions.c.event_id == event_id).order_by(
        sessions.c.starts_at, sessions.c.title)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def effective_capacity(session: dict[str, Any]) -> int | None:
    """The session's own limit, else its room's."""
    if session.get("capacity") is not None:
        return int(session["capacity"])
    cap = session.get("room_capacity")
    return int(cap) if cap is not None else None


# -- registrations -----------------------------------------------------------------------------


def registered_people(conn: Connection, session_id: int) -> list[dict[str, Any]]:
    stmt = (select(people.c.id, people.c.first_name, people.c.last_name, people.c.institution,
                   people.c.email, people.c.status, registrations.c.created_at)
            .join(registrations, registrations.c.person_id == people.c.id)
            .where(registrations.c.session_id == session_id))
    return by_name([dict(r) for r in conn.execute(stmt).mappings()])


def register(conn: Connection, session_id: int, person_id: int) -> bool:
    """Register a person for a session; False when already registered."""
    session = get_session(conn, session_id)
    person_event = conn.execute(select(people.c.event_id).where(people.c.id == person_id)).scalar()
    if person_event != session["event_id"]:
        raise Invalid("Ta osoba nie jest uczestnikiem tego wydarzenia",
                      "This person is not registered for this event")
    exists = conn.execute(select(registrations.c.person_id).where(
        registrations.c.session_id == session_id, registrations.c.person_id == person_id)).first()
    if exists:
        return False
    conn.execute(insert(registrations).values(session_id=session_id, person_id=person_id,
                                              created_at=utcnow()))
    return True


def register_within_capacity(conn: Connection, session_id: int, person_id: int) -> bool:
    """Register at the help desk: refused when the session's registrations are full."""
    session = get_session(conn, session_id)
    capacity = effective_capacity(session)
    if capacity is not None and int(session["registered"]) >= capacity:
        raise Conflict(f"Brak wolnych miejsc ({session['registered']}/{capacity})",
                       f"No seats left ({session['registered']}/{capacity})")
    return register(conn, session_id, person_id)


def unregister(conn: Connection, session_id: int, person_id: int) -> None:
    conn.execute(delete(registrations).where(registrations.c.session_id == session_id,
                                             registrations.c.person_id == person_id))


def change_registration(conn: Connection, session_id: int, person_id: int, username: str, *,
                        remove: bool = False, within_capacity: bool = False) -> None:
    """Register or unregister someone, and let kiosks know (roster version), audited.

    Every change to registrations goes through here, so none can miss the kiosks.
    """
    session = get_session(conn, session_id)
    if remove:
        unregister(conn, session_id, person_id)
    elif within_capacity:
        register_within_capacity(conn, session_id, person_id)
    else:
        register(conn, session_id, person_id)
    if not remove:  # seated now: off the session's waiting list
        conn.execute(delete(waitlist).where(waitlist.c.session_id == session_id,
                                            waitlist.c.person_id == person_id))
    bump_people_version(conn, session["event_id"])
    audit.log(conn, username, "unregister" if remove else "register",
              event_id=session["event_id"], person_id=person_id, detail=f"session {session_id}")


def sessions_of_person(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    stmt = (select(sessions.c.id, sessions.c.title, sessions.c.kind, sessions.c.starts_at,
                   sessions.c.ends_at)
            .join(registrations, registrations.c.session_id == sessions.c.id)
            .where(registrations.c.person_id == person_id).order_by(sessions.c.starts_at))
    return [dict(r) for r in conn.execute(stmt).mappings()]
