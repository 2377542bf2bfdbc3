"""Certificates of attendance: who earns one under the event's rule, the PDF, and the
e-mail to each attendee (the invitations' mailer: ``admin.invitations.send_each``, with
the same per-person states in ``people.certificate_*``, so a mailing resumes after a crash
and mails nobody twice)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine

from admin import logos
from admin.i18n import local, tr
from admin.invitations import Outcome, Progress, send_each
from admin.mailer import CertificateMail, Outgoing, SmtpPool, compose_certificate
from admin.pdf import certificate_pdf
from admin.queries import attendance as q_attendance
from admin.queries import events as q_events
from admin.queries import people as q_people
from admin.queries.invitations import IN_FLIGHT, Writes
from admin.schema import utcnow
from bramka.config import AdminSettings
from printers.layout import format_event_dates

_APP_LOGO = object()


def render_certificate(event: dict[str, Any], person: dict[str, Any],
                       sessions: list[dict[str, Any]], logo: Any = _APP_LOGO) -> bytes:
    """One certificate: the sessions with dates, hours and minutes present. ``logo``: the
    funding logo strip's file (None: none); by default the event's, found through the app
    (outside an app context, as in the mailer's threads, pass it)."""
    if logo is _APP_LOGO:
        logo = logos.logo_path(event["id"])
    items = [f"{local(s['starts_at'], '%d.%m.%Y, %H:%M', event)}–"
             f"{local(s['ends_at'], '%H:%M', event)} "
             f"{s['title']}: {s['minutes']} {tr('min obecności', 'min present')}"
             for s in sessions]
    total = sum(s["minutes"] for s in sessions)
    dates = (f"{event['starts_on']:%d.%m.%Y}" if event["starts_on"] == event["ends_on"]
             else f"{event['starts_on']:%d.%m.%Y} – {event['ends_on']:%d.%m.%Y}")
    return certificate_pdf(
        heading=tr("ZAŚWIADCZENIE", "CERTIFICATE OF ATTENDANCE"),
        intro=tr("Zaświadcza się udział", "This is to certify the attendance of"),
        name=f"{person['first_name']} {person['last_name']}",
        institution=person["institution"],
        event_name=tr("w wydarzeniu", "at") + f": {event['name']}",
        event_dates=dates,
        items_title=tr("Obecność", "Attendance") + f" ({total // 60} h {total % 60} min)",
        items=items,
        place_date=f"{local(utcnow(), '%d.%m.%Y', event)}",
        signature=tr("Organizator", "The organizer"),
        logo=logo,
    )


def issued(conn: Connection, event: dict[str, Any]
           ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Everyone the event's rule gives a certificate, with the sessions it lists."""
    minutes = q_attendance.EventMinutes(conn, event)
    out = []
    for person_id in sorted(minutes.people()):
        sessions = q_attendance.certificate_sessions(conn, event, person_id, minutes)
        if sessions:
            out.append((q_people.get_person(conn, person_id), sessions))
    return out


def mail_counts(conn: Connection, event: dict[str, Any]) -> dict[str, int]:
    """Of the people who earn a certificate: how many have an e-mail address, and the
    mail states (``none``, ``sending`` = uncertain, ``sent``, ``failed``)."""
    earned = [p for p, _ in issued(conn, event)]
    counts = {"earned": len(earned), "no_email": sum(1 for p in earned if not p["email"]),
              "none": 0, "sending": 0, "sent": 0, "failed": 0}
    for p in earned:
        if p["email"]:
            counts[p["certificate_status"]] = counts.get(p["certificate_status"], 0) + 1
    return counts


def waiting_ids(conn: Connection, event: dict[str, Any], *, include_failed: bool = True,
                include_uncertain: bool = False) -> list[int]:
    """Who a certificate mailing would write to: earned one, has an e-mail, not sent."""
    statuses = {"none", "failed"} if include_failed else {"none"}
    cutoff = utcnow() - IN_FLIGHT
    ids = []
    for person, _ in issued(conn, event):
        status = person["certificate_status"]
        if not person["email"] or person["status"] != "active":
            continue
        if status in statuses or (include_uncertain and status == "sending"
                                  and (person["certificate_attempted_at"] or cutoff) < cutoff):
            ids.append(person["id"])
    return ids


def send_certificates(engine: Engine, settings: AdminSettings, event_id: int,
                      person_ids: list[int], progress: Progress | None = None, *,
                      pool: SmtpPool | None = None, retry_uncertain: bool = False) -> Outcome:
    """E-mail each person their certificate (if the rule still gives them one)."""
    with engine.connect() as conn:
        event = q_events.get_event(conn, event_id)
        by_person = {p["id"]: sessions for p, sessions in issued(conn, event)}
    dates = format_event_dates(event["starts_on"], event["ends_on"])
    logo = logos.logo_path(event_id)  # here, in the job's app context; composed in threads
    earned = [pid for pid in person_ids if pid in by_person]
    writes = Writes(event_id, ("none", "failed"), retry_uncertain, kind="certificate")

    def compose(row: Any) -> Outgoing:
        person = {"first_name": row.first_name, "last_name": row.last_name,
                  "institution": row.institution}
        pdf = render_certificate(event, person, by_person[row.id], logo)
        return compose_certificate(CertificateMail(
            event["name"], dates, f"{row.first_name} {row.last_name}", row.email, pdf,
            event["contact_email"]), settings.smtp_sender)

    outcome = send_each(engine, settings, earned, writes, compose, progress, pool=pool)
    return Outcome(outcome.sent, outcome.failed, outcome.skipped + len(person_ids) - len(earned),
                   outcome.uncertain)
