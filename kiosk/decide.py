"""Check-in decisions: one scan in, one result code out (design.md §4).

``decide_token`` and ``decide_attendee`` read the roster and past scans through a
:class:`RosterView` and return a :class:`Decision`; they write nothing. The caller
records the decision as a scan in the same write transaction, so two scans can
never both see "not yet checked in".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync import token as tokens
from sync.bounds import INT32_MAX
from sync.roster import Attendee, Session
from sync.rules import session_entry
from sync.scans import Direction, ResultCode

KioskMode = Literal["entrance", "room"]
OUTSIDE_EVENT = "outside the event's dates"
ENTRY_REASONS = {"not_registered": "session needs registration", "full": "capacity reached"}
DirectionSetting = Literal["toggle", "in", "out"]


class RosterView(Protocol):
    def attendee(self, attendee_id: int) -> Attendee | None: ...
    def first_admission_on(self, attendee_id: int, day: date) -> datetime | None: ...
    def sessions_in_room(self, room: str) -> list[Session]: ...
    def session(self, session_id: int) -> Session | None: ...
    def is_registered(self, session_id: int, attendee_id: int) -> bool: ...
    def last_movement(self, session_id: int, attendee_id: int
                      ) -> tuple[str, datetime] | None: ...
    def last_movement_in_room(self, room: str, attendee_id: int
                              ) -> tuple[int, str, datetime] | None: ...
    def occupancy(self, session_id: int) -> int: ...
    def highest_admitted_revision(self, attendee_id: int) -> int | None: ...


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What the kiosk is and when the scan happens."""

    mode: KioskMode
    now: datetime  # UTC, aware
    local_day: date  # the event's local date of ``now``
    event_id: int
    public_keys: list[Ed25519PublicKey]
    admit_unknown: bool = False
    room: str = ""
    direction: DirectionSetting = "toggle"
    session_override: int | None = None
    open_before: timedelta = timedelta(minutes=30)
    exit_guard: timedelta = timedelta(seconds=60)
    event_days: tuple[date, date] | None = None  # first and last day, the event's zone


@dataclass(frozen=True, slots=True)
class Decision:
    result: ResultCode
    admitted: bool
    attendee_id: int | None = None
    badge_revision: int | None = None
    attendee: Attendee | None = None
    session: Session | None = None
    direction: Direction | None = None
    first_seen_at: datetime | None = None
    print_badge: bool = False
    occupancy: int | None = None
    next_session: Session | None = None
    reason: str = ""


def current_session(sessions: list[Session], now: datetime, open_before: timedelta,
                    registered: Callable[[Session], bool] | None = None) -> Session | None:
    """The room's session an entry at ``now`` belongs to.

    A session accepts entries from ``open_before`` its start until its end. When two
    overlap (one ending, the next opening), a person registered for exactly one of the
    registration-required ones goes there; otherwise the running one holds until its
    last ``open_before / 2`` (15 minutes by default), then the next one takes over.
    """
    open_now = [s for s in sessions if s.starts_at - open_before <= now < s.ends_at]
    if len(open_now) <= 1:
        return open_now[0] if open_now else None
    if registered is not None:
        mine = [s for s in open_now if s.registration_required and registered(s)]
        if len(mine) == 1:
            return mine[0]
    running = [s for s in open_now if s.starts_at <= now]
    upcoming = [s for s in open_now if s.starts_at > now]
    if running:
        latest = max(running, key=lambda s: s.starts_at)
        if not upcoming or latest.ends_at - now > open_before / 2:
            return latest
    return min(upcoming, key=lambda s: s.starts_at)


def _next_session(sessions: list[Session], now: datetime) -> Session | None:
    later = [s for s in sessions if s.starts_at > now]
    return min(later, key=lambda s: s.starts_at) if later else None


def decide_token(text: str, view: RosterView, ctx: ScanContext) -> Decision:
    """Decide on a scanned code."""
    try:
        claim = tokens.verify(text, ctx.public_keys, ctx.event_id)
    except tokens.WrongEvent as exc:
        return Decision("wrong_event", False, reason=exc.reason)
    except tokens.TokenError as exc:
        return Decision("invalid", False, reason=exc.reason)
    if claim.attendee_id > INT32_MAX:  # signed, yet beyond any id the admin gives out
        return Decision("invalid", False, reason="attendee id out of range")
    attendee = view.attendee(claim.attendee_id)
    if attendee is None:
        return Decision(
            "unknown", ctx.admit_unknown, attendee_id=claim.attendee_id,
            badge_revision=claim.revision,
            reason="valid badge, person not in this kiosk's roster",
        )
    # A replacement badge seen here revokes the old one even before the roster says so.
    current = max(attendee.badge_revision, view.highest_admitted_revision(attendee.id) or 0)
    if claim.revision < current:
        return Decision(
            "revoked", False, attendee_id=attendee.id, badge_revision=claim.revision,
            attendee=attendee,
            reason=f"badge revision {claim.revision}, current is {current}",
        )
    return _decide_person(attendee, claim.revision, view, ctx)


def decide_attendee(attendee_id: int, view: RosterView, ctx: ScanContext) -> Decision:
    """Decide on a check-in made by hand by staff (no badge involved)."""
    attendee = view.attendee(attendee_id)
    if attendee is None:
        return Decision("unknown", False, attendee_id=attendee_id,
                        reason="no such person in this kiosk's roster")
    return _decide_person(attendee, attendee.badge_revision, view, ctx)


def _decide_person(attendee: Attendee, revision: int, view: RosterView, ctx: ScanContext
                   ) -> Decision:
    base = {"attendee_id": attendee.id, "badge_revision": revision, "attendee": attendee}
    if attendee.status != "active":
        return Decision("blocked", False, **base, reason="registration cancelled")
    if ctx.mode == "entrance" and ctx.event_days is not None and not (
            ctx.event_days[0] <= ctx.local_day <= ctx.event_days[1]):
        # The admin holds such a scan as "outside_event" (sync.rules): no admission today.
        # (A room admits only into a session open now: its own window is the gate.)
        return Decision("not_open", False, **base, reason=OUTSIDE_EVENT)
    if ctx.mode == "entrance":
        first = view.first_admission_on(attendee.id, ctx.local_day)
        if first is None:
            return Decision("ok", True, **base, print_badge=True)
        return Decision("already_checked_in", True, **base, first_seen_at=first,
                        reason="re-admitted, no second badge")
    return _decide_room(attendee, view, ctx, base)


def _decide_room(attendee: Attendee, view: RosterView, ctx: ScanContext, base: dict
                 ) -> Decision:
    sessions = view.sessions_in_room(ctx.room)
    now = ctx.now
    # Where is this person now? Inside the session of their last movement in this room
    # if that movement was an entry (the session may have ended meanwhile).
    stay: Session | None = None
    entered_at: datetime | None = None
    last = view.last_movement_in_room(ctx.room, attendee.id)
    if last is not None and last[1] == "in":
        stay = view.session(last[0])
        entered_at = last[2]
    if ctx.direction != "in" and stay is not None:
        recent = entered_at is not None and now - entered_at < ctx.exit_guard
        if ctx.direction == "toggle" and recent:
            return Decision("already_checked_in", True, **base, session=stay,
                            occupancy=view.occupancy(stay.id), first_seen_at=entered_at,
                            reason="scanned again right after entering: not an exit")
        occupancy = view.occupancy(stay.id) - 1
        return Decision("ok", True, **base, session=stay, occupancy=occupancy, direction="out")

    if ctx.session_override is not None:
        session = view.session(ctx.session_override)
    else:
        session = current_session(
            sessions, now, ctx.open_before,
            registered=lambda s: view.is_registered(s.id, attendee.id))
    if session is None:
        return Decision("not_open", False, **base, next_session=_next_session(sessions, now),
                        reason=f"no session open in {ctx.room or 'this room'} now")
    occupancy = view.occupancy(session.id)
    with_session = {**base, "session": session, "occupancy": occupancy}
    if ctx.direction == "out":
        return Decision("ok", True, **with_session, direction="out",
                        reason="exit scanned without a recorded entry")
    if stay is not None and stay.id == session.id:
        return Decision("already_checked_in", True, **with_session, first_seen_at=entered_at,
                        reason="already inside this session")
    entry = session_entry(session, now, registered=view.is_registered(session.id, attendee.id),
                          occupancy=occupancy, open_before=ctx.open_before)
    if entry == "not_open":  # staff chose a session that does not take entries now
        return Decision("not_open", False, **with_session,
                        next_session=_next_session(sessions, now),
                        reason=f"{session.title} does not take entries now")
    if entry != "ok":
        return Decision(entry, False, **with_session, reason=ENTRY_REASONS[entry])
    return Decision("ok", True, **{**with_session, "occupancy": occupancy + 1}, direction="in")
