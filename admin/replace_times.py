"""A boot's scans placed again when its clock anchor turns out wrong.

Scans of one kiosk boot are placed on the server's clock by that boot's anchor
(``sync.clock``). When later samples show the anchor itself was wrong and replace it
(``sync.clock.reconcile``: three disputing samples that agree with each other), the times
already stored for that boot are wrong by the same amount. :func:`replace_boot` moves
them by the new anchor and rebuilds what was derived from them: the people's presence,
the running totals and the double entries. Times that were estimates (placed by the
wall clock) stay as they were: they never rested on the anchor.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, delete, select, update

from admin import double_entry
from admin.scans import CHUNK, add_counts, count_row, day_arrival, update_presence
from admin.schema import presence, scans
from sync.clock import Anchor

log = logging.getLogger(__name__)


def replace_boot(conn: Connection, kiosk_id: str, anchor: Anchor) -> int:
    """Re-place the stored, anchored scans of ``anchor``'s boot; how many moved."""
    rows = conn.execute(select(scans.c.id, scans.c.monotonic_ns, scans.c.scan_time,
                               scans.c.event_id, scans.c.attendee_id).where(
        scans.c.kiosk_id == kiosk_id, scans.c.boot_id == anchor.boot_id,
        scans.c.time_estimated.is_(False))).all()
    moved: list[dict[str, Any]] = []
    people: dict[int, set[int]] = {}
    for r in rows:
        delta = timedelta(microseconds=anchor.monotonic_ns // 1000 - r.monotonic_ns // 1000)
        placed = anchor.server_time - delta
        if placed != r.scan_time:
            moved.append({"id": r.id, "scan_time": placed})
            if r.event_id is not None and r.attendee_id is not None:
                people.setdefault(r.event_id, set()).add(r.attendee_id)
    for row in moved:
        conn.execute(update(scans).where(scans.c.id == row["id"]).values(
            scan_time=row["scan_time"]))
    for event_id, person_ids in people.items():
        rebuild_presence(conn, event_id, sorted(person_ids))
    if moved:
        log.warning("kiosk %s boot %s: anchor replaced, %d scans placed again", kiosk_id,
                    anchor.boot_id, len(moved))
    return len(moved)


def rebuild_presence(conn: Connection, event_id: int, person_ids: list[int]) -> None:
    """These people's presence, totals and double entries, recomputed from their scans."""
    for start in range(0, len(person_ids), CHUNK):
        ids = person_ids[start:start + CHUNK]
        deltas: Counter[tuple[int, str, int]] = Counter()
        old_rows = conn.execute(select(presence).where(
            presence.c.event_id == event_id, presence.c.person_id.in_(ids))).mappings().all()
        days: dict[tuple[int, Any], list[Any]] = {}
        for row in old_rows:  # take back what the old rows gave the totals
            key = (row["event_id"], row["person_id"], row["session_id"], row["day"])
            count_row(deltas, key, row, -1)
            days.setdefault((row["person_id"], row["day"]), []).append(row)
        for (_person, day), rows in days.items():
            deltas[(event_id, "day", day.toordinal())] -= 1
            arrival = day_arrival(rows)
            if arrival is not None:
                deltas[(event_id, "bucket", arrival)] -= 1
        deltas[(event_id, "visitors", 0)] -= len({person for person, _ in days})
        add_counts(conn, deltas)
        conn.execute(delete(presence).where(and_(presence.c.event_id == event_id,
                                                 presence.c.person_id.in_(ids))))
        facts = [dict(r._mapping) for r in conn.execute(select(
            scans.c.event_id, scans.c.attendee_id, scans.c.session_id, scans.c.direction,
            scans.c.result, scans.c.admitted, scans.c.scan_time).where(
            scans.c.event_id == event_id, scans.c.attendee_id.in_(ids), scans.c.admitted))]
        update_presence(conn, facts)
        double_entry.refresh(conn, event_id, ids)
