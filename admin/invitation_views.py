"""Invitation pages: status per event, send the unsent ones (with progress), resend one."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from admin import db, invitations
from admin.auth import requires
from admin.i18n import tr
from admin.jobs import Job, event_job, jobs
from admin.jobs import job_status as event_job_status
from admin.queries import events as q_events
from admin.queries import people as q_people
from bramka.config import AdminSettings

bp = Blueprint("invitations", __name__)


def _settings() -> AdminSettings:
    return current_app.config["BRAMKA_ADMIN_SETTINGS"]


@bp.route("/events/<int:event_id>/invitations", methods=["GET", "POST"])
@requires("organizer")
def index(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    if request.method == "POST":
        with db.read() as conn:
            ids = invitations.pending_ids(conn, event_id,
                                          include_failed=request.form.get("failed") == "1")
        if not ids:
            flash(tr("Nie ma komu wysłać zaproszeń.", "Nobody is waiting for an invitation."),
                  "warn")
            return redirect(url_for("invitations.index", event_id=event_id))
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        engine = db.get_engine()
        settings = _settings()

        def work(job: Job) -> dict[str, Any]:
            job.total = len(ids)

            def progress(done: int, total: int) -> None:
                job.done, job.total = done, total

            out = invitations.send_invitations(engine, settings, event_id, ids, progress)
            return {"sent": out.sent, "failed": out.failed, "skipped": out.skipped}

        job = jobs(app).start(app, "invitations", event_id, work)
        return redirect(url_for("invitations.job_page", event_id=event_id, job_id=job.id))
    with db.read() as conn:
        counts = invitations.status_counts(conn, event_id)
        failed = invitations.failed_people(conn, event_id)
        waiting = len(invitations.pending_ids(conn, event_id, include_failed=False))
    return render_template("invitations/index.html", event=event, counts=counts, failed=failed,
                           waiting=waiting)


@bp.route("/events/<int:event_id>/invitations/jobs/<job_id>")
@requires("organizer")
def job_page(event_id: int, job_id: str) -> Any:
    job = event_job(event_id, job_id)
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    return render_template("invitations/job.html", event=event, job=job)


@bp.route("/events/<int:event_id>/invitations/jobs/<job_id>.json")
@requires("organizer")
def job_status(event_id: int, job_id: str) -> Any:
    return event_job_status(event_id, job_id)


@bp.route("/people/<int:person_id>/invite", methods=["POST"])
@requires("organizer")
def resend(person_id: int) -> Any:
    with db.read() as conn:
        person = q_people.get_person(conn, person_id)
    if not person["email"]:
        flash(tr("Ta osoba nie ma adresu e-mail.", "This person has no e-mail address."),
              "error")
        return redirect(url_for("helpdesk.person", person_id=person_id))
    out = invitations.send_invitations(db.get_engine(), _settings(), person["event_id"],
                                       [person_id])
    with db.read() as conn:
        error = q_people.get_person(conn, person_id)["invitation_error"]
    if out.sent:
        flash(tr("Zaproszenie wysłane.", "Invitation sent."), "ok")
    else:
        flash(tr("Nie udało się wysłać", "Sending failed") + f": {error}", "error")
    return redirect(url_for("helpdesk.person", person_id=person_id))
