"""A kiosk's plan as the organizers set it on the Kiosks page (``sync.plan``).

The plan lives in the kiosk's row; every saved change raises ``plan_revision``, and the
heartbeat reply carries the plan built by :func:`plan_of`, so the kiosk follows it within
one contact. The checks the kiosk would make are ``sync.plan``'s; the ones only the admin
can make (the room is in the program, the session is in that room) are here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, select, update

from admin.errors import Invalid
from admin.schema import kiosks as kiosks_table
from admin.schema import rooms, sessions, utcnow, venues
from printers.profiles import PROFILES
from sync.plan import KioskPlan, PlanError, hash_pin

PRINTER_PROFILES: tuple[str, ...] = tuple(PROFILES)


@dataclass(frozen=True)
class PlanForm:
    """What the organizer typed. ``staff_pin``: a new PIN, "" to keep the one set, and
    ``clear_pin`` to go back to the kiosk's own."""

    mode: str = "entrance"
    room: str = ""
    direction: str = "toggle"
    session_id: str = ""
    language: str = "pl"
    result_seconds: str = "4"
    staff_pin: str = ""
    clear_pin: bool = False
    help_desk: str = ""
    printer_profile: str = ""

    @classmethod
    def of(cls, form: Mapping[str, str]) -> PlanForm:
        return cls(**{name: form.get(name, getattr(cls, name)) for name in (
            "mode", "room", "direction", "session_id", "language", "result_seconds",
            "staff_pin", "help_desk", "printer_profile")}, clear_pin=bool(form.get("clear_pin")))


def event_rooms(conn: Connection, event_id: int) -> set[str]:
    return set(conn.execute(select(rooms.c.name).join(venues, venues.c.id == rooms.c.venue_id)
                            .where(venues.c.event_id == event_id)).scalars())


def room_sessions(conn: Connection, event_id: int, room: str) -> list[dict[str, Any]]:
    """The sessions held in ``room``, in time order (a room kiosk can be pinned to one)."""
    return [dict(r) for r in conn.execute(
        select(sessions.c.id, sessions.c.title, sessions.c.starts_at, sessions.c.ends_at)
        .join(rooms, rooms.c.id == sessions.c.room_id)
        .where(sessions.c.event_id == event_id, rooms.c.name == room)
        .order_by(sessions.c.starts_at, sessions.c.id)).mappings()]


def plan_of(conn: Connection, kiosk: Mapping[str, Any]) -> KioskPlan:
    """The plan the kiosk's row holds. A pinned session deleted from the program since
    (or moved to another room) pins nothing: the kiosk follows the program."""
    session_id = kiosk["session_id"]
    if session_id is not None and kiosk["mode"] == "room" and not any(
            s["id"] == session_id
            for s in room_sessions(conn, kiosk["event_id"], kiosk["room"])):
        session_id = None
    room_kiosk = kiosk["mode"] == "room"
    return KioskPlan(
        revision=kiosk["plan_revision"], mode=kiosk["mode"],
        room=kiosk["room"] if room_kiosk else "",
        direction=kiosk["direction"] if room_kiosk else "toggle",
        session_id=session_id if room_kiosk else None, language=kiosk["language"],
        result_seconds=kiosk["result_seconds"], staff_pin_hash=kiosk["staff_pin_hash"],
        help_desk=kiosk["help_desk"], printer_profile=kiosk["printer_profile"])


def save_plan(conn: Connection, kiosk: Mapping[str, Any], form: PlanForm) -> KioskPlan:
    """Check ``form`` against the event and the rules of ``sync.plan``, store it as the
    next revision (only when something changed), and return the plan. Raises Invalid."""
    room = " ".join(form.room.split()) if form.mode == "room" else ""
    if form.mode == "room" and room not in event_rooms(conn, kiosk["event_id"]):
        raise Invalid(f"W programie wydarzenia nie ma sali „{room}”.",
                      f"The event's program has no room “{room}”.")
    session_id: int | None = None
    if form.session_id.strip() and form.mode == "room":
        if not re.fullmatch(r"[0-9]{1,9}", form.session_id.strip()) or int(form.session_id) not in {
                s["id"] for s in room_sessions(conn, kiosk["event_id"], room)}:
            raise Invalid("Ta sesja nie odbywa się w wybranej sali.",
                          "That session is not held in the chosen room.")
        session_id = int(form.session_id)
    if form.printer_profile and form.printer_profile not in PRINTER_PROFILES:
        raise Invalid("Nieznany profil drukarki.", "Unknown printer profile.")
    try:
        seconds = float(form.result_seconds.replace(",", "."))
    except ValueError:
        raise Invalid("Czas wyniku to liczba sekund.",
                      "The result time is a number of seconds.") from None
    try:
        pin_hash = ("" if form.clear_pin else hash_pin(form.staff_pin.strip())
                    if form.staff_pin.strip() else kiosk["staff_pin_hash"])
        plan = KioskPlan(
            revision=kiosk["plan_revision"], mode=form.mode,  # type: ignore[arg-type]
            room=room, direction=form.direction if form.mode == "room" else "toggle",  # type: ignore[arg-type]
            session_id=session_id, language=form.language,  # type: ignore[arg-type]
            result_seconds=seconds, staff_pin_hash=pin_hash,
            help_desk=" ".join(form.help_desk.split()), printer_profile=form.printer_profile)
    except PlanError as exc:
        raise Invalid(exc.pl, str(exc)) from None
    except ValidationError as exc:
        raise Invalid(_problem_pl(exc), _problem_en(exc)) from None
    if plan == plan_of(conn, kiosk):
        return plan
    plan = plan.model_copy(update={"revision": kiosk["plan_revision"] + 1})
    conn.execute(update(kiosks_table).where(kiosks_table.c.id == kiosk["id"]).values(
        mode=plan.mode, room=plan.room, direction=plan.direction, session_id=plan.session_id,
        language=plan.language, result_seconds=plan.result_seconds,
        staff_pin_hash=plan.staff_pin_hash, help_desk=plan.help_desk,
        printer_profile=plan.printer_profile, plan_revision=plan.revision,
        plan_changed_at=utcnow()))
    return plan


_FIELD_WORDS = {
    "mode": ("tryb", "mode"), "direction": ("kierunek", "direction"),
    "language": ("język", "language"), "result_seconds": ("czas wyniku", "result time"),
    "help_desk": ("punkt informacyjny", "help desk"), "room": ("sala", "room"),
}


def _plan_error(exc: ValidationError) -> PlanError | None:
    error = exc.errors()[0].get("ctx", {}).get("error")
    return error if isinstance(error, PlanError) else None


def _field(exc: ValidationError, lang: int) -> str:
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    return _FIELD_WORDS.get(name, (name, name))[lang]


def _problem_pl(exc: ValidationError) -> str:
    if (error := _plan_error(exc)) is not None:
        return error.pl[:1].upper() + error.pl[1:] + "."
    return f"Niepoprawna wartość: {_field(exc, 0)}."


def _problem_en(exc: ValidationError) -> str:
    if (error := _plan_error(exc)) is not None:
        return str(error)[:1].upper() + str(error)[1:] + "."
    return f"Not a valid value: {_field(exc, 1)}."


def plan_words(kiosk: Mapping[str, Any]) -> tuple[str, str]:
    """Which plan revision the kiosk follows, against the one saved (Polish, English)."""
    wanted, seen = kiosk["plan_revision"], kiosk.get("plan_seen") or 0
    if seen >= wanted:
        return f"plan w. {wanted}: stosuje", f"plan rev. {wanted}: followed"
    if kiosk.get("last_contact_at") is None:
        return (f"plan w. {wanted}: czeka na pierwszy kontakt",
                f"plan rev. {wanted}: waiting for first contact")
    return (f"czeka na plan w. {wanted} (stosuje {seen or 'własny'})",
            f"waiting for plan rev. {wanted} (follows {seen or 'its own'})")
