"""What the admin accepts of an uploaded scan as a fact: the rules both sides share.

A kiosk's word is checked against what the admin knows (issue 10). A scan that fails a
check is neither dropped nor counted: the admin keeps it in quarantine with the
:data:`QuarantineReason` and says so in the batch reply (``ScanReceipt.quarantined``).
:func:`record_fault` is the part a record can fail on its own; the kiosk runs it on every
scan it builds (``kiosk.checkin``), so it never stores what the admin would refuse.
:func:`judge` adds the checks against the admin's data: the kiosk's event, its people,
its sessions and their hours, the event's dates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal, Protocol

from .scans import ScanRecord
from .timekeeping import DEFAULT_TIMEZONE, event_day

QuarantineReason = Literal[
    "admitted_mismatch",     # admitted does not agree with the result code
    "direction_mismatch",    # a direction without a session, or a session entry with none
    "missing_person",        # admitted, yet no person or event named
    "wrong_event",           # the scan names another event than the kiosk's
    "unknown_person",        # no such person in the kiosk's event
    "revision_out_of_range",  # a badge revision the admin never issued
    "unknown_session",       # no such session in the kiosk's event
    "outside_session",       # admitted into a session at a time it does not accept entries
    "outside_event",         # placed outside the event's dates
    "in_the_future",         # placed after the upload that carried it arrived
    "id_conflict",           # the scan id is already stored for another kiosk
]
QUARANTINE_REASONS: tuple[str, ...] = QuarantineReason.__args__  # type: ignore[attr-defined]

REASON_TEXT: dict[str, tuple[str, str]] = {
    "admitted_mismatch": ("wynik skanu przeczy wpuszczeniu", "result contradicts admission"),
    "direction_mismatch": ("kierunek nie pasuje do miejsca", "direction does not fit the place"),
    "missing_person": ("wpuszczono, ale bez osoby", "admitted without a person"),
    "wrong_event": ("skan innego wydarzenia", "scan of another event"),
    "unknown_person": ("nie ma takiej osoby w wydarzeniu", "no such person in the event"),
    "revision_out_of_range": ("nieznana wersja identyfikatora", "badge revision never issued"),
    "unknown_session": ("nie ma takiej sesji w wydarzeniu", "no such session in the event"),
    "outside_session": ("poza godzinami sesji", "outside the session's hours"),
    "outside_event": ("poza dniami wydarzenia", "outside the event's dates"),
    "in_the_future": ("czas skanu w przyszłości", "scan time in the future"),
    "id_conflict": ("ten identyfikator skanu ma już inny kiosk",
                    "this scan id is already stored for another kiosk"),
}

ADMITTING = frozenset({"ok", "already_checked_in"})
"""Results that let the person in; ``unknown`` may go either way (``admit_unknown``)."""
REFUSING = frozenset({"not_registered", "full", "not_open", "revoked", "blocked", "invalid",
                      "wrong_event"})

FUTURE_TOLERANCE = timedelta(minutes=2)
"""A scan placed after its upload arrived by more than this cannot be: the kiosk's clock
anchor is wrong or the record is."""
SESSION_GRACE = timedelta(minutes=5)
"""Slack on a session's window for a time that was placed from a clock estimate."""


def record_fault(scan: ScanRecord) -> QuarantineReason | None:
    """What is wrong with the record on its own, or None."""
    if scan.result in ADMITTING and not scan.admitted:
        return "admitted_mismatch"
    if scan.result in REFUSING and scan.admitted:
        return "admitted_mismatch"
    if scan.admitted and (scan.event_id is None or scan.attendee_id is None):
        return "missing_person"
    if scan.direction is not None and scan.session_id is None:
        return "direction_mismatch"
    if scan.result == "ok" and scan.session_id is not None and scan.direction is None:
        return "direction_mismatch"
    if scan.attendee_id is not None and scan.attendee_id < 1:
        return "unknown_person"
    if scan.badge_revision is not None and scan.badge_revision < 1:
        return "revision_out_of_range"
    return None


@dataclass(frozen=True, slots=True)
class EventFacts:
    id: int
    starts_on: date
    ends_on: date
    timezone: str = DEFAULT_TIMEZONE

    def local_day(self, when: datetime) -> date:
        return event_day(self.timezone, when)


@dataclass(frozen=True, slots=True)
class SessionFacts:
    event_id: int
    starts_at: datetime
    ends_at: datetime


OPEN_BEFORE = timedelta(minutes=30)
"""How long before its start a session takes entries (``kiosk.decide`` default)."""


def judge(scan: ScanRecord, *, event: EventFacts | None, placed_at: datetime,
          received_at: datetime, revisions: Mapping[int, int],
          sessions: Mapping[int, SessionFacts], estimated: bool = False,
          open_before: timedelta = OPEN_BEFORE) -> QuarantineReason | None:
    """Why the admin cannot keep ``scan`` as a fact, or None.

    ``event`` is the kiosk's event (None: the kiosk has none); ``revisions`` the current
    badge revision of each person of that event named in the batch; ``sessions`` the
    event's sessions named in the batch; ``placed_at`` the scan's time on the server's
    clock (``sync.clock.place``) and ``estimated`` whether that is an estimate.
    """
    fault = record_fault(scan)
    if fault is not None:
        return fault
    if event is None or (scan.event_id is not None and scan.event_id != event.id):
        return "wrong_event"
    if scan.attendee_id is not None:
        current = revisions.get(scan.attendee_id)
        if current is None:
            return "unknown_person"
        if scan.badge_revision is not None and scan.badge_revision > current:
            return "revision_out_of_range"
    if placed_at > received_at + FUTURE_TOLERANCE:
        return "in_the_future"
    if not event.starts_on <= event.local_day(placed_at) <= event.ends_on:
        return "outside_event"
    if scan.session_id is not None:
        session = sessions.get(scan.session_id)
        if session is None or session.event_id != event.id:
            return "unknown_session"
        if scan.admitted and scan.direction == "in":
            grace = SESSION_GRACE if estimated else timedelta(0)
            if not (session.starts_at - open_before - grace <= placed_at
                    < session.ends_at + grace):
                return "outside_session"
    return None


# -- entering a session: the one gate every path passes (kiosk, staff mode, help desk) -------

EntryResult = Literal["ok", "not_open", "not_registered", "full"]


class SessionLike(Protocol):
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    registration_required: bool


def session_open(session: SessionLike, now: datetime,
                 open_before: timedelta = OPEN_BEFORE) -> bool:
    """Whether ``session`` takes entries at ``now``: from ``open_before`` its start to its end."""
    return session.starts_at - open_before <= now < session.ends_at


def session_entry(session: SessionLike, now: datetime, *, registered: bool, occupancy: int,
                  open_before: timedelta = OPEN_BEFORE) -> EntryResult:
    """May a person enter ``session`` at ``now``? The same answer on the kiosk, in its staff
    mode and at the help desk; only an organizer's written override goes past it."""
    if not session_open(session, now, open_before):
        return "not_open"
    if session.registration_required and not registered:
        return "not_registered"
    if session.capacity is not None and occupancy >= session.capacity:
        return "full"
    return "ok"
