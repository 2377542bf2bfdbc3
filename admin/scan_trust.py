"""Judging an uploaded batch before any of it becomes attendance (issue 10).

:func:`accept_batch` checks every scan of a kiosk's batch against the kiosk's enrollment and
the admin's own data with the shared rules (``sync.rules``), stores what passes as facts
(``admin.scans.store_scans``) and keeps what fails in ``scan_quarantine`` with the reason:
neither dropped nor counted. A scan id another kiosk already holds is an ``id_conflict``,
kept in quarantine too. Idempotent like the store: a retried batch gets the same answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from admin.bulk import insert_many, one_of
from admin.scans import CHUNK, store_scans
from admin.schema import events, people, scan_quarantine, scans, sessions
from sync.rules import EventFacts, SessionFacts, judge
from sync.scans import ScanRecord


@dataclass
class Verdict:
    stored: list[str] = field(default_factory=list)
    quarantined: dict[str, str] = field(default_factory=dict)  # scan id -> reason


def event_facts(conn: Connection, event_id: int | None) -> EventFacts | None:
    if event_id is None:
        return None
    row = conn.execute(select(events.c.id, events.c.starts_on, events.c.ends_on,
                              events.c.timezone).where(events.c.id == event_id)).first()
    return EventFacts(row.id, row.starts_on, row.ends_on, row.timezone) if row else None


def _revisions(conn: Connection, event_id: int, ids: Collection[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    wanted = sorted(ids)
    for start in range(0, len(wanted), CHUNK):
        rows = conn.execute(select(people.c.id, people.c.badge_revision).where(
            people.c.event_id == event_id,
            one_of(conn, people.c.id, wanted[start:start + CHUNK])))
        out.update(rows.all())  # (id, revision) rows
    return out


def _sessions(conn: Connection, ids: Collection[int]) -> dict[int, SessionFacts]:
    if not ids:
        return {}
    rows = conn.execute(select(sessions.c.id, sessions.c.event_id, sessions.c.starts_at,
                               sessions.c.ends_at).where(sessions.c.id.in_(sorted(ids))))
    return {r.id: SessionFacts(r.event_id, r.starts_at, r.ends_at) for r in rows}


def accept_batch(conn: Connection, kiosk: Mapping[str, Any], records: Sequence[ScanRecord],
                 times: Mapping[str, datetime], estimated: Collection[str],
                 received_at: datetime) -> Verdict:
    """Judge, store and quarantine one batch of ``kiosk`` (records carry its id)."""
    event = event_facts(conn, kiosk["event_id"])
    revisions = {} if event is None else _revisions(
        conn, event.id, {r.attendee_id for r in records if r.attendee_id is not None})
    known_sessions = _sessions(conn, {r.session_id for r in records
                                      if r.session_id is not None})
    verdict = Verdict()
    facts: list[ScanRecord] = []
    held: list[tuple[ScanRecord, str]] = []
    for record in records:
        reason = judge(record, event=event, placed_at=times[record.id],
                       received_at=received_at, revisions=revisions,
                       sessions=known_sessions, estimated=record.id in estimated)
        if reason is None:
            facts.append(record)
        else:
            held.append((record, reason))
    inserted = store_scans(conn, facts, scan_times=times, estimated=estimated)
    others = _held_by_other_kiosks(conn, kiosk["id"], [r.id for r in facts
                                                       if r.id not in inserted])
    for record in facts:
        if record.id in others:
            held.append((record, "id_conflict"))
        else:
            verdict.stored.append(record.id)
    _quarantine(conn, kiosk, held, times, received_at)
    verdict.quarantined = {r.id: reason for r, reason in held}
    return verdict


def _held_by_other_kiosks(conn: Connection, kiosk_id: str, ids: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        out.update(conn.execute(select(scans.c.id).where(
            one_of(conn, scans.c.id, ids[start:start + CHUNK]),
            scans.c.kiosk_id != kiosk_id)).scalars())
    return out


def _quarantine(conn: Connection, kiosk: Mapping[str, Any],
                held: list[tuple[ScanRecord, str]], times: Mapping[str, datetime],
                received_at: datetime) -> None:
    rows = [{"kiosk_id": kiosk["id"], "id": r.id, "event_id": kiosk["event_id"],
             "reason": reason, "scan_time": times.get(r.id), "record": r.model_dump_json(),
             "received_at": received_at} for r, reason in held]
    insert_many(conn, scan_quarantine, rows, skip_conflicts_on=["kiosk_id", "id"])


def quarantine_counts(conn: Connection, event_id: int) -> dict[str, int]:
    """Quarantined scans of the event per kiosk id (the dashboard's warning)."""
    rows = conn.execute(select(scan_quarantine.c.kiosk_id, func.count()).where(
        scan_quarantine.c.event_id == event_id).group_by(scan_quarantine.c.kiosk_id))
    return {kiosk_id: count for kiosk_id, count in rows}


def quarantined_of(conn: Connection, kiosk_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The kiosk's quarantined scans, newest first (its admin page)."""
    rows = conn.execute(select(scan_quarantine).where(scan_quarantine.c.kiosk_id == kiosk_id)
                        .order_by(scan_quarantine.c.received_at.desc(),
                                  scan_quarantine.c.id).limit(limit)).mappings()
    return [dict(r) for r in rows]
