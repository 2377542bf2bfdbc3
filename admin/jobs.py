"""Background jobs with progress (imports, mailings), kept in memory of this process."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, abort, current_app, jsonify

EXTENSION = "bramka_jobs"


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


class Jobs:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self, kind: str, event_id: int) -> Job | None:
        """A job of this kind for this event still running in this process."""
        with self._lock:
            return next((j for j in self._jobs.values() if j.kind == kind
                         and j.event_id == event_id and j.status == "running"), None)

    def start(self, app: Flask, kind: str, event_id: int,
              work: Callable[[Job], dict[str, Any]]) -> Job:
        """Run ``work(job)`` in a thread inside an app context; it updates job.done/total."""
        job = Job(uuid.uuid4().hex, kind, event_id)
        with self._lock:
            self._jobs[job.id] = job

        def run() -> None:
            with app.app_context():
                try:
                    job.result = work(job)
                    job.status = "done"
                except Exception as exc:  # reported to the page; the job's transaction rolled back
                    job.error = getattr(exc, "en", None) or str(exc)
                    job.result = {"pl": getattr(exc, "pl", job.error)}
                    job.status = "failed"

        thread = threading.Thread(target=run, name=f"bramka-{kind}-{job.id[:8]}", daemon=True)
        thread.start()
        if app.config.get("JOBS_JOIN"):  # tests may ask to wait
            thread.join()
        return job


def jobs(app: Flask) -> Jobs:
    return app.extensions.setdefault(EXTENSION, Jobs())


def event_job(event_id: int, job_id: str) -> Job:
    """The job of this event in the current app; 404 for any other (or a finished-long-ago)."""
    job = jobs(current_app).get(job_id)
    if job is None or job.event_id != event_id:
        abort(404)
    return job


def job_status(event_id: int, job_id: str) -> tuple[Response, int]:
    """A job's progress as JSON, polled by its page."""
    job = jobs(current_app).get(job_id)
    if job is None or job.event_id != event_id:
        return jsonify(error="not_found"), 404
    return jsonify(job.to_dict()), 200
