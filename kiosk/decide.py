"""Check-in decisions: one scan in, one result code out (design.md §4).

``decide_token`` and ``decide_attendee`` read the roster and past scans through a
:class:`RosterView` and return a :class:`Decision`; they write nothing. The caller
records the decision as a scan in the same write transaction, so two scans can
never both see "not yet checked in".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync import token as tokens
from sync.roster import Attendee, Session
from sync.scans import Direction, ResultCode

KioskMode = Literal["entrance", "room"]
DirectionSetting = Literal["toggle", "in", "out"]


class RosterView(Protocol):
    def attendee(self, attendee_id: int) -> Attendee | None: ...
    def first_admission_on(self, attendee_id: int, day: date) -> datetime | None: ...
    def sessions_in_room(self, room: str) -> list[Session]: ...
    def session(self, session_id: int) -> Session | None: ...
    def is_registered(self, session_id: int, attendee_id: int) -> bool: ...
    def last_movement(self, session_id: int, attendee_id: int
                      ) -> tuple[str, datetime] | None: ...
    def occupancy(self, session_id: int) -> int: ...


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


def current_session(sessions: list[Session], now: datetime, open_before: timedelta
                    ) -> Session | None:
    """The room's session open at ``now``: a running one wins over one about to start."""
    open_now = [s for s in sessions if s.starts_at - open_before <= now < s.ends_at]
    running = [s for s in open_now if s.starts_at <= now]
    if running:
        return max(running, key=lambda s: s.starts_at)
    return min(open_now, key=lambda s: s.starts_at) if open_now else None


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
    attendee = view.attendee(claim.attendee_id)
    if attendee is None:
        return Decision(
            "unknown", ctx.admit_unknown, attendee_id=claim.attendee_id,
            badge_revision=claim.revision,
            reason="valid badge, person not in this kiosk's roster",
        )
    if claim.revision < attendee.badge_revision:
        return Decision(
            "revoked", False, attendee_id=attendee.id, badge_revision=claim.revision,
            attendee=attendee,
            reason=f"badge revision {claim.revision}, current is {attendee.badge_revision}",
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
    if ctx.session_override is not None:
        session = view.session(ctx.session_override)
    else:
        session = current_session(sessions, ctx.now, ctx.open_before)
    if session is None:
        return Decision("not_open", False, **base, next_session=_next_session(sessions, ctx.now),
                        reason=f"no session open in {ctx.room or 'this room'} now")
    last = view.last_movement(session.id, attendee.id)
    inside = last is not None and last[0] == "in"
    occupancy = view.occupancy(session.id)
    with_session = {**base, "session": session, "occupancy": occupancy}
    leaving = ctx.direction == "out" or (
        ctx.direction == "toggle" and inside and last is not None
        and ctx.now - last[1] >= ctx.exit_guard
    )
    if leaving:
        after = occupancy - 1 if inside else occupancy
        return Decision("ok", True, **{**with_session, "occupancy": after}, direction="out")
    if inside:
        return Decision("already_checked_in", True, **with_session,
                        first_seen_at=last[1] if last else None,
                        reason="already inside this session")
    if session.registration_required and not view.is_registered(session.id, attendee.id):
        return Decision("not_registered", False, **with_session,
                        reason="session needs registration")
    if session.capacity is not None and occupancy >= session.capacity:
        return Decision("full", False, **with_session, reason="capacity reached")
    return Decision("ok", True, **{**with_session, "occupancy": occupancy + 1}, direction="in")
