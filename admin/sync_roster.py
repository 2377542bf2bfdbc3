"""Roster downloads for kiosks: a full snapshot first, then only what changed.

The cursor is ``<version>-<fingerprint>``: the event's ``people_version`` (a change counter
every write to the event, people, registrations and the program bumps) and a hash of the
snapshot's content. Each snapshot is kept under its cursor (gzip JSON under
``DATA_DIR/roster-versions``, bounded), so a kiosk gets the difference between exactly
what it holds and now: even if a restored database reuses version numbers, a cursor only
ever names the content it was made from. A kiosk whose snapshot is no longer kept gets a
full snapshot: always correct, only larger.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
import threading
from pathlib import Path

from sqlalchemy import Connection

from admin.queries import events as q_events
from admin.roster_export import build_snapshot
from sync.badge_template import BadgeTemplate
from sync.roster import Deleted, RosterSnapshot, parse_snapshot

log = logging.getLogger(__name__)

KEEP_VERSIONS = 200
CURSOR = re.compile(r"^[0-9]{1,12}-[0-9a-f]{16}$")


def fingerprinted(snapshot: RosterSnapshot, version: int) -> RosterSnapshot:
    digest = hashlib.sha256(snapshot.model_copy(update={"cursor": ""}).model_dump_json()
                            .encode()).hexdigest()[:16]
    return snapshot.model_copy(update={"cursor": f"{version}-{digest}"})


class RosterVersions:
    """Snapshots by (event, version), in memory for the latest and on disk for the rest."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._latest: dict[int, tuple[int, RosterSnapshot]] = {}
        self._lock = threading.Lock()

    def _path(self, event_id: int, cursor: str) -> Path:
        return self.folder / f"event-{event_id}-v{cursor}.json.gz"

    def current(self, conn: Connection, event_id: int) -> RosterSnapshot:
        version = q_events.people_version(conn, event_id)
        with self._lock:
            cached = self._latest.get(event_id)
            if cached and cached[0] == version:
                return cached[1]
        for _ in range(5):
            snapshot = build_snapshot(conn, event_id)
            # Read in several statements: a change committed meanwhile gives a snapshot that
            # is no single version's roster. Keep one only when its version held throughout,
            # and under that version, or a later delta from it would miss the change.
            version = q_events.people_version(conn, event_id)
            if snapshot.cursor == str(version):
                break
        else:
            # The roster keeps changing under us: serve it, keep nothing, and give no
            # cursor, so the kiosk asks for a full snapshot next time.
            return snapshot.model_copy(update={"cursor": ""})
        snapshot = fingerprinted(snapshot, version)
        self._store(event_id, snapshot)
        with self._lock:
            self._latest[event_id] = (version, snapshot)
        return snapshot

    def _store(self, event_id: int, snapshot: RosterSnapshot) -> None:
        path = self._path(event_id, snapshot.cursor)
        if path.exists():
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(gzip.compress(snapshot.model_dump_json().encode(), 6))
            tmp.replace(path)
            old = sorted(self.folder.glob(f"event-{event_id}-v*.json.gz"),
                         key=lambda p: p.stat().st_mtime)
            for stale in old[:-KEEP_VERSIONS]:
                stale.unlink(missing_ok=True)
        except OSError as exc:  # the cache is an optimisation: full snapshots still work
            log.warning("cannot keep roster %s/%s: %s", event_id, snapshot.cursor, exc)

    def load(self, event_id: int, cursor: str) -> RosterSnapshot | None:
        if not CURSOR.match(cursor):
            return None
        try:
            return parse_snapshot(gzip.decompress(self._path(event_id, cursor).read_bytes()))
        except (OSError, EOFError, ValueError, gzip.BadGzipFile):
            return None
        except Exception:  # a damaged file: treat as not kept
            log.warning("roster %s/%s unreadable", event_id, cursor)
            return None


def delta(old: RosterSnapshot, new: RosterSnapshot) -> RosterSnapshot:
    """What a kiosk holding ``old`` must apply to hold ``new``."""
    old_people = {a.id: a for a in old.attendees}
    new_people = {a.id: a for a in new.attendees}
    old_sessions = {s.id: s for s in old.sessions}
    new_sessions = {s.id: s for s in new.sessions}
    old_regs = {(r.session_id, r.attendee_id): r for r in old.registrations}
    new_regs = {(r.session_id, r.attendee_id): r for r in new.registrations}
    template = None  # unchanged; a template that is gone is the default badge again
    if new.badge_template != old.badge_template:
        template = new.badge_template or BadgeTemplate()
    return RosterSnapshot(
        event=new.event, cursor=new.cursor, full=False,
        attendees=[a for i, a in new_people.items() if old_people.get(i) != a],
        sessions=[s for i, s in new_sessions.items() if old_sessions.get(i) != s],
        registrations=[r for k, r in new_regs.items() if k not in old_regs],
        deleted=Deleted(
            attendees=sorted(set(old_people) - set(new_people)),
            sessions=sorted(set(old_sessions) - set(new_sessions)),
            registrations=[r for k, r in old_regs.items() if k not in new_regs],
        ),
        badge_template=template,
    )


def roster_for(versions: RosterVersions, conn: Connection, event_id: int, cursor: str
               ) -> RosterSnapshot:
    """The answer to ``GET /roster?cursor=``: empty, a delta, or a full snapshot."""
    current = versions.current(conn, event_id)
    if cursor and cursor == current.cursor:
        return RosterSnapshot(event=current.event, cursor=current.cursor, full=False)
    old = versions.load(event_id, cursor) if current.cursor else None
    if old is not None and old.event.id == event_id and old.cursor == cursor:
        return delta(old, current)
    return current
