"""The store's part of self-service (``kiosk.self_service``): migration m8 and attempts.

Each attendee row keeps its seal (``sync.roster.Attendee.seal``). Every confirmation
attempt is kept (time, person, success) so that the lockouts hold across a restart: a
guesser cannot start afresh by pulling the plug.
"""

from __future__ import annotations

from datetime import datetime

import sqlite_utils


def m8_tables(db: sqlite_utils.Database) -> None:
    """Store migration m8: the seals and the confirmation attempts."""
    db.execute("ALTER TABLE attendees ADD COLUMN seal TEXT")
    db.execute("CREATE TABLE self_service_attempts (id INTEGER PRIMARY KEY, at TEXT NOT NULL, "
               "attendee_id INTEGER NOT NULL, ok INTEGER NOT NULL)")
    db.execute("CREATE INDEX ix_self_service_attempts_at ON self_service_attempts (at)")


def record_attempt(db: sqlite_utils.Database, at: datetime, attendee_id: int, ok: bool) -> None:
    db.execute("INSERT INTO self_service_attempts (at, attendee_id, ok) VALUES (?, ?, ?)",
               [at.isoformat(), attendee_id, int(ok)])


def attempts_since(db: sqlite_utils.Database, since: datetime
                   ) -> list[tuple[datetime, int, bool]]:
    """(time, attendee id, success) of every attempt since ``since``, oldest first."""
    rows = db.execute("SELECT at, attendee_id, ok FROM self_service_attempts WHERE at >= ? "
                      "ORDER BY at, id", [since.isoformat()]).fetchall()
    return [(datetime.fromisoformat(r[0]), int(r[1]), bool(r[2])) for r in rows]


def prune(db: sqlite_utils.Database, before: datetime) -> None:
    db.execute("DELETE FROM self_service_attempts WHERE at < ?", [before.isoformat()])
