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

The worker never dies of a database error (a locked or briefly unreadable file):
it publishes ``queue_error``, backs off, reopens its connection and carries on.
A job that was ``printing`` when that happened is queued again, so a badge may
print twice but is never lost. The ``print_jobs`` table is created by the kiosk
store's migrations (:mod:`kiosk.store_schema`).
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
from printers.jobs import BadgeEncoder
from printers.layout import BadgeData
from printers.messages import PrinterMessage, printer_message

from . import badge_store

log = logging.getLogger(__name__)

Reason = Literal["checkin", "reprint"]
JobState = Literal["queued", "printing", "done", "failed"]
BACKOFF_BASE_SECONDS = 0.5

#: error codes of the queue itself (the printer's own are PrinterError codes)
QUEUE_ERROR = "queue_error"
BADGE_INVALID = "badge_invalid"
QUEUE_MESSAGES: dict[str, PrinterMessage] = {
    QUEUE_ERROR: PrinterMessage(
        "Kolejka wydruku chwilowo nie działa; ponawiam próbę.",
        "The print queue has a problem; retrying.",
    ),
    BADGE_INVALID: PrinterMessage(
        "Tego identyfikatora nie da się wydrukować; wydrukuj go w punkcie informacyjnym.",
        "This badge cannot be printed; print it at the help desk.",
    ),
}
_INSERT = (
    "INSERT INTO print_jobs (id, attendee_id, scan_id, reason, badge, state, attempts,"
    " created_at, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING"
)
_PENDING = "state IN ('queued', 'printing')"
_KEEP: Any = object()  # sentinel: leave the last error as it is


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def enqueue(
    db: sqlite_utils.Database,
    badge: BadgeData,
    *,
    attendee_id: int,
    reason: Reason,
    scan_id: str | None = None,
    job_id: str | None = None,
) -> str:
    """Queue one badge; return the job id. Joins the caller's transaction if one is open.

    A given ``job_id`` makes queueing idempotent: a job of that id queued before (printed
    or not) is kept and nothing new is queued."""
    if reason not in ("checkin", "reprint"):
        raise ValueError(f"reason must be 'checkin' or 'reprint', got {reason!r}")
    job_id = job_id or uuid.uuid4().hex
    now = _now()
    badge_json = json.dumps(badge.to_dict(), ensure_ascii=False)
    db.execute(_INSERT, (job_id, attendee_id, scan_id, reason, badge_json, now, now, now))
    return job_id


def pending_jobs(db: sqlite_utils.Database | sqlite3.Connection) -> int:
    """Jobs not yet printed (queued or being printed)."""
    return int(db.execute(f"SELECT count(*) FROM print_jobs WHERE {_PENDING}").fetchone()[0])


@dataclass(frozen=True, slots=True)
class PrintQueueState:
    """What the kiosk shows about printing. ``last_error_code`` selects the screen."""

    printer: PrinterStatus
    queued: int
    last_error: str | None = None
    last_error_code: str | None = None

    def describe(self) -> PrinterMessage:
        """One sentence, Polish and English, for people at the kiosk."""
        if self.last_error_code in QUEUE_MESSAGES:
            return QUEUE_MESSAGES[self.last_error_code]
        return printer_message(self.printer, self.last_error_code)


def open_connection(path: Path) -> sqlite3.Connection:
    """The worker's own connection: autocommit, durable, waits for the check-in's writes."""
    conn = sqlite3.connect(str(path), timeout=10, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
    except BaseException:
        conn.close()
        raise
    return conn


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
        connect: Callable[[Path], sqlite3.Connection] = open_connection,
    ) -> None:
        super().__init__(name="print-worker", daemon=True)
        self.db_path = Path(db_path)
        self.printer = printer
        self.printer_settings = printer_settings
        self.badge_settings = badge_settings
        # the profile's renderer and encoder: ESC/POS, Brother QL, ZPL or a PDF for CUPS;
        # made again when the event's badge template changes (kiosk.badge_store)
        self.badges = BadgeEncoder.for_settings(printer_settings, badge_settings)
        self.template_hash: str | None = None
        self.on_state = on_state
        self.poll_seconds = poll_seconds
        self.status_seconds = status_seconds
        self.backoff_base = backoff_base
        self._connect = connect
        self._wake = threading.Event()
        self._stop_event = threading.Event()
        self._state_lock = threading.Lock()
        self._state = PrintQueueState(PrinterStatus("unknown", "starting"), 0)
        self._failures = 0
        self._retry_at = 0.0
        self._encoded: tuple[str, bytes] | None = None
        self._last_status = 0.0
        self.jobs_printed = 0

    # -- control (any thread) -------------------------------------------------------------------

    @property
    def state(self) -> PrintQueueState:
        with self._state_lock:
            return self._state

    def notify(self) -> None:
        """A job was queued: look now instead of at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop_event.set()
        self._wake.set()
        if self.is_alive():
            self.join(timeout)

    # -- the thread -----------------------------------------------------------------------------

    def run(self) -> None:
        conn: sqlite3.Connection | None = None
        queue_failures = 0
        try:
            while not self._stop_event.is_set():
                try:
                    if conn is None:
                        conn = self._open()
                    self._step(conn)
                except Exception as exc:  # the queue's database: never let it end the thread
                    queue_failures += 1
                    if conn is not None:
                        _close_quietly(conn)
                        conn = None
                    self._queue_failed(exc, queue_failures)
                    continue
                if queue_failures:
                    queue_failures = 0
                    log.info("print queue database reachable again")
                    if self.state.last_error_code == QUEUE_ERROR:
                        self._publish(conn, error=None, code=None)
        finally:
            self.printer.close()
            if conn is not None:
                conn.close()

    def _open(self) -> sqlite3.Connection:
        conn = self._connect(self.db_path)
        try:
            conn.row_factory = sqlite3.Row
            self._recover(conn)
        except BaseException:
            _close_quietly(conn)
            raise
        return conn

    def _step(self, conn: sqlite3.Connection) -> None:
        """One turn of the loop: print the next job, or wait for one."""
        job = self._next_job(conn)
        if job is None:
            if self.printer.is_open:
                self.printer.close()  # let others (a test print, the admin) reach it
            if time.monotonic() - self._last_status >= self.status_seconds:
                self._last_status = time.monotonic()
                self._publish(conn, printer=self.printer.status())
            else:
                self._publish(conn)
            self._sleep(self.poll_seconds)
            return
        wait = self._retry_at - time.monotonic()
        if wait > 0:
            self._sleep(wait)
            return
        self._print(conn, job)
        self._last_status = time.monotonic()

    def _queue_failed(self, exc: Exception, failures: int) -> None:
        delay = backoff_delay(failures, self.printer_settings.retry_max_seconds, self.backoff_base)
        if failures == 1:
            log.exception("print queue error; retrying in %.1f s", delay)
        else:
            log.warning("print queue error again (%s); retrying in %.1f s", exc, delay)
        self._set_state(error=f"{QUEUE_ERROR}: {exc}", code=QUEUE_ERROR)
        self._sleep(delay)

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

    def _follow_template(self, conn: sqlite3.Connection) -> None:
        """Render with the badge template the store holds now (one small read a job)."""
        digest = badge_store.current_hash(conn)
        if digest == self.template_hash:
            return
        stored = badge_store.load(conn) if digest else None
        self.badges = BadgeEncoder.for_settings(
            self.printer_settings, self.badge_settings,
            stored.template if stored else None, stored.images if stored else None)
        self.template_hash = digest
        log.info("badges now print with template %s", (digest or "default")[:12])

    def _encode(self, job: sqlite3.Row, conn: sqlite3.Connection) -> bytes:
        if self._encoded is None or self._encoded[0] != job["id"]:
            self._follow_template(conn)
            badge = BadgeData.from_dict(json.loads(job["badge"]))
            self._encoded = (job["id"], self.badges.encode(badge))
        return self._encoded[1]

    def _update(self, conn: sqlite3.Connection, job_id: str, sql: str, *params: Any) -> None:
        conn.execute(
            f"UPDATE print_jobs SET {sql}, updated_at = ? WHERE id = ?", (*params, _now(), job_id)
        )

    def _print(self, conn: sqlite3.Connection, job: sqlite3.Row) -> None:
        job_id = job["id"]
        try:
            data = self._encode(job, conn)
        except Exception as exc:  # this badge can never print: do not block the queue with it
            log.exception("print job %s cannot be rendered", job_id)
            self._update(conn, job_id, "state = 'failed', last_error = ?", f"render: {exc}")
            self._publish(conn, error=f"render: {exc}", code=BADGE_INVALID)
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
        self._set_state(queued=pending_jobs(conn), printer=printer, error=error, code=code)

    def _set_state(
        self,
        *,
        queued: int | None = None,
        printer: PrinterStatus | None = None,
        error: str | None | Any = _KEEP,
        code: str | None | Any = _KEEP,
    ) -> None:
        with self._state_lock:
            old = self._state
            new = old
            if queued is not None:
                new = replace(new, queued=queued)
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


def _close_quietly(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    except sqlite3.Error:  # closing a broken connection must never mask the real error
        log.debug("error while closing the print queue connection", exc_info=True)
