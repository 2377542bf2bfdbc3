"""Background jobs seen by every admin process: two apps on one database stand for two
processes (each has its own memory; only the database is shared)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from admin_fixtures import make_event
from flask import Flask
from sqlalchemy import Engine, update

from admin import create_app
from admin.jobs import SILENT_AFTER, Job, jobs
from admin.schema import jobs as jobs_table
from admin.schema import utcnow
from bramka.config import AdminSettings


@pytest.fixture
def other_app(settings: AdminSettings) -> Iterator[Flask]:
    """A second admin process's app: same database and data directory, its own memory."""
    second = create_app(settings)
    yield second
    second.extensions["bramka_db"].dispose()


def _wait_for(condition: Any, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_job_run_by_one_process_is_seen_by_another(app: Flask, other_app: Flask,
                                                     engine: Engine) -> None:
    ev = make_event(engine)
    release, halfway = threading.Event(), threading.Event()

    def work(job: Job) -> dict[str, Any]:
        job.done, job.total = 40, 100
        halfway.set()
        assert release.wait(60)
        job.done = 100
        return {"sent": 100}

    with app.app_context():
        job = jobs(app).start(app, "invitations", ev["id"], work)
    try:
        assert halfway.wait(30)
        theirs = jobs(other_app)
        # The other process learns the progress from the table, within a flush or two.
        _wait_for(lambda: (theirs.get(job.id) or Job("", "", 0)).done == 40,
                  "progress did not reach the other process")
        seen = theirs.get(job.id)
        assert seen is not None and (seen.status, seen.total) == ("running", 100)
        running = theirs.running("invitations", ev["id"])
        assert running is not None and running.id == job.id  # no second mailing there
        assert theirs.running("import", ev["id"]) is None
    finally:
        release.set()
    _wait_for(lambda: (jobs(other_app).get(job.id) or job).status == "done",
              "the end did not reach the other process")
    done = jobs(other_app).get(job.id)
    assert done is not None and done.result == {"sent": 100} and done.done == 100
    assert jobs(other_app).running("invitations", ev["id"]) is None


def test_a_job_whose_process_died_is_shown_interrupted(app: Flask, other_app: Flask,
                                                       engine: Engine) -> None:
    ev = make_event(engine)
    with app.app_context():
        job = jobs(app).start(app, "import", ev["id"], lambda job: {"created": 1})
    _wait_for(lambda: jobs(other_app).get(job.id).status == "done", "job did not finish")
    # As if the process had stopped mid-way: the row says running, and nobody writes it.
    with engine.begin() as conn:
        conn.execute(update(jobs_table).where(jobs_table.c.id == job.id).values(
            status="running", updated_at=utcnow() - SILENT_AFTER - timedelta(seconds=1)))
    seen = jobs(other_app).get(job.id)
    assert seen is not None and seen.status == "failed" and "Interrupted" in seen.error
    assert "Przerwane" in seen.result["pl"]
    assert jobs(other_app).running("import", ev["id"]) is None  # a new import may start
