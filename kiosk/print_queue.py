"""The kiosk's durable print queue: a check-in never waits for the printer.

The check-in path calls :func:`enqueue` (one INSERT, inside the caller's
transaction if one is open). A :class:`PrintWorker` thread, on its own SQLite
connection, takes jobs oldest first, renders and encodes the badge, sends it to
the :class:`~printers.backends.Printer`, and marks the job ``done`` only after the
printer took every byte (and, where it can answer, said it printed). When the
printer fails the job stays ``queued``, the error is recorded, and the worker
retries with exponential backoff and jitter, capped by
``PrinterSettings.retry_max_seconds``. A job found ``printing`` at start (the
kiosk died mid-job) goes back to ``queued``: no job is ever lost. A job whose
badge cannot be rendered at all (unknown role, say) is ``failed`` at once.

Retry times are kept on the monotonic clock (a Raspberry Pi has no RTC and its
wall clock may jump); ``next_attempt_at`` is written for people to read.
"""

from __future__ import annotations

import json
import logging
import random
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import sqlite_utils

from bramka.config import BadgeSettings, PrinterSettings
from printers.backends import Printer, PrinterError, PrinterStatus
from printers.escpos_encode import encode_image
from printers.layout import BadgeData, BadgeRenderer

log = logging.getLogger(__name__)

Reason = Literal["checkin", "reprint"]
JobState = Literal["queued", "printing", "done", "failed"]
BACKOFF_BASE_SECONDS = 0.5

_SCHEMA = """
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
_INDEX = "CREATE INDEX IF NOT EXISTS print_jobs_state ON print_jobs (state)"
_INSERT = (
    "INSERT INTO print_jobs (id, attendee_id, scan_id, reason, badge, state, attempts,"
    " created_at, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)"
)
_PENDING = "state IN ('queued', 'printing')"
_KEEP: Any = object()  # sentinel: leave the last error as it is


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def create_tables(db: sqlite_utils.Database) -> None:
    """Create ``print_jobs`` if missing (idempotent)."""
    db.execute(_SCHEMA)
    db.execute(_INDEX)


def enqueue(
    db: sqlite_utils.Database,
    badge: BadgeData,
    *,
    attendee_id: int,
    reason: Reason,
    scan_id: str | None = None,
) -> str:
    """Queue one badge; return the job id. Joins the caller's transaction if one is open."""
    if reason not in ("checkin", "reprint"):
        raise ValueError(f"reason must be 'checkin' or 'reprint', got {reason!r}")
    job_id = uuid.uuid4().hex
    now = _now()
    badge_json = json.dumps(badge.to_dict(), ensure_ascii=False)
    db.execute(_INSERT, (job_id, attendee_id, scan_id, reason, badge_json, now, now, now))
    return job_id


def pending_jobs(db: sqlite_utils.Database) -> int:
    """Jobs not yet printed (queued or being printed)."""
    return int(db.execute(f"SELECT count(*) FROM print_jobs WHERE {_PENDING}").fetchone()[0])


@dataclass(frozen=True, slots=True)
class PrintQueueState:
    """What the kiosk shows about printing. ``last_error_code`` selects the screen."""

    printer: PrinterStatus
    queued: int
    last_error: str | None = None
    last_error_code: str | None = None


def backoff_delay(failures: int, cap: float, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Exponential backoff with jitter: half fixed, half random, never above ``cap``."""
    ceiling = min(cap, base * 2 ** max(0, failures - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


class PrintWorker(threading.Thread):
    """Prints queued badges, one at a time, oldest first. ``start()``, then ``stop()``."""

    def __init__(
        self,
        db_path: Path,
        printer: Printer,
        *,
        printer_settings: PrinterSettings,
        badge_settings: BadgeSettings,
        on_state: Callable[[PrintQueueState], None] | None = None,
        poll_seconds: float = 0.5,
        status_seconds: float = 10.0,
        backoff_base: float = BACKOFF_BASE_SECONDS,
    ) -> None:
        super().__init__(name="print-worker", daemon=True)
        self.db_path = Path(db_path)
        self.printer = printer
        self.printer_settings = printer_settings
        self.renderer = BadgeRenderer(badge_settings, printer_settings.paper_width)
        self.on_state = on_state
        self.poll_seconds = poll_seconds
        self.status_seconds = status_seconds
        self.backoff_base = backoff_base
        self._wake = threading.Event()
        self._stop_event = threading.Event()
        self._state_lock = threading.Lock()
        self._state = PrintQueueState(PrinterStatus("unknown", "starting"), 0)
        self._failures = 0
        self._retry_at = 0.0
        self._encoded: tuple[str, bytes] | None = None
        self.jobs_printed = 0

    # -- control (any thread) -------------------------------------------------------------------

    @property
    def state(self) -> PrintQueueState:
        with self._state_lock:
            return self._state

    def notify(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    def retry_now(self) -> None:
        """The help desk fixed the printer: skip the rest of the backoff."""
        self._retry_at = 0.0
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    # -- the thread -----------------------------------------------------------------------------

    def run(self) -> None:
        conn = sqlite3.connect(str(self.db_path), timeout=10, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.row_factory = sqlite3.Row
            self._recover(conn)
            last_status = 0.0
            while not self._stop_event.is_set():
                job = self._next_job(conn)
                if job is None:
                    if self.printer.is_open:
                        self.printer.close()  # let others (a test print, the admin) reach it
                    if time.monotonic() - last_status >= self.status_seconds:
                        last_status = time.monotonic()
                        self._publish(conn, printer=self.printer.status())
                    else:
                        self._publish(conn)
                    self._sleep(self.poll_seconds)
                    continue
                wait = self._retry_at - time.monotonic()
                if wait > 0:
                    self._sleep(wait)
                    continue
                self._print(conn, job)
                last_status = time.monotonic()
        except Exception:
            log.exception("print worker stopped by an unexpected error")
            raise
        finally:
            self.printer.close()
            conn.close()

    def _sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _recover(self, conn: sqlite3.Connection) -> None:
        moved = conn.execute(
            "UPDATE print_jobs SET state = 'queued', updated_at = ? WHERE state = 'printing'",
            (_now(),),
        ).rowcount
        if moved:
            log.warning("%d print job(s) were interrupted by a restart: queued again", moved)

    def _next_job(self, conn: sqlite3.Connection) -> sqlite3.Row | None:
        row: sqlite3.Row | None = conn.execute(
            "SELECT id, badge, attempts FROM print_jobs WHERE state = 'queued'"
            " ORDER BY rowid LIMIT 1"  # insertion order: immune to wall-clock jumps
        ).fetchone()
        return row

    def _encode(self, job: sqlite3.Row) -> bytes:
        if self._encoded is None or self._encoded[0] != job["id"]:
            badge = BadgeData.from_dict(json.loads(job["badge"]))
            image = self.renderer.render(badge)
            self._encoded = (job["id"], encode_image(image, self.printer_settings.paper_width))
        return self._encoded[1]

    def _update(self, conn: sqlite3.Connection, job_id: str, sql: str, *params: Any) -> None:
        conn.execute(
            f"UPDATE print_jobs SET {sql}, updated_at = ? WHERE id = ?", (*params, _now(), job_id)
        )

    def _print(self, conn: sqlite3.Connection, job: sqlite3.Row) -> None:
        job_id = job["id"]
        try:
            data = self._encode(job)
        except Exception as exc:  # this badge can never print: do not block the queue with it
            log.exception("print job %s cannot be rendered", job_id)
            self._update(conn, job_id, "state = 'failed', last_error = ?", f"render: {exc}")
            self._publish(conn, error=f"render: {exc}", code="badge_invalid")
            return
        self._update(conn, job_id, "state = 'printing', attempts = attempts + 1")
        try:
            if not self.printer.is_open:
                self.printer.open()
            self.printer.send(data)
        except Exception as exc:
            self._failed_attempt(conn, job_id, exc)
            return
        self._update(conn, job_id, "state = 'done', last_error = NULL")
        self._encoded = None
        self._failures = 0
        self.jobs_printed += 1
        log.info("print job %s printed", job_id)
        self._publish(
            conn, printer=PrinterStatus("ready", self.printer.name), error=None, code=None
        )

    def _failed_attempt(self, conn: sqlite3.Connection, job_id: str, exc: Exception) -> None:
        if isinstance(exc, PrinterError):
            code, status = exc.code, PrinterStatus(exc.state, str(exc))
        else:
            log.exception("unexpected error while printing job %s", job_id)
            code, status = "printer_error", PrinterStatus("unknown", str(exc))
        self.printer.close()
        self._failures += 1
        delay = backoff_delay(
            self._failures, self.printer_settings.retry_max_seconds, self.backoff_base
        )
        self._retry_at = time.monotonic() + delay
        retry_wall = (datetime.now(UTC) + timedelta(seconds=delay)).isoformat(
            timespec="microseconds"
        )
        message = f"{code}: {exc}"
        self._update(
            conn,
            job_id,
            "state = 'queued', last_error = ?, next_attempt_at = ?",
            message,
            retry_wall,
        )
        log.warning("print job %s not printed (%s); retry in %.1f s", job_id, message, delay)
        self._publish(conn, printer=status, error=message, code=code)

    def _publish(
        self,
        conn: sqlite3.Connection,
        printer: PrinterStatus | None = None,
        error: str | None | Any = _KEEP,
        code: str | None | Any = _KEEP,
    ) -> None:
        queued = int(
            conn.execute(f"SELECT count(*) FROM print_jobs WHERE {_PENDING}").fetchone()[0]
        )
        with self._state_lock:
            old = self._state
            new = replace(old, queued=queued)
            if printer is not None:
                new = replace(new, printer=printer)
            if error is not _KEEP:
                new = replace(new, last_error=error, last_error_code=code)
            changed = new != old
            self._state = new
        if changed and self.on_state is not None:
            try:
                self.on_state(new)
            except Exception:
                log.exception("on_state callback failed")
