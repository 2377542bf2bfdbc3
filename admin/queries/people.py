"""One person at the help desk: details, check-ins, name fixes, badge replacement, walk-ins."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from admin.errors import Conflict, Invalid, NotFound
from admin.queries import audit
from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.scans import record_scans
from admin.schema import (
    badge_revisions,
    kiosks,
    people,
    presence,
    registrations,
    scans,
    sessions,
    utcnow,
)
from admin.textnorm import fold, tidy
from sync.rules import session_entry
from sync.scans import ScanRecord, new_scan_id
from sync.timekeeping import event_day

ROLES = ("participant", "speaker", "organizer", "press", "volunteer", "guest")
STATUSES = ("active", "cancelled")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def get_person(conn: Connection, person_id: int) -> dict[str, Any]:
    row = conn.execute(select(people).where(people.c.id == person_id)).mappings().first()
    if row is None:
        raise NotFound("Nie ma takiej osoby", "No such person")
    return dict(row)


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    first, last = tidy(data.get("first_name", "")), tidy(data.get("last_name", ""))
    if not first or not last:
        raise Invalid("Podaj imię i nazwisko", "Give the first and last name")
    email = tidy(data.get("email") or "").replace(" ", "") or None
    if email and not _EMAIL.match(email):
        raise Invalid(f"Nieprawidłowy adres e-mail: {email}", f"Invalid e-mail address: {email}")
    role = data.get("role") or "participant"
    if role not in ROLES:
        raise Invalid("Nieznana rola", "Unknown role")
    institution = tidy(data.get("institution", ""))
    return {
        "first_name": first, "last_name": last, "email": email,
        "email_norm": email.lower() if email else None, "institution": institution,
        "position": tidy(data.get("position", "")), "role": role,
        "name_key": fold(f"{first} {last}"), "institution_key": fold(institution),
    }


def _email_taken(conn: Connection, event_id: int, email_norm: str | None,
                 except_id: int | None = None) -> int | None:
    if not email_norm:
        return None
    stmt = select(people.c.id).where(people.c.event_id == event_id,
                                     people.c.email_norm == email_norm)
    if except_id is not None:
        stmt = stmt.where(people.c.id != except_id)
    return conn.execute(stmt).scalar()


def update_person(conn: Connection, person_id: int, data: dict[str, Any], username: str) -> None:
    """Fix a typo in a name, institution, e-mail or role; the change is audited."""
    person = get_person(conn, person_id)
    values = _clean({**person, **data})
    if _email_taken(conn, person["event_id"], values["email_norm"], person_id):
        raise Conflict("Ten adres e-mail ma już inna osoba",
                       "Another person already has this e-mail address")
    status = data.get("status", person["status"])
    if status not in STATUSES:
        raise Invalid("Nieznany status", "Unknown status")
    values["status"] = status
    changed = {k: (person[k], v) for k, v in values.items()
               if person[k] != v and not k.endswith(("_key", "_norm"))}
    if not changed:
        return
    conn.execute(update(people).where(people.c.id == person_id)
                 .values(**values, updated_at=utcnow()))
    q_events.bump_people_version(conn, person["event_id"])
    audit.log(conn, username, "edit", event_id=person["event_id"], person_id=person_id,
              detail="; ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in changed.items()))


def likely_matches(conn: Connection, event_id: int, data: dict[str, Any],
                   limit: int = 10) -> list[dict[str, Any]]:
    """People of the event a walk-in may already be: the same name (letters' accents and
    case aside, in either order), or the same e-mail address. Each with ``why`` (``email``,
    ``name_institution``, ``name``) and whether they are checked in today."""
    values = _clean(data)
    first, last = fold(values["first_name"]), fold(values["last_name"])
    names = {f"{first} {last}", f"{last} {first}"}
    wanted = people.c.name_key.in_(sorted(names))
    if values["email_norm"]:
        wanted = wanted | (people.c.email_norm == values["email_norm"])
    rows = conn.execute(select(people.c.id, people.c.first_name, people.c.last_name,
                               people.c.institution, people.c.institution_key,
                               people.c.email_norm, people.c.status)
                        .where(people.c.event_id == event_id, wanted)
                        .order_by(people.c.id).limit(limit)).mappings().all()
    today = event_day(q_events.timezone_of(conn, event_id), utcnow())
    inside = set(conn.execute(select(presence.c.person_id).where(
        presence.c.event_id == event_id, presence.c.day == today,
        presence.c.person_id.in_([r["id"] for r in rows]))).scalars())
    order = {"email": 0, "name_institution": 1, "name": 2}
    out = []
    for r in rows:
        if values["email_norm"] and r["email_norm"] == values["email_norm"]:
            why = "email"
        elif values["institution_key"] and r["institution_key"] == values["institution_key"]:
            why = "name_institution"
        else:
            why = "name"
        out.append({**dict(r), "why": why, "checked_in_today": r["id"] in inside})
    return sorted(out, key=lambda m: (order[m["why"]], m["id"]))


def create_walk_in(conn: Connection, event_id: int, data: dict[str, Any], username: str) -> int:
    """Register someone on the spot; their badge is revision 1."""
    q_events.get_event(conn, event_id)
    values = _clean(data)
    other = _email_taken(conn, event_id, values["email_norm"])
    if other:
        raise Conflict(f"Ta osoba jest już zarejestrowana (nr {other})",
                       f"This person is already registered (no. {other})")
    now = utcnow()
    person_id = int(conn.execute(insert(people).values(
        event_id=event_id, status="active", badge_revision=1, source="walk_in",
        invitation_status="none", invitation_error="", created_at=now, updated_at=now, **values,
    )).inserted_primary_key[0])
    conn.execute(insert(badge_revisions).values(person_id=person_id, revision=1, issued_at=now,
                                                issued_by=username, reason="walk-in"))
    q_events.bump_people_version(conn, event_id)
    audit.log(conn, username, "walk_in", event_id=event_id, person_id=person_id)
    return person_id


def replace_badge(conn: Connection, person_id: int, username: str, reason: str = "") -> int:
    """Revoke the current badge and issue revision n+1; return the new revision."""
    person = get_person(conn, person_id)
    old = int(person["badge_revision"])
    new = old + 1
    if new > 2**16 - 1:
        raise Conflict("Wyczerpano numery identyfikatorów", "No badge revisions left")
    now = utcnow()
    known = conn.execute(select(badge_revisions.c.revision).where(
        badge_revisions.c.person_id == person_id, badge_revisions.c.revision == old)).first()
    if known is None:  # people added before revisions were recorded
        conn.execute(insert(badge_revisions).values(person_id=person_id, revision=old,
                                                    issued_at=person["created_at"],
                                                    reason="initial"))
    conn.execute(update(badge_revisions)
                 .where(badge_revisions.c.person_id == person_id,
                        badge_revisions.c.revoked_at.is_(None))
                 .values(revoked_at=now))
    conn.execute(insert(badge_revisions).values(
        person_id=person_id, revision=new, issued_at=now, issued_by=username,
        reason=tidy(reason)[:200] or "replacement"))
    conn.execute(update(people).where(people.c.id == person_id)
                 .values(badge_revision=new, updated_at=now))
    q_events.bump_people_version(conn, person["event_id"])
    audit.log(conn, username, "replace_badge", event_id=person["event_id"], person_id=person_id,
              detail=f"revision {old} -> {new}: {reason}")
    return new


def badge_history(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    stmt = (select(badge_revisions).where(badge_revisions.c.person_id == person_id)
            .order_by(badge_revisions.c.revision.desc()))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def person_scans(conn: Connection, person_id: int, limit: int = 100) -> list[dict[str, Any]]:
    stmt = (select(scans, sessions.c.title.label("session_title"),
                   kiosks.c.name.label("kiosk_name"))
            .outerjoin(sessions, sessions.c.id == scans.c.session_id)
            .outerjoin(kiosks, kiosks.c.id == scans.c.kiosk_id)
            .where(scans.c.attendee_id == person_id,
                   scans.c.event_id == select(people.c.event_id)
                   .where(people.c.id == person_id).scalar_subquery())
            .order_by(scans.c.scan_time.desc()).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def person_presence(conn: Connection, person_id: int) -> list[dict[str, Any]]:
    stmt = (select(presence, sessions.c.title.label("session_title"))
            .outerjoin(sessions, sessions.c.id == presence.c.session_id)
            .where(presence.c.person_id == person_id)
            .order_by(presence.c.first_in))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def checked_in_ids(conn: Connection, event_id: int, person_ids: list[int]) -> set[int]:
    """Which of these people came through the entrance (any day)."""
    if not person_ids:
        return set()
    stmt = select(presence.c.person_id).where(
        presence.c.event_id == event_id, presence.c.session_id == 0,
        presence.c.person_id.in_(person_ids)).distinct()
    return set(conn.execute(stmt).scalars())


ENTRY_REFUSALS = {
    "not_open": ("Ta sesja nie przyjmuje teraz wejść (wejście od 30 minut przed jej "
                 "początkiem do końca)", "This session does not take entries now (from 30 "
                 "minutes before its start until its end)"),
    "not_registered": ("Ta sesja wymaga zapisu, a ta osoba nie jest zapisana",
                       "This session needs registration and this person is not registered"),
    "full": ("Sesja jest pełna", "The session is full"),
    "outside_event": ("Dziś nie ma tego wydarzenia: wejście tylko w dniach wydarzenia",
                      "The event is not on today: check-in only on the event's days"),
}


class EntryRefused(Conflict):
    """The rules every check-in path shares (``sync.rules.session_entry``) refuse this
    entry; an organizer may record it anyway with a written reason."""

    code = "entry_refused"

    def __init__(self, result: str) -> None:
        super().__init__(*ENTRY_REFUSALS[result])
        self.result = result


def check_in_by_hand(conn: Connection, person_id: int, session_id: int | None,
                     username: str, direction: str = "in",
                     override_reason: str = "") -> str:
    """Record a help-desk check-in as a manual scan; return its result code.

    An entry into a session passes the same gate as at a kiosk (time window, registration,
    capacity: ``sync.rules.session_entry``) or raises :class:`EntryRefused`; with an
    ``override_reason`` (the caller checks that an organizer gave it) it is recorded anyway,
    the reason kept with the scan and shown on the attendance list."""
    person = get_person(conn, person_id)
    if person["status"] != "active":
        raise Conflict("Rejestracja tej osoby jest anulowana",
                       "This person's registration is cancelled")
    override_reason = tidy(override_reason)[:500]
    session: dict[str, Any] | None = None
    if session_id is not None:
        try:
            session = q_program.get_session(conn, session_id)
        except NotFound:
            session = None
        if session is None or session["event_id"] != person["event_id"]:
            raise Invalid("Nie ma takiej sesji w tym wydarzeniu", "No such session in this event")
    now = utcnow()
    event = q_events.get_event(conn, person["event_id"])
    today = event_day(event, now)
    already = conn.execute(select(presence.c.person_id).where(
        presence.c.event_id == person["event_id"], presence.c.person_id == person_id,
        presence.c.session_id == (session_id or 0), presence.c.day == today,
        presence.c.inside)).first()
    result = "already_checked_in" if already and direction == "in" else "ok"
    outside = not event["starts_on"] <= today <= event["ends_on"]
    if direction == "in" and outside and not override_reason:
        # As at a kiosk's entrance (kiosk.decide) and at an upload (sync.rules: the
        # admin holds such a scan as outside_event): no admission on another day.
        raise EntryRefused("outside_event")
    if session_id is not None and direction == "in" and result == "ok":
        entry = _session_entry(conn, session, person_id, now)
        if entry != "ok" and not override_reason:
            raise EntryRefused(entry)
        if entry == "ok" and not outside:
            override_reason = ""
    elif not (outside and direction == "in"):
        override_reason = ""
    record = ScanRecord(
        id=new_scan_id(), kiosk_id="helpdesk", event_id=person["event_id"],
        attendee_id=person_id, badge_revision=person["badge_revision"], session_id=session_id,
        direction=direction if session_id is not None else None, result=result,
        admitted=True, source="manual", wall_time=now, monotonic_ns=time.monotonic_ns(),
        boot_id="admin", raw=None)
    record_scans(conn, [record], override_reason=override_reason)
    detail = f"session {session_id or 'entrance'} {direction}: {result}"
    if override_reason:
        detail += f" (override: {override_reason})"
    audit.log(conn, username, "check_in", event_id=person["event_id"], person_id=person_id,
              detail=detail)
    return result


def _session_entry(conn: Connection, session: dict[str, Any], person_id: int,
                   now: Any) -> str:
    registered = conn.execute(select(registrations.c.person_id).where(
        registrations.c.session_id == session["id"],
        registrations.c.person_id == person_id)).first() is not None
    occupancy = conn.execute(select(func.count()).select_from(presence).where(
        presence.c.event_id == session["event_id"], presence.c.session_id == session["id"],
        presence.c.inside)).scalar_one()
    facts = SimpleNamespace(starts_at=session["starts_at"], ends_at=session["ends_at"],
                            capacity=q_program.effective_capacity(session),
                            registration_required=session["registration_required"])
    return session_entry(facts, now, registered=registered, occupancy=occupancy)
