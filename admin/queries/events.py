"""Events and their signing keys. The private key is read here and nowhere else."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, func, insert, select, update

from admin.errors import Invalid, NotFound
from admin.schema import events, people, scans, signing_keys, utcnow
from sync import token
from sync.timekeeping import DEFAULT_TIMEZONE, event_day


def _check(name: str, starts_on: date, ends_on: date) -> str:
    name = " ".join(name.split())
    if not name:
        raise Invalid("Podaj nazwę wydarzenia", "Give the event a name")
    if ends_on < starts_on:
        raise Invalid("Wydarzenie kończy się przed rozpoczęciem",
                      "The event ends before it starts")
    return name


def _check_timezone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"Nieznana strefa czasowa: {timezone}",
                      f"Unknown time zone: {timezone}") from None
    return timezone


def create_event(conn: Connection, name: str, starts_on: date, ends_on: date,
                 timezone: str = DEFAULT_TIMEZONE) -> int:
    """Create an event and its Ed25519 signing key (kept only in this database)."""
    name = _check(name, starts_on, ends_on)
    timezone = _check_timezone(timezone)
    now = utcnow()
    event_id = conn.execute(
        insert(events).values(name=name, starts_on=starts_on, ends_on=ends_on,
                              timezone=timezone, people_version=0, created_at=now)
    ).inserted_primary_key[0]
    key = token.generate_key()
    conn.execute(insert(signing_keys).values(
        event_id=event_id, public_key=token.public_key_text(key),
        private_pem=token.private_key_to_pem(key).decode("ascii"), active=True, created_at=now,
    ))
    return int(event_id)


def update_event(conn: Connection, event_id: int, name: str, starts_on: date,
                 ends_on: date, timezone: str | None = None) -> None:
    """``timezone`` None keeps the event's. It changes only before the first scan: the
    days presence was counted on (and the lists and certificates) follow from it."""
    name = _check(name, starts_on, ends_on)
    event = get_event(conn, event_id)
    values: dict[str, Any] = {"name": name, "starts_on": starts_on, "ends_on": ends_on}
    if timezone is not None and timezone.strip() != event["timezone"]:
        values["timezone"] = _check_timezone(timezone.strip())
        if conn.execute(select(scans.c.id).where(scans.c.event_id == event_id).limit(1)).first():
            raise Invalid("Strefy czasowej nie można zmienić po pierwszym skanie: dni obecności "
                          "są już w niej policzone.",
                          "The time zone cannot change after the first scan: days of presence "
                          "are already counted in it.")
    conn.execute(update(events).where(events.c.id == event_id).values(**values))
    bump_people_version(conn, event_id)  # kiosks print the name and check the dates


# The invitation's words beyond the program: (column, limit, Polish and English label).
INVITATION_FIELDS = (
    ("help_desk_pl", 300, "Punkt informacyjny na miejscu (po polsku)",
     "Help desk on site (in Polish)"),
    ("help_desk_en", 300, "Punkt informacyjny na miejscu (po angielsku)",
     "Help desk on site (in English)"),
    ("contact_email", 320, "E-mail do organizatorów", "Organizers' e-mail"),
    ("contact_phone", 64, "Telefon do organizatorów", "Organizers' phone"),
    ("bring_pl", 1000, "Co zabrać (po polsku)", "What to bring (in Polish)"),
    ("bring_en", 1000, "Co zabrać (po angielsku)", "What to bring (in English)"),
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def update_invitation_details(conn: Connection, event_id: int, values: dict[str, str]) -> None:
    """Help desk, contact and what to bring, as the invitation e-mail states them."""
    clean: dict[str, str] = {}
    for name, limit, label_pl, label_en in INVITATION_FIELDS:
        value = " ".join(str(values.get(name, "")).split())
        if len(value) > limit:
            raise Invalid(f"{label_pl}: najwyżej {limit} znaków",
                          f"{label_en}: at most {limit} characters")
        clean[name] = value
    if clean["contact_email"] and not _EMAIL.match(clean["contact_email"]):
        raise Invalid(f"Nieprawidłowy adres e-mail: {clean['contact_email']}",
                      f"Invalid e-mail address: {clean['contact_email']}")
    before = get_event(conn, event_id)
    conn.execute(update(events).where(events.c.id == event_id).values(**clean))
    if (before["help_desk_pl"], before["help_desk_en"]) != (clean["help_desk_pl"],
                                                            clean["help_desk_en"]):
        bump_people_version(conn, event_id)  # kiosks send people to the help desk by name


def get_event(conn: Connection, event_id: int) -> dict[str, Any]:
    row = conn.execute(select(events).where(events.c.id == event_id)).mappings().first()
    if row is None:
        raise NotFound(f"Nie ma wydarzenia {event_id}", f"No event {event_id}")
    return dict(row)


def timezones(conn: Connection, event_ids: Iterable[int]) -> dict[int, str]:
    """Each event's time zone: its days (presence, counts) are counted in it."""
    ids = sorted(set(event_ids))
    if not ids:
        return {}
    return {r.id: r.timezone for r in conn.execute(
        select(events.c.id, events.c.timezone).where(events.c.id.in_(ids)))}


def timezone_of(conn: Connection, event_id: int) -> str:
    return timezones(conn, [event_id]).get(event_id, DEFAULT_TIMEZONE)


def list_events(conn: Connection) -> list[dict[str, Any]]:
    counts = (select(people.c.event_id, func.count().label("n"))
              .group_by(people.c.event_id).subquery())
    stmt = (select(events, func.coalesce(counts.c.n, 0).label("people_count"))
            .outerjoin(counts, counts.c.event_id == events.c.id)
            .order_by(events.c.starts_on.desc(), events.c.id.desc()))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def current_event_id(conn: Connection, now: datetime) -> int | None:
    """The event running now (its day in its own time zone), else the next one, else the
    latest."""
    rows = conn.execute(select(events.c.id, events.c.starts_on, events.c.ends_on,
                               events.c.timezone).order_by(events.c.starts_on)).all()
    if not rows:
        return None
    for r in rows:
        if r.starts_on <= event_day(r.timezone, now) <= r.ends_on:
            return int(r.id)
    upcoming = [r for r in rows if r.starts_on > event_day(r.timezone, now)]
    return int((upcoming[0] if upcoming else rows[-1]).id)


def public_keys(conn: Connection, event_id: int) -> list[str]:
    """Every public key of the event, the active one first (what kiosks verify with)."""
    rows = conn.execute(select(signing_keys.c.public_key)
                        .where(signing_keys.c.event_id == event_id)
                        .order_by(signing_keys.c.active.desc(), signing_keys.c.id.desc())).all()
    return [r.public_key for r in rows]


def signing_key(conn: Connection, event_id: int) -> Ed25519PrivateKey:
    row = conn.execute(select(signing_keys.c.private_pem)
                       .where(signing_keys.c.event_id == event_id, signing_keys.c.active)
                       .order_by(signing_keys.c.id.desc()).limit(1)).first()
    if row is None:
        raise NotFound("Wydarzenie nie ma klucza podpisu", "The event has no signing key")
    return token.private_key_from_pem(row.private_pem.encode("ascii"))


def issue_token(conn: Connection, event_id: int, person_id: int, revision: int) -> str:
    return token.issue(signing_key(conn, event_id), event_id, person_id, revision)


def bump_people_version(conn: Connection, event_id: int) -> None:
    conn.execute(update(events).where(events.c.id == event_id)
                 .values(people_version=events.c.people_version + 1))


def people_version(conn: Connection, event_id: int) -> int:
    value = conn.execute(select(events.c.people_version).where(events.c.id == event_id)).scalar()
    if value is None:
        raise NotFound(f"Nie ma wydarzenia {event_id}", f"No event {event_id}")
    return int(value)
