"""Certificates by e-mail (organizer): one mailing per event, followed on its job page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from admin import certificates, db
from admin.auth import requires
from admin.i18n import tr
from admin.invitation_views import admin_settings, smtp_pool
from admin.invitations import Outcome
from admin.jobs import Job, event_job, jobs
from admin.jobs import job_status as event_job_status
from admin.queries import events as q_events

bp = Blueprint("certificate_mail", __name__)
KIND = "certificates"


@bp.post("/events/<int:event_id>/certificates/mail")
@requires("organizer")
def send(event_id: int) -> Any:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    running = jobs(app).running(KIND, event_id)
    if running is not None:
        flash(tr("Wysyłka zaświadczeń już trwa.", "Certificates are being sent already."),
              "warn")
        return redirect(url_for("certificate_mail.job_page", event_id=event_id,
                                job_id=running.id))
    retry_uncertain = request.form.get("uncertain") == "1"
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        ids = certificates.waiting_ids(conn, event, include_uncertain=retry_uncertain)
    if not ids:
        flash(tr("Nie ma komu wysłać zaświadczeń: nikt nie czeka (albo nikt nie spełnia "
                 "zasady i nie ma adresu e-mail).",
                 "Nobody to send certificates to: nobody is waiting (or nobody meets the rule "
                 "with an e-mail address)."), "warn")
        return redirect(url_for("exports.index", event_id=event_id))
    engine, settings, pool = db.get_engine(), admin_settings(), smtp_pool()

    def work(job: Job) -> dict[str, Any]:
        job.total = len(ids)

        def progress(done: int, total: int, outcome: Outcome) -> None:
            job.done, job.total, job.result = done, total, outcome.as_dict()

        try:
            out = certificates.send_certificates(engine, settings, event_id, ids, progress,
                                                 pool=pool, retry_uncertain=retry_uncertain)
        finally:
            pool.close()
        return out.as_dict()

    job = jobs(app).start(app, KIND, event_id, work)
    return redirect(url_for("certificate_mail.job_page", event_id=event_id, job_id=job.id))


@bp.route("/events/<int:event_id>/certificates/jobs/<job_id>")
@requires("organizer")
def job_page(event_id: int, job_id: str) -> Any:
    job = event_job(event_id, job_id)
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    return render_template(
        "mail/job.html", event=event, job=job,
        title=tr("Wysyłka zaświadczeń", "Sending certificates"),
        status_url=url_for("certificate_mail.job_status", event_id=event_id, job_id=job_id),
        back_url=url_for("exports.index", event_id=event_id),
        back_label=tr("Wróć do list i zaświadczeń", "Back to lists and certificates"))


@bp.route("/events/<int:event_id>/certificates/jobs/<job_id>.json")
@requires("organizer")
def job_status(event_id: int, job_id: str) -> Any:
    return event_job_status(event_id, job_id)
