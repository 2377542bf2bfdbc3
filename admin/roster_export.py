"""The full roster a kiosk downloads (``sync.roster.RosterSnapshot``). Public key only."""

from __future__ import annotations

from sqlalchemy import Connection, select

from admin.queries import badge_templates as q_badge
from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.queries import self_service as q_self_service
from admin.schema import people, registrations, sessions
from sync.roster import (
    Attendee,
    EventInfo,
    LocalizedText,
    Registration,
    RosterSnapshot,
    Session,
)


def build_snapshot(conn: Connection, event_id: int) -> RosterSnapshot:
    """Everyone and everything of the event; ``cursor`` is the event's people_version."""
    event = q_events.get_event(conn, event_id)
    version = q_events.people_version(conn, event_id)
    rows = conn.execute(
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.institution,
               people.c.role, people.c.badge_revision, people.c.status)
        .where(people.c.event_id == event_id).order_by(people.c.id)).all()
    service = q_self_service.roster_settings(conn, event)
    seals = q_self_service.seals(conn, event, service, ((r.id, r.badge_revision)
                                                        for r in rows if r.status == "active"))
    attendees = [
        Attendee(id=r.id, first_name=r.first_name, last_name=r.last_name,
                 institution=r.institution, role=r.role, badge_revision=r.badge_revision,
                 status=r.status, seal=seals.get(r.id))
        for r in rows
    ]
    program = q_program.list_sessions(conn, event_id)
    session_models = [
        Session(id=s["id"], kind=s["kind"], title=s["title"], room=s["room_name"],
                venue=s["venue_name"], starts_at=s["starts_at"], ends_at=s["ends_at"],
                capacity=q_program.effective_capacity(s),
                registration_required=bool(s["registration_required"]))
        for s in program
    ]
    regs = [
        Registration(session_id=r.session_id, attendee_id=r.person_id)
        for r in conn.execute(
            select(registrations.c.session_id, registrations.c.person_id)
            .join(sessions, sessions.c.id == registrations.c.session_id)
            .where(sessions.c.event_id == event_id)
            .order_by(registrations.c.session_id, registrations.c.person_id))
    ]
    help_desk: LocalizedText = EventInfo.model_fields["help_desk"].default
    if event["help_desk_pl"] or event["help_desk_en"]:  # where refused people are sent
        help_desk = LocalizedText(pl=event["help_desk_pl"] or event["help_desk_en"],
                                  en=event["help_desk_en"] or event["help_desk_pl"])
    return RosterSnapshot(
        event=EventInfo(id=event_id, name=event["name"], starts_on=event["starts_on"],
                        ends_on=event["ends_on"], timezone=event["timezone"],
                        public_keys=q_events.public_keys(conn, event_id),
                        help_desk=help_desk, self_service=service),
        cursor=str(version), full=True, attendees=attendees, sessions=session_models,
        registrations=regs, badge_template=q_badge.get_template(conn, event_id),
    )
