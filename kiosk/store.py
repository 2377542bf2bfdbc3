"""The kiosk's local SQLite store: the connection layer and every write.

One function opens it (:func:`open_store`): WAL, foreign keys, ``synchronous=FULL``
(a committed scan survives pulling the plug), migrations (:mod:`kiosk.store_schema`).
All writes go through one lock-guarded writer connection (:meth:`Store.write`);
readers on other threads get their own read-only connections (``PRAGMA
query_only=ON``), which WAL lets run beside the writer. Every read is a method of
:class:`kiosk.store_reader.StoreReader`, over either kind of connection.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from sync.chain import chained
from sync.roster import Attendee, RosterError, RosterSnapshot, Session
from sync.scans import ScanRecord
from sync.text import fold

from . import badge_store
from .store_reader import StaffLockout, StoreReader
from .store_schema import StoreError, migrate

DB_FILENAME = "kiosk.db"
ROSTER_APPLIED_KEY = "roster_applied"  # a new value with every roster applied


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=10000")
    if read_only:
        conn.execute("PRAGMA query_only=ON")
    return conn


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
    """The kiosk database. Writes are serialized through :meth:`write`; reads go through
    :attr:`reader` (this thread's) or, inside a write, ``StoreReader(db)``."""

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
    def reader(self) -> StoreReader:
        """This thread's reader, over its own read-only connection (``query_only``: a write
        through it fails); it sees every committed write."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            conn = _connect(self.path, read_only=True)
            with self._readers_lock:
                self._readers.append(conn)
            reader = StoreReader(sqlite_utils.Database(conn))
            self._local.reader = reader
        return reader

    def release_reader(self) -> None:
        """Close this thread's read connection (call when a request or thread ends)."""
        reader = getattr(self._local, "reader", None)
        if reader is None:
            return
        self._local.reader = None
        conn = reader.db.conn
        with self._readers_lock:
            if conn in self._readers:
                self._readers.remove(conn)
        conn.close()

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
            # Marks every roster applied (a cursor may repeat): readers' caches key on it.
            self._set_meta(db, ROSTER_APPLIED_KEY, uuid.uuid4().hex)
            current = StoreReader(db).event()
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
        return (row[0] if row else 0) + 1, StoreReader(db).chain_head()[1]

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

    def wipe_roster(self) -> None:
        """A revoked kiosk forgets the people it knew (its own scans stay, as facts)."""
        with self.write() as db:
            for table in ("registrations", "sessions", "attendees"):
                db.execute(f"DELETE FROM {table}")
            db.execute("DELETE FROM meta WHERE key IN ('event', 'cursor', 'sync_token', "
                       "'session_override')")
            db.execute("DELETE FROM print_jobs WHERE state IN ('queued', 'printing')")
            self._set_meta(db, ROSTER_APPLIED_KEY, uuid.uuid4().hex)
            badge_store.apply(db, None, "")  # another event's badge is not this one's

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
