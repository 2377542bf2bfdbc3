"""Building blocks for admin tests: an event with a program, people, written straight to the DB."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, insert

from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.schema import people, utcnow

# Day 2 of the congress, 10:00 Warsaw (UTC+2 in June).
DAY2_10 = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)


def make_event(engine: Engine) -> dict[str, Any]:
    """An event with a venue, two rooms, a plenary, a workshop (capacity 2, registration)."""
    with engine.begin() as conn:
        event_id = q_events.create_event(conn, "Małopolski Kongres Polityki Społecznej",
                                         date(2026, 6, 15), date(2026, 6, 17))
        venue = q_program.add_venue(conn, event_id, "Auditorium Maximum", "ul. Krupnicza 33")
        aula = q_program.add_room(conn, venue, "Aula", 600)
        sala = q_program.add_room(conn, venue, "Sala 101", 40)
        plenary = q_program.add_session(conn, event_id, {
            "title": "Sesja plenarna", "kind": "session", "room_id": aula,
            "starts_at": datetime(2026, 6, 16, 7, 0, tzinfo=UTC),
            "ends_at": datetime(2026, 6, 16, 10, 0, tzinfo=UTC), "capacity": None,
        })
        workshop = q_program.add_session(conn, event_id, {
            "title": "Warsztat: piecza zastępcza", "kind": "session", "room_id": sala,
            "starts_at": datetime(2026, 6, 16, 11, 0, tzinfo=UTC),
            "ends_at": datetime(2026, 6, 16, 13, 0, tzinfo=UTC), "capacity": 2,
            "registration_required": True,
        })
        walk = q_program.add_session(conn, event_id, {
            "title": "Gra miejska po Podgórzu", "kind": "side_event", "room_id": sala,
            "starts_at": datetime(2026, 6, 17, 12, 0, tzinfo=UTC),
            "ends_at": datetime(2026, 6, 17, 14, 0, tzinfo=UTC), "capacity": 25,
            "registration_required": True,
        })
    return {"id": event_id, "venue": venue, "aula": aula, "sala": sala, "plenary": plenary,
            "workshop": workshop, "walk": walk}


def add_person(engine: Engine, event_id: int, first: str, last: str, institution: str = "",
               email: str | None = None, **extra: Any) -> int:
    from admin.textnorm import fold

    now = utcnow()
    values = {
        "event_id": event_id, "first_name": first, "last_name": last, "email": email,
        "email_norm": email.lower() if email else None, "institution": institution,
        "name_key": fold(f"{first} {last}"), "institution_key": fold(institution),
        "created_at": now, "updated_at": now,
    }
    values.update(extra)
    with engine.begin() as conn:
        pid = conn.execute(insert(people).values(**values)).inserted_primary_key[0]
        q_events.bump_people_version(conn, event_id)
    return int(pid)


def span_today(engine: Engine, event_id: int) -> None:
    """Let the event run through today too: a kiosk on the real clock admits at its
    entrance only on the event's days, and the admin holds scans outside them."""
    from datetime import UTC, timedelta

    from sqlalchemy import update

    from admin.schema import events

    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == event_id).values(
            ends_on=max(date(2026, 6, 17), datetime.now(UTC).date() + timedelta(days=1))))
