"""Certificates by e-mail (organizer): one mailing per event, followed on its job page."""

from __future__ import annotations

import functools
from typing import Any

from flask import Blueprint, current_app, flash, redirect, request, url_for

from admin import certificates, db
from admin.auth import requires
from admin.i18n import tr
from admin.invitation_views import mail_job_page, start_mailing
from admin.jobs import job_status as event_job_status
from admin.jobs import jobs
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
    job = start_mailing(KIND, event_id, ids, functools.partial(
        certificates.send_certificates, retry_uncertain=retry_uncertain))
    return redirect(url_for("certificate_mail.job_page", event_id=event_id, job_id=job.id))


@bp.route("/events/<int:event_id>/certificates/jobs/<job_id>")
@requires("organizer")
def job_page(event_id: int, job_id: str) -> Any:
    return mail_job_page(event_id, job_id, tr("Wysyłka zaświadczeń", "Sending certificates"),
                         "certificate_mail.job_status", url_for("exports.index",
                                                                event_id=event_id),
                         tr("Wróć do list i zaświadczeń", "Back to lists and certificates"))


@bp.route("/events/<int:event_id>/certificates/jobs/<job_id>.json")
@requires("organizer")
def job_status(event_id: int, job_id: str) -> Any:
    return event_job_status(event_id, job_id)
