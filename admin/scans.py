"""Storing uploaded scans (idempotent on the scan id) and deriving presence from them.

``record_scans`` is what the sync upload endpoint calls with a kiosk's batch. It writes in
the caller's transaction, so a batch is stored whole or not at all; a scan id seen before is
skipped, so any upload can be retried blindly. Presence (first in, last in/out, inside now,
admissions) is kept per person and place: the entrance per day of the event's time zone
(session 0), or a session. Order of arrival does not matter: every field is a min, a max or
a count.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.dialects import postgresql, sqlite

from admin import double_entry
from admin.bulk import insert_many, one_of, update_many
from admin.queries.events import timezones
from admin.schema import kiosks, presence, presence_counts, scans, utcnow
from sync.scans import ScanRecord
from sync.timekeeping import event_day

ENTRANCE = 0  # presence.session_id of the entrance
BUCKET_SECONDS = 15 * 60
CHUNK = 500


def bucket_of(when: datetime) -> int:
    return math.floor(when.timestamp() / BUCKET_SECONDS)


def _dialect_insert(conn: Connection, table: Any) -> Any:
    return (postgresql.insert(table) if conn.dialect.name == "postgresql"
            else sqlite.insert(table))


def _clock_offsets(conn: Connection, kiosk_ids: set[str]) -> dict[str, int]:
    if not kiosk_ids:
        return {}
    rows = conn.execute(select(kiosks.c.id, kiosks.c.clock_offset_ms)
                        .where(kiosks.c.id.in_(sorted(kiosk_ids)))).all()
    return {r.id: r.clock_offset_ms for r in rows if r.clock_offset_ms}


def record_scans(conn: Connection, records: Sequence[ScanRecord],
                 scan_times: Mapping[str, datetime] | None = None,
                 estimated: Collection[str] = (), override_reason: str = "") -> int:
    """Store new scans and update presence; return how many were new (:func:`store_scans`)."""
    return len(store_scans(conn, records, scan_times, estimated, override_reason))


def store_scans(conn: Connection, records: Sequence[ScanRecord],
                scan_times: Mapping[str, datetime] | None = None,
                estimated: Collection[str] = (), override_reason: str = "") -> set[str]:
    """Store new scans and update presence; return the ids that were new. One transaction.

    ``scan_times`` (scan id -> time on the server's clock, e.g. from ``sync.clock.place``)
    wins when given; otherwise a scan's time is its wall time corrected by the kiosk's last
    known clock offset (``kiosks.clock_offset_ms``: server time minus kiosk time).
    ``estimated`` names the scans whose given time is such an estimate too.
    ``override_reason`` is an organizer's written reason for a check-in the rules refuse.
    The records are facts already judged (``admin.scan_trust`` for uploads).
    """
    unique: dict[str, ScanRecord] = {}
    for r in records:
        unique.setdefault(r.id, r)
    if not unique:
        return set()
    times = scan_times or {}
    offsets = {} if all(i in times for i in unique) else _clock_offsets(
        conn, {r.kiosk_id for r in unique.values()})
    now = utcnow()
    rows = []
    for r in unique.values():
        scan_time = times.get(r.id) or (
            r.wall_time + timedelta(milliseconds=offsets.get(r.kiosk_id, 0)))
        rows.append({
            "id": r.id, "kiosk_id": r.kiosk_id, "event_id": r.event_id,
            "attendee_id": r.attendee_id, "badge_revision": r.badge_revision,
            "session_id": r.session_id, "direction": r.direction, "result": r.result,
            "admitted": r.admitted, "source": r.source, "wall_time": r.wall_time,
            "scan_time": scan_time, "monotonic_ns": r.monotonic_ns, "boot_id": r.boot_id,
            "raw": r.raw, "received_at": now, "time_estimated": r.id in estimated,
            "override_reason": override_reason,
            "chain_seq": r.seq, "chain_prev": r.prev, "chain": r.chain,
        })
    # A scan id stored before is skipped by the database itself (also when another upload
    # of the same scans commits in between); only what this statement inserted counts.
    inserted = set(insert_many(conn, scans, rows, skip_conflicts_on=["id"], returning="id"))
    update_presence(conn, [row for row in rows if row["id"] in inserted])
    return inserted


Key = tuple[int, int, int, date]
PRESENCE_KEY = ("event_id", "person_id", "session_id", "day")
PRESENCE_LOCK = 0x6272  # advisory lock class ("br"), with the event id as the second key


def update_presence(conn: Connection, rows: list[dict[str, Any]]) -> None:
    facts = [r for r in rows
             if r["admitted"] and r["event_id"] is not None and r["attendee_id"] is not None]
    if not facts:
        return
    changes: dict[Key, dict[str, Any]] = {}
    zones = timezones(conn, {r["event_id"] for r in facts})
    for r in facts:
        t = r["scan_time"]
        day = event_day(zones.get(r["event_id"]), t)
        key = (r["event_id"], r["attendee_id"], r["session_id"] or ENTRANCE, day)
        c = changes.setdefault(key, {"first_in": None, "last_in": None, "last_out": None,
                                     "admits": 0})
        if r["direction"] == "out":
            c["last_out"] = _max(c["last_out"], t)
        else:
            c["first_in"] = _min(c["first_in"], t)
            c["last_in"] = _max(c["last_in"], t)
            if r["result"] == "ok":
                c["admits"] += 1
    existing: dict[Key, dict[str, Any]] = {}
    known: set[tuple[int, int]] = set()  # (event, person) with any presence row already
    by_day: dict[tuple[int, int, date], list[dict[str, Any]]] = {}  # their rows, per day
    by_event: dict[int, set[int]] = {}
    for k in changes:
        by_event.setdefault(k[0], set()).add(k[1])
    if conn.dialect.name == "postgresql":
        # Presence rows of an event change one transaction at a time: two uploads may
        # create the same person's row (SQLite: every write takes the database lock).
        for event_id in sorted(by_event):
            conn.execute(select(func.pg_advisory_xact_lock(PRESENCE_LOCK, event_id)))
    touched_days = {(k[0], k[1], k[3]) for k in changes}
    for event_id, person_ids in by_event.items():
        ids = sorted(person_ids)
        for start in range(0, len(ids), CHUNK):
            stmt = select(presence).where(
                presence.c.event_id == event_id,
                one_of(conn, presence.c.person_id, ids[start:start + CHUNK]))
            for row in conn.execute(stmt).mappings():
                key = (row["event_id"], row["person_id"], row["session_id"], row["day"])
                known.add((key[0], key[1]))
                if (key[0], key[1], key[3]) in touched_days:
                    by_day.setdefault((key[0], key[1], key[3]), []).append(dict(row))
                if key in changes:
                    existing[key] = dict(row)
    inserts, updates = [], []
    deltas: Counter[tuple[int, str, int]] = Counter()
    merged_by_day: dict[tuple[int, int, date], list[dict[str, Any]]] = {}
    for key, c in changes.items():
        old = existing.get(key)
        merged = {
            "first_in": _min(old["first_in"] if old else None, c["first_in"]),
            "last_in": _max(old["last_in"] if old else None, c["last_in"]),
            "last_out": _max(old["last_out"] if old else None, c["last_out"]),
            "admits": (old["admits"] if old else 0) + c["admits"],
        }
        merged["inside"] = merged["last_in"] is not None and (
            merged["last_out"] is None or merged["last_in"] > merged["last_out"])
        merged["first_bucket"] = bucket_of(merged["first_in"]) if merged["first_in"] else None
        ident = {"event_id": key[0], "person_id": key[1], "session_id": key[2], "day": key[3]}
        count_row(deltas, key, merged, +1)
        if old is not None:
            count_row(deltas, key, old, -1)
        merged_by_day.setdefault((key[0], key[1], key[3]), []).append({**ident, **merged})
        if old is None:
            inserts.append({**ident, **merged})
        else:
            updates.append({**ident, **merged})
    _count_days(deltas, by_day, merged_by_day, known)
    insert_many(conn, presence, inserts)
    update_many(conn, presence, PRESENCE_KEY, updates)
    add_counts(conn, deltas)
    # Two admissions at one place and day may be a double entry: recheck those people.
    recheck: dict[int, set[int]] = {}
    for row in inserts + updates:
        if row["admits"] > 1:
            recheck.setdefault(row["event_id"], set()).add(row["person_id"])
    for event_id, person_ids in recheck.items():
        double_entry.refresh(conn, event_id, person_ids)


def count_row(deltas: Counter[tuple[int, str, int]], key: Key, row: Mapping[str, Any],
           sign: int) -> None:
    """Add (``sign`` +1) or take back (-1) what one session's presence row gives the
    running totals (the per-day totals: :func:`_count_days`)."""
    event_id, session_id = key[0], key[2]
    if session_id != ENTRANCE:
        deltas[(event_id, "attended", session_id)] += sign
        if row["inside"]:
            deltas[(event_id, "inside", session_id)] += sign


def day_arrival(rows: Sequence[Mapping[str, Any]]) -> int | None:
    """The arrivals-chart bucket of a person's day: their earliest entry anywhere (the
    entrance, a room, the help desk), or None when they only left."""
    firsts = [r["first_in"] for r in rows if r["first_in"] is not None]
    return bucket_of(min(firsts)) if firsts else None


def _count_days(deltas: Counter[tuple[int, str, int]],
                before: Mapping[tuple[int, int, date], list[dict[str, Any]]],
                changed: Mapping[tuple[int, int, date], list[dict[str, Any]]],
                known: set[tuple[int, int]]) -> None:
    """The per-day totals of the people whose rows changed. A person is checked in on a
    day (``day``) and arrived in a quarter hour (``bucket``) by any admission that day,
    at the entrance or straight into a session; a visitor (``visitors``) by any at all."""
    for (event_id, person_id, day), rows in changed.items():
        old = before.get((event_id, person_id, day), [])
        sessions = {r["session_id"] for r in rows}
        new = [r for r in old if r["session_id"] not in sessions] + rows
        if not old:
            deltas[(event_id, "day", day.toordinal())] += 1
        old_bucket, new_bucket = day_arrival(old), day_arrival(new)
        if old_bucket != new_bucket:
            if old_bucket is not None:
                deltas[(event_id, "bucket", old_bucket)] -= 1
            if new_bucket is not None:
                deltas[(event_id, "bucket", new_bucket)] += 1
        if (event_id, person_id) not in known:
            known.add((event_id, person_id))
            deltas[(event_id, "visitors", 0)] += 1


def add_counts(conn: Connection, deltas: Counter[tuple[int, str, int]]) -> None:
    rows = [{"event_id": e, "metric": m, "key": k, "value": v}
            for (e, m, k), v in sorted(deltas.items()) if v]
    if not rows:
        return
    stmt = _dialect_insert(conn, presence_counts)
    stmt = stmt.on_conflict_do_update(
        index_elements=["event_id", "metric", "key"],
        set_={"value": presence_counts.c.value + stmt.excluded.value})
    conn.execute(stmt, rows)


def read_counts(conn: Connection, event_id: int) -> dict[str, dict[int, int]]:
    """The running totals of an event: metric -> key -> value."""
    out: dict[str, dict[int, int]] = {}
    for r in conn.execute(select(presence_counts.c.metric, presence_counts.c.key,
                                 presence_counts.c.value)
                          .where(presence_counts.c.event_id == event_id)):
        out.setdefault(r.metric, {})[int(r.key)] = int(r.value)
    return out


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
