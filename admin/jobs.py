"""Background jobs with progress (imports, mailings), visible to every admin process.

The process that starts a job runs it in a thread and keeps its progress in a :class:`Job`
in memory; a writer thread copies it to the ``jobs`` table about once a second (and at the
end), so a page served by another process (``gunicorn -w 4``, several servers behind a
proxy) shows the same job, and "a mailing is running" holds across processes. A job whose
row has not moved for :data:`SILENT_AFTER` died with its process: it is shown as
interrupted, and a new one may start.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify
from sqlalchemy import Engine, insert, select, update

from admin.db import get_engine
from admin.schema import jobs as jobs_table
from admin.schema import utcnow
from bramka.web_guard import json_error

log = logging.getLogger(__name__)

EXTENSION = "bramka_jobs"
#: how often the running process writes a job's progress (and proves it is alive)
FLUSH_SECONDS = 1.0
#: a running job's row unchanged this long: its process is gone
SILENT_AFTER = timedelta(seconds=60)
INTERRUPTED = ("Przerwane: proces panelu, który to wykonywał, zatrzymał się.",
               "Interrupted: the admin process running it stopped.")


@dataclass
class Job:
    id: str
    kind: str
    event_id: int
    status: str = "running"  # running | done | failed
    done: int = 0
    total: int = 0
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "status": self.status, "done": self.done,
                "total": self.total, "result": self.result, "error": self.error}

    def _values(self) -> dict[str, Any]:
        return {"status": self.status, "done": self.done, "total": self.total,
                "result": json.dumps(self.result, ensure_ascii=False), "error": self.error,
                "updated_at": utcnow()}


def _from_row(row: Any, now: datetime) -> Job:
    job = Job(row["id"], row["kind"], row["event_id"], row["status"], row["done"],
              row["total"], json.loads(row["result"] or "{}"), row["error"])
    if job.status == "running" and now - row["updated_at"] > SILENT_AFTER:
        job.status, job.error = "failed", INTERRUPTED[1]
        job.result = {**job.result, "pl": INTERRUPTED[0]}
    return job


class Jobs:
    """The jobs of one admin app: those this process runs, and the table for the rest."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._mine: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._owner = f"{socket.gethostname()}:{os.getpid()}"[:100]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            mine = self._mine.get(job_id)
        if mine is not None:
            return mine
        with self._engine.connect() as conn:
            row = conn.execute(select(jobs_table).where(jobs_table.c.id == job_id)
                               ).mappings().first()
        return _from_row(row, utcnow()) if row is not None else None

    def running(self, kind: str, event_id: int) -> Job | None:
        """A job of this kind for this event still running, in any admin process."""
        with self._lock:
            mine = next((j for j in self._mine.values() if j.kind == kind
                         and j.event_id == event_id and j.status == "running"), None)
        if mine is not None:
            return mine
        now = utcnow()
        with self._engine.connect() as conn:
            rows = conn.execute(select(jobs_table).where(
                jobs_table.c.kind == kind, jobs_table.c.event_id == event_id,
                jobs_table.c.status == "running",
                jobs_table.c.updated_at > now - SILENT_AFTER)).mappings().all()
        return _from_row(rows[0], now) if rows else None

    def start(self, app: Flask, kind: str, event_id: int,
              work: Callable[[Job], dict[str, Any]]) -> Job:
        """Run ``work(job)`` in a thread inside an app context; it updates job.done/total."""
        job = Job(uuid.uuid4().hex, kind, event_id)
        now = utcnow()
        with self._engine.begin() as conn:
            conn.execute(insert(jobs_table).values(
                id=job.id, kind=kind, event_id=event_id, owner=self._owner, started_at=now,
                **job._values()))
        with self._lock:
            self._mine[job.id] = job
        finished = threading.Event()

        def run() -> None:
            with app.app_context():
                try:
                    job.result = work(job)
                    job.status = "done"
                except Exception as exc:  # reported to the page; the job's transaction rolled back
                    job.error = getattr(exc, "en", None) or str(exc)
                    job.result = {"pl": getattr(exc, "pl", job.error)}
                    job.status = "failed"
                finally:
                    finished.set()
                    self._flush(job, final=True)
                    with self._lock:
                        self._mine.pop(job.id, None)

        def flush_while_running() -> None:
            while not finished.wait(FLUSH_SECONDS):
                self._flush(job)

        threading.Thread(target=flush_while_running, name=f"bramka-{kind}-progress",
                         daemon=True).start()
        thread = threading.Thread(target=run, name=f"bramka-{kind}-{job.id[:8]}", daemon=True)
        thread.start()
        if app.config.get("JOBS_JOIN"):  # tests may ask to wait
            thread.join()
        return job

    def _flush(self, job: Job, final: bool = False) -> None:
        """Copy the job's progress to its row. A failed write while running is retried at
        the next tick (SQLite may be busy with the job's own transaction); the last one
        is tried until it lands, within a few attempts."""
        for attempt in range(5 if final else 1):
            try:
                with self._engine.begin() as conn:
                    conn.execute(update(jobs_table).where(jobs_table.c.id == job.id)
                                 .values(**job._values()))
                return
            except Exception:
                if final and attempt == 4:
                    log.exception("job %s: its final state could not be saved", job.id)
                elif final:
                    time.sleep(0.5 * (attempt + 1))


def jobs(app: Flask) -> Jobs:
    registry = app.extensions.get(EXTENSION)
    if registry is None:
        with app.app_context():
            registry = app.extensions.setdefault(EXTENSION, Jobs(get_engine()))
    return registry


def event_job(event_id: int, job_id: str) -> Job:
    """The job of this event; 404 for any other."""
    job = jobs(current_app).get(job_id)
    if job is None or job.event_id != event_id:
        abort(404)
    return job


def job_status(event_id: int, job_id: str) -> tuple[Response, int]:
    """A job's progress as JSON, polled by its page."""
    job = jobs(current_app).get(job_id)
    if job is None or job.event_id != event_id:
        return json_error(404, "not_found", "Nie ma takiego zadania.", "No such job."), 404
    return jsonify(job.to_dict()), 200
