"""Kiosks as the admin knows them, and commands queued for them (badge reprints).

The sync layer delivers pending commands and records each kiosk's contact and state with
:func:`record_status`; the help desk only queues.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from admin.errors import Invalid, NotFound
from admin.schema import kiosk_commands, kiosks, utcnow


def list_kiosks(conn: Connection, event_id: int | None = None) -> list[dict[str, Any]]:
    stmt = select(kiosks).where(kiosks.c.revoked_at.is_(None)).order_by(kiosks.c.id)
    if event_id is not None:
        stmt = stmt.where((kiosks.c.event_id == event_id) | kiosks.c.event_id.is_(None))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def get_kiosk(conn: Connection, kiosk_id: str, *, lock: bool = False) -> dict[str, Any]:
    stmt = select(kiosks).where(kiosks.c.id == kiosk_id)
    row = conn.execute(stmt.with_for_update() if lock else stmt).mappings().first()
    if row is None:
        raise NotFound("Nie ma takiego kiosku", "No such kiosk")
    return dict(row)


def ensure_kiosk(conn: Connection, kiosk_id: str, event_id: int | None = None, name: str = "",
                 mode: str = "entrance", room: str = "") -> None:
    """Create the kiosk row when missing (enrollment proper belongs to the sync layer)."""
    if conn.execute(select(kiosks.c.id).where(kiosks.c.id == kiosk_id)).first() is None:
        conn.execute(insert(kiosks).values(id=kiosk_id, event_id=event_id, name=name or kiosk_id,
                                           mode=mode, room=room, enrolled_at=utcnow()))


def record_status(
    conn: Connection,
    kiosk_id: str,
    *,
    queue_length: int | None = None,
    printer_state: str | None = None,
    camera_state: str | None = None,
    clock_offset_ms: int | None = None,
    at: datetime | None = None,
) -> None:
    """A kiosk made contact: remember when and what it reported."""
    values: dict[str, Any] = {"last_contact_at": at or utcnow()}
    for name, value in (("queue_length", queue_length), ("printer_state", printer_state),
                        ("camera_state", camera_state), ("clock_offset_ms", clock_offset_ms)):
        if value is not None:
            values[name] = value
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(**values))


def queue_command(conn: Connection, kiosk_id: str, kind: str, payload: dict[str, Any],
                  username: str) -> int:
    get_kiosk(conn, kiosk_id)
    return int(conn.execute(insert(kiosk_commands).values(
        kiosk_id=kiosk_id, kind=kind, payload=json.dumps(payload, ensure_ascii=False),
        person_id=payload.get("attendee_id"), status="pending", created_by=username,
        created_at=utcnow())).inserted_primary_key[0])


#: A print command's state as the help desk reads it (kiosk_commands.status).
PRINT_STATES: dict[str, tuple[str, str]] = {
    "pending": ("czeka, aż kiosk się połączy", "waiting for the kiosk to connect"),
    "delivered": ("wysłany do kiosku", "sent to the kiosk"),
    "done": ("kiosk przyjął go do druku", "the kiosk took it for printing"),
    "failed": ("kiosk nie wydrukował", "the kiosk did not print it"),
}


def person_prints(conn: Connection, person_id: int, limit: int = 10) -> list[dict[str, Any]]:
    """The latest print commands of this person's badge, newest first, each with its
    kiosk's name, state, the kiosk's own words when it failed, and its printer now."""
    rows = conn.execute(
        select(kiosk_commands.c.id, kiosk_commands.c.status, kiosk_commands.c.error,
               kiosk_commands.c.created_at, kiosk_commands.c.reported_at,
               kiosks.c.name.label("kiosk_name"), kiosks.c.id.label("kiosk_id"),
               kiosks.c.printer_state, kiosks.c.last_contact_at)
        .join(kiosks, kiosks.c.id == kiosk_commands.c.kiosk_id)
        .where(kiosk_commands.c.person_id == person_id)
        .order_by(kiosk_commands.c.id.desc()).limit(limit)).mappings().all()
    return [{**dict(r), "state_pl": PRINT_STATES.get(r["status"], (r["status"],) * 2)[0],
             "state_en": PRINT_STATES.get(r["status"], (r["status"],) * 2)[1],
             "printer_pl": printer_words(dict(r))[0], "printer_en": printer_words(dict(r))[1],
             "open": r["status"] in ("pending", "delivered")} for r in rows]


def pending_commands(conn: Connection, kiosk_id: str) -> list[dict[str, Any]]:
    stmt = (select(kiosk_commands).where(kiosk_commands.c.kiosk_id == kiosk_id,
                                         kiosk_commands.c.status == "pending")
            .order_by(kiosk_commands.c.id))
    out = []
    for r in conn.execute(stmt).mappings():
        d = dict(r)
        d["payload"] = json.loads(d["payload"])
        out.append(d)
    return out


def mark_delivered(conn: Connection, command_ids: list[int]) -> None:
    if command_ids:
        conn.execute(update(kiosk_commands).where(kiosk_commands.c.id.in_(command_ids))
                     .values(status="delivered", delivered_at=utcnow()))


# -- which kiosk can print a badge now ---------------------------------------------------------

#: What a kiosk's heartbeat says about its printer (``sync.wire`` Heartbeat.printer), in words.
PRINTER_WORDS: dict[str, tuple[str, str]] = {
    "ready": ("drukarka gotowa", "printer ready"),
    "unknown": ("drukarka bez stanu", "printer state unknown"),
    "off": ("bez drukarki", "no printer"),
    "paper_out": ("brak papieru", "out of paper"),
    "cover_open": ("otwarta pokrywa drukarki", "printer cover open"),
    "error": ("błąd drukarki", "printer error"),
    "offline": ("drukarka niedostępna", "printer unreachable"),
}
#: What a kiosk's heartbeat says about its camera (kiosk.scanner.loop.CameraStatus), in words.
CAMERA_WORDS: dict[str, tuple[str, str]] = {
    "running": ("kamera działa", "camera working"), "starting": ("kamera się uruchamia",
                                                                 "camera starting"),
    "unavailable": ("kamera niedostępna", "camera unavailable"),
    "stopped": ("kamera zatrzymana", "camera stopped"), "off": ("bez kamery", "no camera"),
}


def camera_words(kiosk: dict[str, Any]) -> tuple[str, str]:
    state = kiosk.get("camera_state") or "off"
    return CAMERA_WORDS.get(state, (state, state))


#: A kiosk not heard from for this long is out of contact (and may have lost its printer).
KIOSK_STALE = timedelta(minutes=2)


def is_stale(kiosk: dict[str, Any], now: datetime | None = None) -> bool:
    """Out of contact: never heard from, or not within :data:`KIOSK_STALE`."""
    last = kiosk.get("last_contact_at")
    return last is None or (now or utcnow()) - last > KIOSK_STALE


def printer_condition(kiosk: dict[str, Any], now: datetime | None = None) -> str:
    """``ok`` (prints now), ``none`` (no printer: a job sent there never prints), ``fault``
    (the printer reports a problem: a job waits until someone fixes it), ``silent`` (the
    kiosk has not been in contact lately)."""
    state = kiosk.get("printer_state") or "unknown"
    if state == "off":
        return "none"
    if is_stale(kiosk, now):
        return "silent"
    return "ok" if state in ("ready", "unknown") else "fault"


def printer_words(kiosk: dict[str, Any]) -> tuple[str, str]:
    state = kiosk.get("printer_state") or "unknown"
    return PRINTER_WORDS.get(state, (state, state))


def print_targets(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    """The event's kiosks for a "print at" choice: those whose printer works first (the
    first is the form's default), each with ``printer_ok`` and the printer's words."""
    now = utcnow()
    out = []
    for k in list_kiosks(conn, event_id):
        condition = printer_condition(k, now)
        out.append({**k, "printer_condition": condition, "printer_ok": condition == "ok",
                    "printer_pl": printer_words(k)[0], "printer_en": printer_words(k)[1]})
    out.sort(key=lambda k: (not k["printer_ok"], k["name"] or k["id"]))
    return out


def check_print_target(conn: Connection, kiosk_id: str
                       ) -> tuple[dict[str, Any], tuple[str, str] | None]:
    """The kiosk a badge goes to, and a warning (Polish, English) when its printer will not
    print it now. Refused (:class:`Invalid`) when that kiosk has no printer at all; both
    name the kiosks whose printers work."""
    kiosk = get_kiosk(conn, kiosk_id)
    condition = printer_condition(kiosk)
    if condition == "ok":
        return kiosk, None
    working = [k["name"] or k["id"] for k in print_targets(conn, kiosk["event_id"])
               if k["printer_ok"] and k["id"] != kiosk_id]
    pl_alt = ("Drukarki działają w: " + ", ".join(working) + "." if working
              else "Żaden kiosk nie zgłasza teraz działającej drukarki.")
    en_alt = ("Printers work at: " + ", ".join(working) + "." if working
              else "No kiosk reports a working printer now.")
    name = kiosk["name"] or kiosk_id
    if condition == "none":
        raise Invalid(f"Kiosk „{name}” nie ma drukarki: nic nie wysłano. {pl_alt}",
                      f"Kiosk “{name}” has no printer: nothing was sent. {en_alt}")
    pl_state, en_state = printer_words(kiosk)
    if condition == "silent":
        pl_state, en_state = "brak kontaktu z kioskiem", "no contact with the kiosk"
    return kiosk, (f"Uwaga: kiosk „{name}”: {pl_state}. Wydruk poczeka w kolejce, aż "
                   f"drukarka znów zadziała. {pl_alt}",
                   f"Warning: kiosk “{name}”: {en_state}. The print waits in its queue "
                   f"until the printer works again. {en_alt}")
