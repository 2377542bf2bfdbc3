"""Every read of the kiosk store, written once, over one connection.

A :class:`StoreReader` is bound to a connection: a thread's read-only one
(``Store.reader``, ``PRAGMA query_only=ON``) or the writer inside a write transaction
(``StoreReader(db)``), so a decision sees exactly what it will write after. It is a
:class:`kiosk.decide.RosterView` as it stands.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlite_utils

from sync.chain import GENESIS
from sync.collation import by_name
from sync.roster import Attendee, EventInfo, Session
from sync.scans import ScanRecord, storable_raw
from sync.text import fold

#: matches read for a staff search before Polish ordering picks the first ``limit``
SEARCH_CANDIDATES = 500


@dataclass(frozen=True, slots=True)
class StaffLockout:
    """Wrong PINs in a row; the wait after the last one ends at ``locked_until_monotonic``
    on boot ``boot_id``'s monotonic clock, or (read after a reboot) ``locked_until_wall``."""

    failures: int
    wait_seconds: float
    boot_id: str
    locked_until_monotonic: float
    locked_until_wall: datetime


def _attendee(row: dict[str, Any]) -> Attendee:
    return Attendee(
        id=row["id"], first_name=row["first_name"], last_name=row["last_name"],
        institution=row["institution"], role=row["role"],
        badge_revision=row["badge_revision"], status=row["status"], seal=row.get("seal"),
    )


def _session(row: dict[str, Any]) -> Session:
    return Session(
        id=row["id"], kind=row["kind"], title=row["title"], room=row["room"],
        venue=row["venue"], starts_at=row["starts_at"], ends_at=row["ends_at"],
        capacity=row["capacity"], registration_required=bool(row["registration_required"]),
    )


class StoreReader:
    """The kiosk database read through ``db``; it writes nothing."""

    __slots__ = ("db",)

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def _one(self, sql: str, params: list[Any]) -> tuple[Any, ...] | None:
        return self.db.execute(sql, params).fetchone()

    # -- meta -----------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key=?", [key])
        return row[0] if row else None

    def meta_json(self, key: str) -> Any:
        text = self.get_meta(key)
        return json.loads(text) if text else None

    def event(self) -> EventInfo | None:
        text = self.get_meta("event")
        return EventInfo.model_validate_json(text) if text else None

    # -- roster ---------------------------------------------------------------------------------

    def attendee(self, attendee_id: int) -> Attendee | None:
        rows = list(self.db.query("SELECT * FROM attendees WHERE id=?", [attendee_id]))
        return _attendee(rows[0]) if rows else None

    def session(self, session_id: int) -> Session | None:
        rows = list(self.db.query("SELECT * FROM sessions WHERE id=?", [session_id]))
        return _session(rows[0]) if rows else None

    def sessions_in_room(self, room: str) -> list[Session]:
        return [_session(r) for r in self.db.query(
            "SELECT * FROM sessions WHERE room=? ORDER BY starts_at", [room])]

    def sessions(self) -> list[Session]:
        return [_session(r) for r in self.db.query(
            "SELECT * FROM sessions ORDER BY starts_at, room")]

    def rooms(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT room FROM sessions ORDER BY room").fetchall()]

    def is_registered(self, session_id: int, attendee_id: int) -> bool:
        return self._one("SELECT 1 FROM registrations WHERE session_id=? AND attendee_id=?",
                         [session_id, attendee_id]) is not None

    def roster_size(self) -> int:
        return self.db.execute("SELECT count(*) FROM attendees").fetchone()[0]

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
        rows = list(self.db.query(f"SELECT * FROM attendees WHERE {where} LIMIT ?",
                                  [*params, SEARCH_CANDIDATES]))
        return [_attendee(r) for r in by_name(rows)[:limit]]  # Polish order: Ł after L

    # -- scans: what decisions read -------------------------------------------------------------

    def first_admission_on(self, attendee_id: int, day: date) -> datetime | None:
        """When this person was first admitted at an entrance on ``day`` (local)."""
        row = self._one(
            "SELECT wall_time FROM scans WHERE attendee_id=? AND local_day=? AND admitted=1 "
            "AND session_id IS NULL ORDER BY seq LIMIT 1", [attendee_id, day.isoformat()])
        return datetime.fromisoformat(row[0]) if row else None

    def last_movement(self, session_id: int, attendee_id: int) -> tuple[str, datetime] | None:
        """The last admitted direction ('in'/'out') of a person in a session, and when."""
        row = self._one(
            "SELECT direction, wall_time FROM scans WHERE session_id=? AND attendee_id=? "
            "AND admitted=1 AND direction IS NOT NULL ORDER BY seq DESC LIMIT 1",
            [session_id, attendee_id])
        return (row[0], datetime.fromisoformat(row[1])) if row else None

    def last_movement_in_room(self, room: str, attendee_id: int
                              ) -> tuple[int, str, datetime] | None:
        """The person's last admitted entry or exit in any session of ``room``."""
        row = self._one(
            "SELECT s.session_id, s.direction, s.wall_time FROM scans s "
            "JOIN sessions se ON se.id = s.session_id "
            "WHERE s.attendee_id=? AND se.room=? AND s.admitted=1 AND s.direction IS NOT NULL "
            "ORDER BY s.seq DESC LIMIT 1", [attendee_id, room])
        return (row[0], row[1], datetime.fromisoformat(row[2])) if row else None

    def highest_admitted_revision(self, attendee_id: int) -> int | None:
        """The newest badge revision admitted here: older ones are revoked by it."""
        row = self._one("SELECT max(badge_revision) FROM scans WHERE attendee_id=? "
                        "AND admitted=1", [attendee_id])
        return row[0] if row else None

    def occupancy(self, session_id: int) -> int:
        """How many people are inside: those whose last movement in the session is 'in'."""
        return self.db.execute(
            """SELECT count(*) FROM (
                 SELECT attendee_id, direction, max(seq) FROM scans
                 WHERE session_id=? AND admitted=1 AND direction IS NOT NULL
                 GROUP BY attendee_id) WHERE direction='in'""",
            [session_id],
        ).fetchone()[0]

    def latest_token(self, attendee_id: int, revision: int) -> str | None:
        """The badge code of this revision, as last scanned here (for reprints)."""
        row = self._one(
            "SELECT raw FROM scans WHERE attendee_id=? AND badge_revision=? AND raw IS NOT NULL "
            "AND result NOT IN ('invalid', 'wrong_event') ORDER BY seq DESC LIMIT 1",
            [attendee_id, revision])
        return row[0] if row else None

    # -- scans: the record, the chain, the outbox -----------------------------------------------

    def chain_head(self) -> tuple[int, str]:
        """The last link of this kiosk's chain: (seq, chain), or (0, GENESIS)."""
        row = self._one("SELECT seq, chain FROM scans WHERE chain IS NOT NULL "
                        "ORDER BY seq DESC LIMIT 1", [])
        return (row[0], row[1]) if row else (0, GENESIS)

    def recent_scans(self, limit: int = 20) -> list[dict[str, Any]]:
        return list(self.db.query(
            """SELECT s.*, a.first_name, a.last_name, a.institution
               FROM scans s LEFT JOIN attendees a ON a.id = s.attendee_id
               ORDER BY s.seq DESC LIMIT ?""",
            [limit],
        ))

    def scan_exists(self, scan_id: str) -> bool:
        return self._one("SELECT 1 FROM scans WHERE id=?", [scan_id]) is not None

    def count_scans(self, day: date | None = None) -> int:
        if day is None:
            return self.db.execute("SELECT count(*) FROM scans").fetchone()[0]
        return self.db.execute(
            "SELECT count(*) FROM scans WHERE local_day=?", [day.isoformat()]).fetchone()[0]

    def last_scan_at(self) -> datetime | None:
        row = self._one("SELECT wall_time FROM scans ORDER BY seq DESC LIMIT 1", [])
        return datetime.fromisoformat(row[0]) if row else None

    def outbox_batch(self, limit: int) -> list[ScanRecord]:
        """The oldest scans not yet confirmed by the admin."""
        return self.outbox_page(limit)[0]

    def outbox_page(self, limit: int, after_seq: int = 0) -> tuple[list[ScanRecord], int]:
        """Unconfirmed scans after ``after_seq`` (oldest first), and the seq to continue
        from: the sync client reads the next batch while the previous is in flight."""
        rows = self.db.query(
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

    def outbox_size(self) -> int:
        return self.db.execute("SELECT count(*) FROM outbox").fetchone()[0]

    def quarantined(self) -> dict[str, str]:
        """Scan id -> reason of the scans the admin holds in quarantine."""
        return dict(self.db.execute("SELECT scan_id, reason FROM quarantined").fetchall())

    # -- staff ----------------------------------------------------------------------------------

    def staff_lockout(self) -> StaffLockout | None:
        row = self._one(
            "SELECT failures, wait_seconds, boot_id, locked_until_monotonic, locked_until_wall "
            "FROM staff_lockout WHERE id = 1", [])
        if row is None:
            return None
        return StaffLockout(int(row[0]), float(row[1]), str(row[2]), float(row[3]),
                            datetime.fromisoformat(row[4]))
