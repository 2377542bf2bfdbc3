"""Live numbers for the dashboard, read from ``presence`` (derived from scans) not from scans."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from admin.i18n import local, tr
from admin.queries import events as q_events
from admin.queries import kiosks as q_kiosks
from admin.queries import program as q_program
from admin.queries.kiosk_plans import plan_words
from admin.scan_trust import quarantine_counts
from admin.scans import BUCKET_SECONDS, read_counts
from admin.schema import double_entries, people, presence, rooms, sessions, venues
from sync.collation import by_name

# A room counts people in for a session from this long before it starts until it ends + after.
ROOM_BEFORE = timedelta(minutes=30)
ROOM_AFTER = timedelta(minutes=15)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def dashboard_data(conn: Connection, event_id: int, now: datetime) -> dict[str, Any]:
    registered = int(conn.execute(select(func.count()).select_from(people).where(
        people.c.event_id == event_id, people.c.status == "active")).scalar_one())

    counts = read_counts(conn, event_id)
    zone = q_events.timezone_of(conn, event_id)  # times shown in the event's zone
    per_day = [{"day": date.fromordinal(day).isoformat(), "checked_in": n}
               for day, n in sorted(counts.get("day", {}).items()) if n]
    checked_in = counts.get("visitors", {}).get(0, 0)
    attended_by, inside_by = (counts.get(m, {}) for m in ("attended", "inside"))
    session_rows = []
    room_now: dict[int, dict[str, Any]] = {}
    program = q_program.list_sessions(conn, event_id)
    for s in program:
        attended = attended_by.get(s["id"], 0)
        inside = inside_by.get(s["id"], 0)
        capacity = q_program.effective_capacity(s)
        running = s["starts_at"] - ROOM_BEFORE <= now <= s["ends_at"] + ROOM_AFTER
        session_rows.append({
            "id": s["id"], "title": s["title"], "kind": s["kind"], "room": s["room_name"],
            "starts": local(s["starts_at"], event=zone), "ends": local(s["ends_at"], "%H:%M", zone),
            "registered": int(s["registered"]), "registration_required":
            bool(s["registration_required"]), "attended": attended, "inside": inside,
            "capacity": capacity, "running": running, "duplicates": 0,
            "over_capacity": capacity is not None and attended > capacity,
        })
        if running:
            slot = room_now.setdefault(s["room_id"], {"inside": 0, "sessions": []})
            slot["inside"] += inside
            slot["sessions"].append(s["title"])

    room_rows = []
    running_caps: dict[int, list[int]] = {}
    for s in program:
        cap = q_program.effective_capacity(s)
        if cap is not None and s["starts_at"] - ROOM_BEFORE <= now <= s["ends_at"] + ROOM_AFTER:
            running_caps.setdefault(s["room_id"], []).append(cap)
    for r in conn.execute(
        select(rooms.c.id, rooms.c.name, rooms.c.capacity, venues.c.name.label("venue"))
        .join(venues, venues.c.id == rooms.c.venue_id).where(venues.c.event_id == event_id)
        .order_by(venues.c.name, rooms.c.name)
    ):
        slot = room_now.get(r.id, {"inside": 0, "sessions": []})
        # A room without its own seat count is as full as its running session allows.
        capacity = r.capacity if r.capacity is not None else (
            min(running_caps[r.id]) if r.id in running_caps else None)
        room_rows.append({
            "id": r.id, "name": r.name, "venue": r.venue, "capacity": capacity,
            "inside": slot["inside"], "sessions": slot["sessions"],
            "over_capacity": capacity is not None and slot["inside"] > capacity,
        })

    arrivals = [
        {"t": _iso(datetime.fromtimestamp(bucket * BUCKET_SECONDS, UTC)), "n": n}
        for bucket, n in sorted(counts.get("bucket", {}).items()) if n
    ]

    duplicates = double_entry_rows(conn, event_id)
    dups_by = dict(conn.execute(
        select(double_entries.c.session_id, func.count()).where(
            double_entries.c.event_id == event_id).group_by(double_entries.c.session_id)
    ).all())
    for row in session_rows:
        row["duplicates"] = dups_by.get(row["id"], 0)
        # A double entry into a limited session may have let in one person too many.
        row["possible_over_capacity"] = bool(
            row["duplicates"] and row["capacity"] is not None
            and row["attended"] + row["duplicates"] > row["capacity"])

    held = quarantine_counts(conn, event_id)
    kiosk_rows = [
        {"id": k["id"], "name": k["name"], "mode": k["mode"], "room": k["room"],
         "quarantined": held.get(k["id"], 0),
         "last_contact": _iso(k["last_contact_at"]),
         "last_contact_local": local(k["last_contact_at"], "%H:%M:%S", zone),
         "stale": q_kiosks.is_stale(k, now),
         "queue": k["queue_length"], "printer": tr(*q_kiosks.printer_words(k)),
         "camera": tr(*q_kiosks.camera_words(k)), "plan": tr(*plan_words(k)),
         "software": k["software"],
         "clock": "–" if k["clock_offset_ms"] is None
         else f"{k['clock_offset_ms'] / 1000:.1f} s"}
        for k in q_kiosks.list_kiosks(conn, event_id)
    ]
    return {
        "generated_at": _iso(now), "generated_local": local(now, "%H:%M:%S", zone),
        "registered": registered, "checked_in": checked_in, "per_day": per_day,
        "sessions": session_rows, "rooms": room_rows, "arrivals": arrivals,
        "duplicates": duplicates, "kiosks": kiosk_rows,
        "quarantined": sum(held.values()),
        "over_capacity": [s["title"] for s in session_rows if s["over_capacity"]]
        + [f"{s['title']} (?)" for s in session_rows
           if s["possible_over_capacity"] and not s["over_capacity"]]
        + [r["name"] for r in room_rows if r["over_capacity"]],
        "planning": program_warnings(program),
    }


def program_warnings(program: list[dict[str, Any]]) -> list[str]:
    """What the plan itself gets wrong: more people registered than a session has seats,
    or a session promising more seats than its room has."""
    out = []
    for s in program:
        capacity = q_program.effective_capacity(s)
        if s["registration_required"] and capacity is not None and s["registered"] > capacity:
            out.append(tr(f"{s['title']}: zapisanych {s['registered']}, miejsc {capacity}",
                          f"{s['title']}: {s['registered']} registered for {capacity} seats"))
        if (s["capacity"] is not None and s["room_capacity"] is not None
                and s["capacity"] > s["room_capacity"]):
            out.append(tr(f"{s['title']}: limit {s['capacity']} miejsc, a sala "
                          f"{s['room_name']} ma {s['room_capacity']}",
                          f"{s['title']}: {s['capacity']} seats in {s['room_name']}, "
                          f"which has {s['room_capacity']}"))
    return out


def people_inside(conn: Connection, event_id: int, room_id: int,
                  now: datetime) -> list[dict[str, Any]]:
    """Who is in a room now: inside a session of the room that is running."""
    stmt = (
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.institution,
               presence.c.last_in, sessions.c.title)
        .join(presence, presence.c.person_id == people.c.id)
        .join(sessions, sessions.c.id == presence.c.session_id)
        .where(presence.c.event_id == event_id, presence.c.inside,
               sessions.c.room_id == room_id,
               sessions.c.starts_at <= now + ROOM_BEFORE,
               sessions.c.ends_at >= now - ROOM_AFTER)
    )
    return by_name([dict(r) for r in conn.execute(stmt).mappings()])


def double_entry_rows(conn: Connection, event_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """Double entries of the event (admin.double_entry, kept as scans arrive), newest
    first: who, where, which kiosks at what times."""
    d = double_entries
    rows = conn.execute(
        select(d, people.c.first_name, people.c.last_name)
        .join(people, people.c.id == d.c.person_id)
        .where(d.c.event_id == event_id).order_by(d.c.at.desc()).limit(limit)).mappings().all()
    if not rows:
        return []
    names = {k["id"]: k["name"] or k["id"] for k in q_kiosks.list_kiosks(conn, event_id)}
    zone = q_events.timezone_of(conn, event_id)
    titles = {s["id"]: s["title"] for s in q_program.list_sessions(conn, event_id)}
    return [{
        "person_id": r["person_id"], "name": f"{r['first_name']} {r['last_name']}",
        "session_id": r["session_id"], "where": titles.get(r["session_id"], ""),
        "day": r["day"].isoformat(),
        "first_kiosk": names.get(r["first_kiosk"], r["first_kiosk"]),
        "first_at": local(r["first_at"], "%H:%M:%S", zone),
        "kiosk": names.get(r["kiosk_id"], r["kiosk_id"]), "at": local(r["at"], "%H:%M:%S", zone),
        "url": f"/people/{r['person_id']}"} for r in rows]
