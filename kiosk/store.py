"""The kiosk's local SQLite store: roster, append-only scans, outbox.

One function opens it (:func:`open_store`): WAL, foreign keys, ``synchronous=FULL``
(a committed scan survives pulling the plug), migrations. All writes go through
one lock-guarded writer connection; readers on other threads get their own
connections, which WAL lets run beside the writer.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.chain import GENESIS, chained
from sync.collation import by_name
from sync.roster import Attendee, EventInfo, RosterError, RosterSnapshot, Session
from sync.scans import ScanRecord, storable_raw
from sync.text import fold

from . import badge_store

DB_FILENAME = "kiosk.db"


class StoreError(Exception):
    code = "store_error"


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


# -- migrations ---------------------------------------------------------------------------------


#: matches read for a staff search before Polish ordering picks the first ``limit``
SEARCH_CANDIDATES = 500


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
    _m6_staff_lockout, badge_store.m7_tables]


@dataclass(frozen=True, slots=True)
class StaffLockout:
    """Wrong PINs in a row; the wait after the last one ends at ``locked_until_monotonic``
    on boot ``boot_id``'s monotonic clock, or (read after a reboot) ``locked_until_wall``."""

    failures: int
    wait_seconds: float
    boot_id: str
    locked_until_monotonic: float
    locked_until_wall: datetime


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


# -- rows -> contract objects ----------------------------------------------------------------


def _attendee(row: dict[str, Any]) -> Attendee:
    return Attendee(
        id=row["id"], first_name=row["first_name"], last_name=row["last_name"],
        institution=row["institution"], role=row["role"],
        badge_revision=row["badge_revision"], status=row["status"],
    )


def _session(row: dict[str, Any]) -> Session:
    return Session(
        id=row["id"], kind=row["kind"], title=row["title"], room=row["room"],
        venue=row["venue"], starts_at=row["starts_at"], ends_at=row["ends_at"],
        capacity=row["capacity"], registration_required=bool(row["registration_required"]),
    )


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).isoformat(timespec="microseconds")


def _attendee_row(a: Attendee) -> dict[str, Any]:
    row = a.model_dump()
    row["search_key"] = fold(f"{a.first_name} {a.last_name} {a.institution}")
    return row


def _session_row(s: Session) -> dict[str, Any]:
    row = s.model_dump()
    row["starts_at"] = _iso(s.starts_at)
    row["ends_at"] = _iso(s.ends_at)
    row["registration_required"] = int(s.registration_required)
    return row


class Store:
    """The kiosk database. Writes are serialized through :meth:`write`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.RLock()
        self._writer = sqlite_utils.Database(_connect(path))
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()

    # -- connections ----------------------------------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """The one way to write: holds the writer lock, commits atomically (durably).

        ``BEGIN IMMEDIATE`` takes SQLite's write lock before the first read, so a
        decision never reads a snapshot that another connection (the print worker)
        has moved past: a deferred transaction would fail to upgrade at once with
        "database is locked" instead of waiting.
        """
        with self._write_lock:
            conn = self._writer.conn
            if conn.in_transaction:  # nested: a savepoint inside the outer transaction
                with self._writer.atomic():
                    yield self._writer
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            else:
                try:
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise

    @property
    def reader(self) -> sqlite_utils.Database:
        """A per-thread read connection (sees every committed write)."""
        db = getattr(self._local, "db", None)
        if db is None:
            conn = _connect(self.path)
            with self._readers_lock:
                self._readers.append(conn)
            db = sqlite_utils.Database(conn)
            self._local.db = db
        return db

    def release_reader(self) -> None:
        """Close this thread's read connection (call when a request or thread ends)."""
        db = getattr(self._local, "db", None)
        if db is None:
            return
        self._local.db = None
        with self._readers_lock:
            if db.conn in self._readers:
                self._readers.remove(db.conn)
        db.conn.close()

    def open_readers(self) -> int:
        with self._readers_lock:
            return len(self._readers)

    def close(self) -> None:
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()

    # -- roster ---------------------------------------------------------------------------------

    def apply_roster(self, snapshot: RosterSnapshot) -> None:
        """Apply a full snapshot or a delta atomically: all of it or none of it."""
        with self.write() as db:
            current = self._event(db)
            if not snapshot.full:
                if current is None:
                    raise RosterError("a roster update arrived before any full roster")
                if current.id != snapshot.event.id:
                    raise RosterError(
                        f"roster update for event {snapshot.event.id}, "
                        f"this kiosk holds event {current.id}"
                    )
            if snapshot.full:
                for table in ("registrations", "sessions", "attendees"):
                    db.execute(f"DELETE FROM {table}")
            else:
                d = snapshot.deleted
                for reg in d.registrations:
                    db.execute(
                        "DELETE FROM registrations WHERE session_id=? AND attendee_id=?",
                        [reg.session_id, reg.attendee_id],
                    )
                for ident in d.sessions:
                    db.execute("DELETE FROM sessions WHERE id=?", [ident])
                for ident in d.attendees:
                    db.execute("DELETE FROM attendees WHERE id=?", [ident])
            db["attendees"].upsert_all(
                (_attendee_row(a) for a in snapshot.attendees), pk="id", batch_size=500
            )
            db["sessions"].upsert_all(
                (_session_row(s) for s in snapshot.sessions), pk="id", batch_size=500
            )
            try:
                db["registrations"].insert_all(
                    (r.model_dump() for r in snapshot.registrations),
                    ignore=True, batch_size=500,
                )
            except sqlite3.IntegrityError:
                raise RosterError(
                    "a registration names a person or session this kiosk does not have"
                ) from None
            if snapshot.full or snapshot.badge_template is not None:
                # full: None is the default badge; a delta carries it only when changed
                badge_store.apply(db, snapshot.badge_template, _iso(datetime.now(UTC)))
            self._set_meta(db, "event", snapshot.event.model_dump_json())
            self._set_meta(db, "cursor", snapshot.cursor)
            self._set_meta(db, "roster_applied_at", _iso(datetime.now(UTC)))

    @staticmethod
    def _set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            [key, value],
        )

    def set_meta(self, key: str, value: str | None) -> None:
        with self.write() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key=?", [key])
            else:
                self._set_meta(db, key, value)

    def get_meta(self, key: str, db: sqlite_utils.Database | None = None) -> str | None:
        row = (db or self.reader).execute("SELECT value FROM meta WHERE key=?", [key]).fetchone()
        return row[0] if row else None

    def _event(self, db: sqlite_utils.Database) -> EventInfo | None:
        text = self.get_meta("event", db)
        return EventInfo.model_validate_json(text) if text else None

    def event(self, db: sqlite_utils.Database | None = None) -> EventInfo | None:
        return self._event(db or self.reader)

    def attendee(self, attendee_id: int, db: sqlite_utils.Database | None = None
                 ) -> Attendee | None:
        rows = list((db or self.reader).query(
            "SELECT * FROM attendees WHERE id=?", [attendee_id]))
        return _attendee(rows[0]) if rows else None

    def session(self, session_id: int, db: sqlite_utils.Database | None = None
                ) -> Session | None:
        rows = list((db or self.reader).query("SELECT * FROM sessions WHERE id=?", [session_id]))
        return _session(rows[0]) if rows else None

    def sessions_in_room(self, room: str, db: sqlite_utils.Database | None = None
                         ) -> list[Session]:
        return [_session(r) for r in (db or self.reader).query(
            "SELECT * FROM sessions WHERE room=? ORDER BY starts_at", [room])]

    def sessions(self) -> list[Session]:
        return [_session(r) for r in self.reader.query(
            "SELECT * FROM sessions ORDER BY starts_at, room")]

    def rooms(self) -> list[str]:
        return [r[0] for r in self.reader.execute(
            "SELECT DISTINCT room FROM sessions ORDER BY room").fetchall()]

    def is_registered(self, session_id: int, attendee_id: int,
                      db: sqlite_utils.Database | None = None) -> bool:
        return (db or self.reader).execute(
            "SELECT 1 FROM registrations WHERE session_id=? AND attendee_id=?",
            [session_id, attendee_id],
        ).fetchone() is not None

    def roster_size(self) -> int:
        return self.reader.execute("SELECT count(*) FROM attendees").fetchone()[0]

    def search(self, query: str, limit: int = 20) -> list[Attendee]:
        """Every word of the query, folded, must appear in name or institution."""
        terms = fold(query).split()[:6]
        if not terms:
            return []
        where = " AND ".join("search_key LIKE ? ESCAPE '\\'" for _ in terms)
        params: list[Any] = [
            "%" + t.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            for t in terms
        ]
        rows = list(self.reader.query(f"SELECT * FROM attendees WHERE {where} LIMIT ?",
                                      [*params, SEARCH_CANDIDATES]))
        return [_attendee(r) for r in by_name(rows)[:limit]]  # Polish order: Ł after L

    # -- scans ----------------------------------------------------------------------------------

    @staticmethod
    def insert_scan(db: sqlite_utils.Database, scan: ScanRecord, local_day: date
                    ) -> ScanRecord:
        """Append a scan, linked into the kiosk's chain, and queue it for upload; return it
        as stored (with its link). Call inside :meth:`write`."""
        scan = chained(scan, *Store._next_link(db))
        row = scan.model_dump()
        row["wall_time"] = _iso(scan.wall_time)
        row["admitted"] = int(scan.admitted)
        row["local_day"] = local_day.isoformat()
        seq = db["scans"].insert(row).last_rowid
        assert seq == scan.seq, (seq, scan.seq)
        db.execute("INSERT INTO outbox (seq, scan_id) VALUES (?, ?)", [seq, scan.id])
        return scan

    @staticmethod
    def _next_link(db: sqlite_utils.Database) -> tuple[int, str]:
        """The seq the next scan gets (AUTOINCREMENT: one past the highest ever) and the
        link it follows. Inside :meth:`write`, so no other scan comes between."""
        row = db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'scans'").fetchone()
        last = db.execute("SELECT chain FROM scans WHERE chain IS NOT NULL "
                          "ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0] if row else 0) + 1, (last[0] if last else GENESIS)

    def chain_head(self) -> tuple[int, str]:
        """The last link of this kiosk's chain: (seq, chain), or (0, GENESIS)."""
        row = self.reader.execute("SELECT seq, chain FROM scans WHERE chain IS NOT NULL "
                                  "ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else (0, GENESIS)

    def first_admission_on(self, attendee_id: int, day: date,
                           db: sqlite_utils.Database | None = None) -> datetime | None:
        """When this person was first admitted at an entrance on ``day`` (local)."""
        row = (db or self.reader).execute(
            "SELECT wall_time FROM scans WHERE attendee_id=? AND local_day=? AND admitted=1 "
            "AND session_id IS NULL ORDER BY seq LIMIT 1",
            [attendee_id, day.isoformat()],
        ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def last_movement(self, session_id: int, attendee_id: int,
                      db: sqlite_utils.Database | None = None) -> tuple[str, datetime] | None:
        """The last admitted direction ('in'/'out') of a person in a session, and when."""
        row = (db or self.reader).execute(
            "SELECT direction, wall_time FROM scans WHERE session_id=? AND attendee_id=? "
            "AND admitted=1 AND direction IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [session_id, attendee_id],
        ).fetchone()
        return (row[0], datetime.fromisoformat(row[1])) if row else None

    def last_movement_in_room(self, room: str, attendee_id: int,
                              db: sqlite_utils.Database | None = None
                              ) -> tuple[int, str, datetime] | None:
        """The person's last admitted entry or exit in any session of ``room``."""
        row = (db or self.reader).execute(
            "SELECT s.session_id, s.direction, s.wall_time FROM scans s "
            "JOIN sessions se ON se.id = s.session_id "
            "WHERE s.attendee_id=? AND se.room=? AND s.admitted=1 AND s.direction IS NOT NULL "
            "ORDER BY s.seq DESC LIMIT 1",
            [attendee_id, room],
        ).fetchone()
        return (row[0], row[1], datetime.fromisoformat(row[2])) if row else None

    def highest_admitted_revision(self, attendee_id: int,
                                  db: sqlite_utils.Database | None = None) -> int | None:
        """The newest badge revision admitted here: older ones are revoked by it."""
        row = (db or self.reader).execute(
            "SELECT max(badge_revision) FROM scans WHERE attendee_id=? AND admitted=1",
            [attendee_id],
        ).fetchone()
        return row[0] if row else None

    def occupancy(self, session_id: int, db: sqlite_utils.Database | None = None) -> int:
        """How many people are inside: those whose last movement in the session is 'in'."""
        return (db or self.reader).execute(
            """SELECT count(*) FROM (
                 SELECT attendee_id, direction, max(seq) FROM scans
                 WHERE session_id=? AND admitted=1 AND direction IS NOT NULL
                 GROUP BY attendee_id) WHERE direction='in'""",
            [session_id],
        ).fetchone()[0]

    def latest_token(self, attendee_id: int, revision: int,
                     db: sqlite_utils.Database | None = None) -> str | None:
        """The badge code of this revision, as last scanned here (for reprints)."""
        row = (db or self.reader).execute(
            "SELECT raw FROM scans WHERE attendee_id=? AND badge_revision=? AND raw IS NOT NULL "
            "AND result NOT IN ('invalid', 'wrong_event') ORDER BY seq DESC LIMIT 1",
            [attendee_id, revision],
        ).fetchone()
        return row[0] if row else None

    def recent_scans(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.reader.query(
            """SELECT s.*, a.first_name, a.last_name, a.institution
               FROM scans s LEFT JOIN attendees a ON a.id = s.attendee_id
               ORDER BY s.seq DESC LIMIT ?""",
            [limit],
        ))

    def scan_exists(self, scan_id: str) -> bool:
        return self.reader.execute(
            "SELECT 1 FROM scans WHERE id=?", [scan_id]).fetchone() is not None

    def count_scans(self, day: date | None = None) -> int:
        if day is None:
            return self.reader.execute("SELECT count(*) FROM scans").fetchone()[0]
        return self.reader.execute(
            "SELECT count(*) FROM scans WHERE local_day=?", [day.isoformat()]).fetchone()[0]

    def outbox_batch(self, limit: int) -> list[ScanRecord]:
        """The oldest scans not yet confirmed by the admin."""
        return self.outbox_page(limit)[0]

    def outbox_page(self, limit: int, after_seq: int = 0) -> tuple[list[ScanRecord], int]:
        """Unconfirmed scans after ``after_seq`` (oldest first), and the seq to continue
        from: the sync client reads the next batch while the previous is in flight."""
        rows = self.reader.query(
            "SELECT s.* FROM outbox o JOIN scans s ON s.seq = o.seq WHERE o.seq > ? "
            "ORDER BY o.seq LIMIT ?", [after_seq, limit])
        out = []
        for row in rows:
            after_seq = row["seq"]
            if row["chain"] is None:  # made before the chain: sent as it was
                row["seq"] = row["prev"] = None
            row.pop("local_day")
            row["admitted"] = bool(row["admitted"])
            if row["raw"] is not None:  # kept by a kiosk before NUL was replaced
                row["raw"] = storable_raw(row["raw"])
            out.append(ScanRecord.model_validate(row))
        return out, after_seq

    def mark_sent(self, scan_ids: list[str], quarantined: dict[str, str] | None = None
                  ) -> int:
        """The admin holds these scans: take them off the outbox (scans stay, as facts).
        ``quarantined`` (scan id -> reason, ``sync.rules``) are those it holds in
        quarantine: kept here with the reason, for the kiosk's staff page and logs."""
        removed = 0
        with self.write() as db:
            if quarantined:
                now = datetime.now(UTC).isoformat()
                db.conn.executemany("INSERT OR REPLACE INTO quarantined (scan_id, reason, at) "
                               "VALUES (?, ?, ?)",
                               [(i, r, now) for i, r in quarantined.items()])
            for start in range(0, len(scan_ids), 500):
                chunk = scan_ids[start:start + 500]
                removed += db.execute(
                    f"DELETE FROM outbox WHERE scan_id IN ({','.join('?' * len(chunk))})",
                    chunk).rowcount
        return removed

    def quarantined(self) -> dict[str, str]:
        """Scan id -> reason of the scans the admin holds in quarantine."""
        return dict(self.reader.execute("SELECT scan_id, reason FROM quarantined").fetchall())

    def wipe_roster(self) -> None:
        """A revoked kiosk forgets the people it knew (its own scans stay, as facts)."""
        with self.write() as db:
            for table in ("registrations", "sessions", "attendees"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta WHERE key IN ('event', 'cursor', 'sync_token', "
                       "'session_override')")
            db.execute("DELETE FROM print_jobs WHERE state IN ('queued', 'printing')")
            badge_store.apply(db, None, "")  # another event's badge is not this one's

    def last_scan_at(self) -> datetime | None:
        row = self.reader.execute("SELECT wall_time FROM scans ORDER BY seq DESC LIMIT 1"
                                  ).fetchone()
        return datetime.fromisoformat(row[0]) if row else None

    def outbox_size(self) -> int:
        return self.reader.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def staff_lockout(self) -> StaffLockout | None:
        row = self.reader.execute(
            "SELECT failures, wait_seconds, boot_id, locked_until_monotonic, locked_until_wall "
            "FROM staff_lockout WHERE id = 1").fetchone()
        if row is None:
            return None
        return StaffLockout(int(row[0]), float(row[1]), str(row[2]), float(row[3]),
                            datetime.fromisoformat(row[4]))

    def save_staff_lockout(self, lockout: StaffLockout | None) -> None:
        """Keep (or, with None, forget) the PIN lockout: durably, before the answer."""
        with self.write() as db:
            if lockout is None:
                db.execute("DELETE FROM staff_lockout")
                return
            db.execute(
                "INSERT INTO staff_lockout (id, failures, wait_seconds, boot_id, "
                "locked_until_monotonic, locked_until_wall) VALUES (1, ?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET failures=excluded.failures, "
                "wait_seconds=excluded.wait_seconds, boot_id=excluded.boot_id, "
                "locked_until_monotonic=excluded.locked_until_monotonic, "
                "locked_until_wall=excluded.locked_until_wall",
                [lockout.failures, lockout.wait_seconds, lockout.boot_id,
                 lockout.locked_until_monotonic, _iso(lockout.locked_until_wall)])

    def meta_json(self, key: str) -> Any:
        text = self.get_meta(key)
        return json.loads(text) if text else None


class StoreView:
    """The store as a :class:`kiosk.decide.RosterView`, read through one connection
    (inside a write transaction, so a decision sees exactly what it will write after)."""

    def __init__(self, store: Store, db: sqlite_utils.Database) -> None:
        self.store, self.db = store, db

    def attendee(self, attendee_id: int) -> Attendee | None:
        return self.store.attendee(attendee_id, self.db)

    def first_admission_on(self, attendee_id: int, day: date) -> datetime | None:
        return self.store.first_admission_on(attendee_id, day, self.db)

    def sessions_in_room(self, room: str) -> list[Session]:
        return self.store.sessions_in_room(room, self.db)

    def session(self, session_id: int) -> Session | None:
        return self.store.session(session_id, self.db)

    def is_registered(self, session_id: int, attendee_id: int) -> bool:
        return self.store.is_registered(session_id, attendee_id, self.db)

    def last_movement(self, session_id: int, attendee_id: int) -> tuple[str, datetime] | None:
        return self.store.last_movement(session_id, attendee_id, self.db)

    def last_movement_in_room(self, room: str, attendee_id: int
                              ) -> tuple[int, str, datetime] | None:
        return self.store.last_movement_in_room(room, attendee_id, self.db)

    def occupancy(self, session_id: int) -> int:
        return self.store.occupancy(session_id, self.db)

    def highest_admitted_revision(self, attendee_id: int) -> int | None:
        return self.store.highest_admitted_revision(attendee_id, self.db)


def open_store(data_dir: Path, filename: str = DB_FILENAME) -> Store:
    """Open (creating if needed) the kiosk database: WAL, foreign keys, FULL sync, migrations."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the kiosk data folder {data_dir}: {exc.strerror}"
        ) from None
    path = data_dir / filename
    try:
        store = Store(path)
        store._writer.enable_wal()
        with store._write_lock:
            migrate(store._writer)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot open the kiosk database {path}: {exc}") from None
    return store
