"""Invitations: each registrant's QR code by e-mail, with a state per person kept in the
database, so a mailing shows its progress and continues after a crash.

A person's ``invitation_status`` moves ``none`` (or ``failed``) -> ``sending`` -> ``sent``
or ``failed``. ``sending`` is committed *before* the message is handed to the SMTP server,
``sent``/``failed`` right after the server's answer. The claim is one conditional UPDATE,
so two mailings (two clicks, two admin processes, a run resumed while another still
goes) never take the same person.

At most once, by choice: a crash (or a connection lost in the middle of a message) leaves
``sending`` behind, and such a person is *not* mailed again on its own: the server may
have accepted the message. The invitations page lists them as uncertain; sending to them
again is an explicit choice (then at least once: some may get two). The alternative,
retrying them automatically, would send a second copy to every person whose message the
server had accepted just before the crash; for an invitation carrying a personal code a
rare missing e-mail (which the person can ask the help desk for) beats doubles.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, bindparam, func, select, update

from admin.i18n import ROLE_LABELS
from admin.invitation_letter import Day, Invitation, Letter, Place, Registration
from admin.mailer import SendError, SendUncertain, SmtpPool, compose_invitation
from admin.queries import events as q_events
from admin.schema import UTCDateTime, people, registrations, rooms, sessions, utcnow, venues
from bramka.config import AdminSettings
from printers.invitation import invitation_pdf, invitation_png
from printers.layout import BadgeData, format_event_dates
from sync import token as tokens

STATUSES = ("none", "sending", "sent", "failed")
# A "sending" older than this is not in flight any more: its mailing stopped (uncertain).
# Longer than handing one message over can take (smtp_timeout_seconds is at most 300).
IN_FLIGHT = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not waiting any more (sent meanwhile, no e-mail, cancelled)
    uncertain: int = 0  # the connection broke while the message was handed over

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped + self.uncertain

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "skipped": self.skipped,
                "uncertain": self.uncertain}


Progress = Callable[[int, int, Outcome], None]


# -- reading -----------------------------------------------------------------------------------


def status_counts(conn: Connection, event_id: int) -> dict[str, int]:
    rows = conn.execute(select(people.c.invitation_status, func.count())
                        .where(people.c.event_id == event_id, people.c.status == "active")
                        .group_by(people.c.invitation_status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({r[0]: int(r[1]) for r in rows})
    return counts


def failed_people(conn: Connection, event_id: int, limit: int = 200) -> list[dict[str, Any]]:
    return _people_in(conn, event_id, "failed", limit)


def uncertain_people(conn: Connection, event_id: int, limit: int = 200,
                     now: datetime | None = None) -> list[dict[str, Any]]:
    """People whose invitation was handed over by a mailing that stopped before the answer."""
    cutoff = (now or utcnow()) - IN_FLIGHT
    return _people_in(conn, event_id, "sending", limit, people.c.invitation_attempted_at < cutoff)


def _people_in(conn: Connection, event_id: int, status: str, limit: int,
               *extra: Any) -> list[dict[str, Any]]:
    stmt = (select(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
                   people.c.invitation_error, people.c.invitation_attempted_at)
            .where(people.c.event_id == event_id, people.c.invitation_status == status, *extra)
            .order_by(people.c.last_name, people.c.first_name).limit(limit))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def pending_ids(conn: Connection, event_id: int, include_failed: bool = True,
                include_uncertain: bool = False, now: datetime | None = None) -> list[int]:
    """Who a mailing would write to: not sent yet, and (by choice) failed or uncertain."""
    wanted = people.c.invitation_status.in_(["none", "failed"] if include_failed else ["none"])
    if include_uncertain:
        wanted = wanted | _uncertain(now)
    stmt = (select(people.c.id)
            .where(people.c.event_id == event_id, people.c.status == "active",
                   people.c.email.is_not(None), wanted)
            .order_by(people.c.id))
    return list(conn.execute(stmt).scalars())


def sample_person(conn: Connection, event_id: int) -> Any:
    """The event's first active registrant (id, names, institution), or None."""
    return conn.execute(
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.institution)
        .where(people.c.event_id == event_id, people.c.status == "active")
        .order_by(people.c.id).limit(1)).first()


def _uncertain(now: datetime | None = None) -> Any:
    return ((people.c.invitation_status == "sending")
            & (people.c.invitation_attempted_at < (now or utcnow()) - IN_FLIGHT))


def load_letter(conn: Connection, event: dict[str, Any]) -> Letter:
    """The event's part of every invitation: each day's first session and its places."""
    tz = ZoneInfo(event["timezone"])
    rows = conn.execute(
        select(sessions.c.kind, sessions.c.starts_at, venues.c.name, venues.c.address)
        .join(rooms, rooms.c.id == sessions.c.room_id)
        .join(venues, venues.c.id == rooms.c.venue_id)
        .where(sessions.c.event_id == event["id"])
        .order_by(sessions.c.starts_at, sessions.c.id)).all()
    main = [r for r in rows if r.kind == "session"] or list(rows)  # side events: own places
    days: dict[date, tuple[str, list[Place]]] = {}
    for r in main:
        local = r.starts_at.astimezone(tz)
        first, places = days.setdefault(local.date(), (f"{local.hour}:{local.minute:02d}", []))
        place = Place(r.name, r.address)
        if place not in places:
            places.append(place)
    return Letter(
        event_name=event["name"], dates=format_event_dates(event["starts_on"], event["ends_on"]),
        days=tuple(Day(d, first, tuple(places)) for d, (first, places) in days.items()),
        help_desk_pl=event["help_desk_pl"], help_desk_en=event["help_desk_en"],
        contact_email=event["contact_email"], contact_phone=event["contact_phone"],
        bring_pl=event["bring_pl"], bring_en=event["bring_en"])


def load_registrations(conn: Connection, event: dict[str, Any]
                       ) -> dict[int, tuple[Registration, ...]]:
    """Person id -> the sessions and side events they registered for, in time order."""
    tz = ZoneInfo(event["timezone"])
    rows = conn.execute(
        select(registrations.c.person_id, sessions.c.title, sessions.c.starts_at,
               sessions.c.ends_at, rooms.c.name.label("room"), venues.c.name.label("venue"),
               venues.c.address)
        .join(sessions, sessions.c.id == registrations.c.session_id)
        .join(rooms, rooms.c.id == sessions.c.room_id)
        .join(venues, venues.c.id == rooms.c.venue_id)
        .where(sessions.c.event_id == event["id"])
        .order_by(registrations.c.person_id, sessions.c.starts_at)).all()
    out: dict[int, list[Registration]] = {}
    for r in rows:
        start, end = r.starts_at.astimezone(tz), r.ends_at.astimezone(tz)
        when = (f"{start.day}.{start.month:02d}.{start.year}, {start.hour}:{start.minute:02d}"
                f"–{end.hour}:{end.minute:02d}")
        where = ", ".join(x for x in (r.room, r.venue, r.address) if x)
        out.setdefault(r.person_id, []).append(Registration(r.title, when, where))
    return {pid: tuple(regs) for pid, regs in out.items()}


# -- writing -----------------------------------------------------------------------------------


class _Statements:
    """The two writes of a mailing, built once (SQLAlchemy builds a statement in about as
    long as SQLite runs it)."""

    def __init__(self, event_id: int, statuses: tuple[str, ...], take_uncertain: bool):
        self.event_id = event_id
        waiting = people.c.invitation_status.in_(statuses)
        if take_uncertain:
            waiting = waiting | ((people.c.invitation_status == "sending")
                                 & (people.c.invitation_attempted_at < bindparam("cutoff")))
        self.claim = (
            update(people)
            .where(people.c.id == bindparam("pid"), people.c.event_id == event_id,
                   people.c.status == "active", people.c.email.is_not(None), waiting)
            .values(invitation_status="sending", invitation_error="",
                    invitation_attempted_at=bindparam("now"))
            .returning(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
                       people.c.institution, people.c.role, people.c.badge_revision))
        self.mark = (
            update(people).where(people.c.id == bindparam("pid"))
            .values(invitation_status=bindparam("state"), invitation_error=bindparam("error"),
                    invitation_sent_at=func.coalesce(bindparam("sent_at", type_=UTCDateTime),
                                                     people.c.invitation_sent_at)))

    def take(self, conn: Connection, person_id: int) -> Any:
        """Mark the person "sending" if they are still waiting; their row, or None."""
        now = utcnow()
        return conn.execute(self.claim, {"pid": person_id, "now": now,
                                         "cutoff": now - IN_FLIGHT}).first()

    def record(self, conn: Connection, person_id: int, status: str, error: str = "") -> None:
        conn.execute(self.mark, {"pid": person_id, "state": status, "error": error[:500],
                                 "sent_at": utcnow() if status == "sent" else None})


# -- sending -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EventParts:
    event_id: int
    letter: Letter
    key: Ed25519PrivateKey
    registrations: dict[int, tuple[Registration, ...]]


def build_invitation(parts: _EventParts, row: Any, settings: AdminSettings) -> Invitation:
    name = f"{row.first_name} {row.last_name}"
    token = tokens.issue(parts.key, parts.event_id, row.id, row.badge_revision)
    badge = BadgeData(name=name, institution=row.institution,
                      role=ROLE_LABELS.get(row.role, (row.role,))[0], token=token,
                      event_name=parts.letter.event_name, event_dates=parts.letter.dates)
    return Invitation(to_name=name, to_email=row.email, institution=row.institution,
                      png=invitation_png(badge),
                      pdf=invitation_pdf(badge) if settings.invitation_pdf else None,
                      registrations=parts.registrations.get(row.id, ()))


class _Run:
    """One mailing's shared state: the people still to take, the counts, the first error."""

    def __init__(self, person_ids: Iterable[int], total: int, progress: Progress | None):
        self._ids: Iterator[int] = iter(person_ids)
        self._lock = threading.Lock()
        self.total = total
        self.outcome = Outcome()
        self.progress = progress
        self.error: BaseException | None = None

    def next_id(self) -> int | None:
        with self._lock:
            if self.error is not None:
                return None
            return next(self._ids, None)

    def count(self, status: str) -> None:
        with self._lock:
            o = self.outcome
            self.outcome = Outcome(o.sent + (status == "sent"), o.failed + (status == "failed"),
                                   o.skipped + (status == "skipped"),
                                   o.uncertain + (status == "sending"))
            if self.progress:  # under the lock: callers need not be thread-safe
                self.progress(self.outcome.done, self.total, self.outcome)

    def fail(self, exc: BaseException) -> None:
        with self._lock:
            if self.error is None:
                self.error = exc


def send_invitations(engine: Engine, settings: AdminSettings, event_id: int,
                     person_ids: list[int], progress: Progress | None = None, *,
                     pool: SmtpPool | None = None, retry_uncertain: bool = False,
                     resend: bool = False) -> Outcome:
    """Send to each person who is still waiting, over ``pool`` (one per call if not given):
    as many messages at once as the pool has connections. Each person's state is committed
    before and after their message (see the module's docstring).

    ``retry_uncertain``: also those a stopped mailing left uncertain (they may get two).
    ``resend``: also those already sent (the help desk's "send again" for one person).
    """
    with engine.connect() as conn:
        event = q_events.get_event(conn, event_id)
        parts = _EventParts(event_id, load_letter(conn, event),
                            q_events.signing_key(conn, event_id),
                            load_registrations(conn, event))
    statuses = ("none", "failed", "sent") if resend else ("none", "failed")
    writes = _Statements(event_id, statuses, retry_uncertain or resend)
    own_pool = pool is None
    smtp = pool or SmtpPool(settings)
    try:
        try:  # an unreachable server fails everyone at once, with its reason
            with smtp.connection():
                pass
        except SendError as exc:
            failed = 0
            with engine.begin() as conn:
                for pid in person_ids:
                    if writes.take(conn, pid) is not None:
                        writes.record(conn, pid, "failed", str(exc))
                        failed += 1
            return Outcome(failed=failed, skipped=len(person_ids) - failed)
        run = _Run(person_ids, len(person_ids), progress)
        workers = [threading.Thread(target=_worker, args=(engine, settings, parts, writes,
                                                          smtp, run),
                                    name=f"bramka-mail-{n}", daemon=True)
                   for n in range(min(smtp.size, max(1, len(person_ids))))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        if run.error is not None:
            raise run.error
        return run.outcome
    finally:
        if own_pool:
            smtp.close()


def _worker(engine: Engine, settings: AdminSettings, parts: _EventParts, writes: _Statements,
            pool: SmtpPool, run: _Run) -> None:
    """Take a person, compose, send, record; the record of one message and the claim of
    the next share a transaction (one commit per message, no later than before)."""
    done: tuple[int, str, str] | None = None  # sent but not yet recorded
    try:
        while True:
            pid = run.next_id()
            with engine.begin() as conn:
                if done is not None:
                    writes.record(conn, *done)
                row = writes.take(conn, pid) if pid is not None else None
            if done is not None:
                run.count(done[1])
                done = None
            if pid is None:
                return
            if row is None:
                run.count("skipped")
                continue
            try:
                msg = compose_invitation(parts.letter, build_invitation(parts, row, settings),
                                         settings.smtp_sender)
            except Exception as exc:  # nothing was sent: say why, and stop the mailing
                with engine.begin() as conn:
                    writes.record(conn, pid, "failed", f"cannot compose the invitation: {exc}")
                raise
            try:
                with pool.connection() as smtp:
                    smtp.send(msg)
                done = (pid, "sent", "")
            except SendError as exc:
                done = (pid, "failed", str(exc))
            except SendUncertain as exc:  # stays "sending": never resent on its own
                done = (pid, "sending", str(exc))
    except BaseException as exc:  # a database error: the others stop after their message
        run.fail(exc)
