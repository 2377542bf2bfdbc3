"""Invitation pages: what the e-mail says, status per event, sending with progress (and
continuing after a stop), the uncertain ones after a crash, resend to one person."""

from __future__ import annotations

import functools
import threading
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from admin import db, invitations
from admin.auth import requires
from admin.errors import AdminError
from admin.i18n import current_language, tr
from admin.invitation_letter import Invitation, render_html
from admin.jobs import Job, event_job, jobs
from admin.jobs import job_status as event_job_status
from admin.mailer import SmtpPool
from admin.queries import events as q_events
from admin.queries import invitations as q_invitations
from admin.queries import people as q_people
from bramka.config import AdminSettings
from printers.invitation import invitation_png
from printers.layout import BadgeData

bp = Blueprint("invitations", __name__)
EXTENSION = "bramka_smtp"
_pool_lock = threading.Lock()


def admin_settings() -> AdminSettings:
    return current_app.config["BRAMKA_ADMIN_SETTINGS"]


def smtp_pool() -> SmtpPool:
    """The process's SMTP connections, shared by every mailing and resend (bounded)."""
    settings = admin_settings()
    with _pool_lock:
        pool = current_app.extensions.get(EXTENSION)
        if pool is None or pool.settings is not settings:
            pool = SmtpPool(settings)
            current_app.extensions[EXTENSION] = pool
        return pool


@bp.route("/events/<int:event_id>/invitations", methods=["GET", "POST"])
@requires("organizer")
def index(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    running = jobs(app).running("invitations", event_id)
    if request.method == "POST":
        if running is not None:
            flash(tr("Wysyłka już trwa.", "Invitations are being sent already."), "warn")
            return redirect(url_for("invitations.job_page", event_id=event_id,
                                    job_id=running.id))
        retry_uncertain = request.form.get("uncertain") == "1"
        with db.read() as conn:
            ids = q_invitations.pending_ids(conn, event_id,
                                          include_failed=request.form.get("failed") == "1",
                                          include_uncertain=retry_uncertain)
        if not ids:
            flash(tr("Nie ma komu wysłać zaproszeń.", "Nobody is waiting for an invitation."),
                  "warn")
            return redirect(url_for("invitations.index", event_id=event_id))
        job = start_mailing("invitations", event_id, ids, functools.partial(
            invitations.send_invitations, retry_uncertain=retry_uncertain))
        return redirect(url_for("invitations.job_page", event_id=event_id, job_id=job.id))
    with db.read() as conn:
        counts = q_invitations.status_counts(conn, event_id)
        failed = q_invitations.failed_people(conn, event_id)
        uncertain = q_invitations.uncertain_people(conn, event_id)
        waiting = len(q_invitations.pending_ids(conn, event_id, include_failed=False))
    return render_template("invitations/index.html", event=event, counts=counts, failed=failed,
                           uncertain=uncertain, waiting=waiting, running=running,
                           fields=q_events.INVITATION_FIELDS)


@bp.route("/events/<int:event_id>/invitations/details", methods=["POST"])
@requires("organizer")
def details(event_id: int) -> Any:
    values = {name: request.form.get(name, "") for name, *_ in q_events.INVITATION_FIELDS}
    try:
        with db.write() as conn:
            q_events.update_invitation_details(conn, event_id, values)
        flash(tr("Zapisano treść zaproszenia.", "The invitation's details are saved."), "ok")
    except AdminError as exc:
        flash(exc.message(current_language()), "error")
    return redirect(url_for("invitations.index", event_id=event_id))


def _sample(event: dict[str, Any]) -> tuple[Invitation, Any]:
    """The invitation as the first registrant (or a made-up one) would get it."""
    with db.read() as conn:
        letter = q_invitations.load_letter(conn, event)
        first = q_invitations.sample_person(conn, event["id"])
        regs = q_invitations.load_registrations(conn, event) if first else {}
    name = f"{first.first_name} {first.last_name}" if first else "Anna Kowalska"
    institution = first.institution if first else "MOPS Kraków"
    badge = BadgeData(name=name, institution=institution, role="", token="PODGLAD" * 17,
                      event_name=letter.event_name, event_dates=letter.dates)
    inv = Invitation(name, "", institution, invitation_png(badge), None,
                     regs.get(first.id, ()) if first else ())
    return inv, letter


@bp.route("/events/<int:event_id>/invitations/preview")
@requires("organizer")
def preview(event_id: int) -> Any:
    """The e-mail's HTML part as recipients see it, with a sample (not valid) code."""
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    inv, letter = _sample(event)
    html = render_html(letter, inv, url_for("invitations.preview_png", event_id=event_id))
    return Response(html, mimetype="text/html")


@bp.route("/events/<int:event_id>/invitations/preview.png")
@requires("organizer")
def preview_png(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    return Response(_sample(event)[0].png, mimetype="image/png")


def start_mailing(kind: str, event_id: int, ids: list[int], send: Any) -> Job:
    """Run ``send(engine, settings, event_id, ids, progress, pool=...)`` (invitations,
    certificates) as a background job over this process's SMTP pool, its counts as the
    job's progress."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    engine, settings, pool = db.get_engine(), admin_settings(), smtp_pool()

    def work(job: Job) -> dict[str, Any]:
        job.total = len(ids)

        def progress(done: int, total: int, outcome: invitations.Outcome) -> None:
            job.done, job.total, job.result = done, total, outcome.as_dict()

        try:
            out = send(engine, settings, event_id, ids, progress, pool=pool)
        finally:
            pool.close()
        return out.as_dict()

    return jobs(app).start(app, kind, event_id, work)


def mail_job_page(event_id: int, job_id: str, title: str, status_endpoint: str,
                  back_url: str, back_label: str) -> Any:
    """A mailing's progress page (mail/job.html)."""
    job = event_job(event_id, job_id)
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    return render_template(
        "mail/job.html", event=event, job=job, title=title, back_url=back_url,
        status_url=url_for(status_endpoint, event_id=event_id, job_id=job_id),
        back_label=back_label)


@bp.route("/events/<int:event_id>/invitations/jobs/<job_id>")
@requires("organizer")
def job_page(event_id: int, job_id: str) -> Any:
    return mail_job_page(event_id, job_id, tr("Wysyłka zaproszeń", "Sending invitations"),
                         "invitations.job_status", url_for("invitations.index",
                                                           event_id=event_id),
                         tr("Wróć do zaproszeń", "Back to invitations"))


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
    pool = smtp_pool()
    try:
        out = invitations.send_invitations(db.get_engine(), admin_settings(), person["event_id"],
                                           [person_id], pool=pool, resend=True)
    finally:
        pool.close()
    with db.read() as conn:
        error = q_people.get_person(conn, person_id)["invitation_error"]
    if out.sent:
        flash(tr("Zaproszenie wysłane.", "Invitation sent."), "ok")
    elif out.skipped:
        flash(tr("Zaproszenie do tej osoby właśnie jest wysyłane.",
                 "An invitation to this person is being sent right now."), "warn")
    else:
        flash(tr("Nie udało się wysłać", "Sending failed") + f": {error}", "error")
    return redirect(url_for("helpdesk.person", person_id=person_id))
