"""Invitations: each registrant's QR (PNG + one-page PDF from printers.invitation) by e-mail,
with sent/failed status per person and resend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from admin.i18n import ROLE_LABELS
from admin.mailer import Invitation, SendError, SmtpSender, compose_invitation
from admin.queries import events as q_events
from admin.schema import people, utcnow
from bramka.config import AdminSettings
from printers.invitation import invitation_pdf, invitation_png
from printers.layout import BadgeData, format_event_dates

Progress = Callable[[int, int], None]
STATUSES = ("none", "sent", "failed")


@dataclass(frozen=True)
class Outcome:
    sent: int
    failed: int
    skipped: int


def status_counts(conn: Connection, event_id: int) -> dict[str, int]:
    rows = conn.execute(select(people.c.invitation_status, func.count())
                        .where(people.c.event_id == event_id, people.c.status == "active")
                        .group_by(people.c.invitation_status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def failed_people(conn: Connection, event_id: int, limit: int = 200) -> list[dict[str, Any]]:
    stmt = (select(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
                   people.c.invitation_error)
            .where(people.c.event_id == event_id, people.c.invitation_status == "failed")
            .order_by(people.c.last_name, people.c.first_name).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def pending_ids(conn: Connection, event_id: int, include_failed: bool = True) -> list[int]:
    wanted = ["none", "failed"] if include_failed else ["none"]
    stmt = (select(people.c.id)
            .where(people.c.event_id == event_id, people.c.status == "active",
                   people.c.email.is_not(None), people.c.invitation_status.in_(wanted))
            .order_by(people.c.id))
    return list(conn.execute(stmt).scalars())


def _build(conn: Connection, person: dict[str, Any], event: dict[str, Any]) -> Invitation:
    token = q_events.issue_token(conn, event["id"], person["id"], person["badge_revision"])
    name = f"{person['first_name']} {person['last_name']}"
    dates = format_event_dates(event["starts_on"], event["ends_on"])
    badge = BadgeData(name=name, institution=person["institution"],
                      role=ROLE_LABELS.get(person["role"], (person["role"],))[0], token=token,
                      event_name=event["name"], event_dates=dates)
    return Invitation(to_name=name, to_email=person["email"], event_name=event["name"],
                      event_dates=dates, institution=person["institution"],
                      png=invitation_png(badge), pdf=invitation_pdf(badge))


def _mark(conn: Connection, person_id: int, status: str, error: str = "") -> None:
    values: dict[str, Any] = {"invitation_status": status, "invitation_error": error[:500]}
    if status == "sent":
        values["invitation_sent_at"] = utcnow()
    conn.execute(update(people).where(people.c.id == person_id).values(**values))


def send_invitations(engine: Any, settings: AdminSettings, event_id: int, person_ids: list[int],
                     progress: Progress | None = None) -> Outcome:
    """Send to each person over one SMTP connection; status is committed per person."""
    sent = failed = skipped = 0
    with engine.connect() as conn:
        event = q_events.get_event(conn, event_id)
    sender = SmtpSender(settings)
    try:
        sender.connect()
    except SendError as exc:
        with engine.begin() as conn:
            for pid in person_ids:
                _mark(conn, pid, "failed", str(exc))
        return Outcome(0, len(person_ids), 0)
    try:
        for i, pid in enumerate(person_ids, 1):
            with engine.begin() as conn:
                row = conn.execute(select(people).where(people.c.id == pid,
                                                        people.c.event_id == event_id)
                                   ).mappings().first()
                if row is None or not row["email"] or row["status"] != "active":
                    skipped += 1
                    continue
                msg = compose_invitation(_build(conn, dict(row), event), settings.smtp_sender)
                try:
                    sender.send(msg)
                    _mark(conn, pid, "sent")
                    sent += 1
                except SendError as exc:
                    _mark(conn, pid, "failed", str(exc))
                    failed += 1
            if progress:
                progress(i, len(person_ids))
    finally:
        sender.close()
    return Outcome(sent, failed, skipped)
