"""The kiosk store's schema: its migrations, counted by ``PRAGMA user_version``.

Each step runs in its own transaction. Scans are append-only: triggers refuse UPDATE
and DELETE on them (m1). The connection layer (:mod:`kiosk.store`) runs
:func:`migrate` when it opens the database.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from . import badge_store, self_service_store


class StoreError(Exception):
    code = "store_error"


def _m1_initial(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE attendees (
            id INTEGER PRIMARY KEY,
            first_name TEXT NOT NULL,
            last_name TEXT NOT NULL,
            institution TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL,
            badge_revision INTEGER NOT NULL,
            status TEXT NOT NULL,
            search_key TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE sessions (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            room TEXT NOT NULL,
            venue TEXT NOT NULL DEFAULT '',
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            capacity INTEGER,
            registration_required INTEGER NOT NULL)"""
    )
    db.execute("CREATE INDEX sessions_room ON sessions (room, starts_at)")
    db.execute(
        """CREATE TABLE registrations (
            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
            attendee_id INTEGER NOT NULL REFERENCES attendees(id) ON DELETE CASCADE,
            PRIMARY KEY (session_id, attendee_id)) WITHOUT ROWID"""
    )
    # Scans are facts: no foreign keys (the roster may change under them), never updated.
    db.execute(
        """CREATE TABLE scans (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            kiosk_id TEXT NOT NULL,
            event_id INTEGER,
            attendee_id INTEGER,
            badge_revision INTEGER,
            session_id INTEGER,
            direction TEXT,
            result TEXT NOT NULL,
            admitted INTEGER NOT NULL,
            source TEXT NOT NULL,
            wall_time TEXT NOT NULL,
            local_day TEXT NOT NULL,
            monotonic_ns INTEGER NOT NULL,
            boot_id TEXT NOT NULL,
            raw TEXT)"""
    )
    db.execute("CREATE INDEX scans_attendee_day ON scans (attendee_id, local_day)")
    db.execute("CREATE INDEX scans_session ON scans (session_id, attendee_id)")
    db.execute(
        """CREATE TRIGGER scans_append_only_update BEFORE UPDATE ON scans
           BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END"""
    )
    db.execute(
        """CREATE TRIGGER scans_append_only_delete BEFORE DELETE ON scans
           BEGIN SELECT RAISE(ABORT, 'scans are append-only'); END"""
    )
    # Scans not yet confirmed by the admin. Deleting a row here marks the scan sent.
    db.execute(
        "CREATE TABLE outbox (scan_id TEXT PRIMARY KEY REFERENCES scans(id)) WITHOUT ROWID"
    )


def _m2_print_jobs(db: sqlite_utils.Database) -> None:
    # Durable badge print jobs (kiosk.print_queue reads and writes them).
    db.execute(
        """
CREATE TABLE IF NOT EXISTS print_jobs (
    id TEXT PRIMARY KEY,
    attendee_id INTEGER NOT NULL,
    scan_id TEXT,
    reason TEXT NOT NULL CHECK (reason IN ('checkin', 'reprint')),
    badge TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'printing', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL
)
"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS print_jobs_state ON print_jobs (state)")


def _m3_outbox_in_order(db: sqlite_utils.Database) -> None:
    # The outbox keyed by the scan's seq: the next batch is a range read, oldest first,
    # however many scans were sent before (it used to walk every scan ever made).
    db.execute("CREATE TABLE outbox_m3 (seq INTEGER PRIMARY KEY, "
               "scan_id TEXT NOT NULL UNIQUE REFERENCES scans(id))")
    db.execute("INSERT INTO outbox_m3 (seq, scan_id) "
               "SELECT s.seq, s.id FROM outbox o JOIN scans s ON s.id = o.scan_id")
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_m3 RENAME TO outbox")


def _m4_quarantined(db: sqlite_utils.Database) -> None:
    # Scans the admin keeps in quarantine (protocol 2), with its reason (sync.rules).
    db.execute("CREATE TABLE quarantined (scan_id TEXT PRIMARY KEY REFERENCES scans(id), "
               "reason TEXT NOT NULL, at TEXT NOT NULL) WITHOUT ROWID")


def _m5_chain(db: sqlite_utils.Database) -> None:
    # The scan hash chain (sync.chain): scans made from now on carry their link; older
    # ones stay unchained (the append-only triggers forbid filling them in, rightly).
    db.execute("ALTER TABLE scans ADD COLUMN prev TEXT")
    db.execute("ALTER TABLE scans ADD COLUMN chain TEXT")


def _m6_staff_lockout(db: sqlite_utils.Database) -> None:
    # Wrong staff PINs in a row and the wait they earned, so that restarting the kiosk
    # (or pulling its plug) does not give a PIN guesser a fresh start. One row at most.
    db.execute(
        """CREATE TABLE staff_lockout (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            failures INTEGER NOT NULL,
            wait_seconds REAL NOT NULL,
            boot_id TEXT NOT NULL,
            locked_until_monotonic REAL NOT NULL,
            locked_until_wall TEXT NOT NULL)"""
    )


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _m1_initial, _m2_print_jobs, _m3_outbox_in_order, _m4_quarantined, _m5_chain,
    _m6_staff_lockout, badge_store.m7_tables, self_service_store.m8_tables]


def migrate(db: sqlite_utils.Database, migrations: list[Callable] | None = None) -> int:
    """Run pending migrations (``PRAGMA user_version`` counts them); return the version."""
    steps = MIGRATIONS if migrations is None else migrations
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > len(steps):
        raise StoreError(
            f"the kiosk database is version {current}, newer than this software "
            f"({len(steps)}): upgrade Bramka"
        )
    for version, step in enumerate(steps[current:], start=current + 1):
        with db.atomic():
            step(db)
            db.execute(f"PRAGMA user_version={version}")
    return len(steps)
