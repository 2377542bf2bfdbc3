"""The check-in path: code -> decide -> durable record -> publish.

Decision and record happen in one write transaction under the store's writer
lock, so two scans of the same badge can never both be first. A result is
published (and returned) only after the scan is committed with
``synchronous=FULL``: what the attendee sees as accepted is on disk.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlite_utils
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bramka.config import KioskSettings
from sync import token as tokens
from sync.roster import EventInfo, RosterSnapshot
from sync.rules import record_fault
from sync.scans import ScanRecord, ScanSource, new_scan_id, storable_raw
from sync.timekeeping import event_day, utc_now, zone_of

from .decide import Decision, ScanContext, decide_attendee, decide_token
from .events import EventBus
from .messages import BadgeNote, ScreenMessage, ScreenText, describe
from .store import Store, StoreError
from .store_reader import StoreReader

log = logging.getLogger(__name__)

T = TypeVar("T")
OVERRIDE_KEY = "session_override"


class KioskNotReady(Exception):
    """No roster loaded yet: the kiosk cannot verify badges."""

    code = "not_ready"


@cache
def boot_id() -> str:
    """Identifies this boot, so monotonic times from different boots are never compared."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:64]
    except OSError:
        return uuid.uuid4().hex


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    scan: ScanRecord
    decision: Decision
    message: ScreenMessage

    def event_payload(self, result_seconds: float) -> dict[str, Any]:
        a = self.decision.attendee
        return {
            "scan_id": self.scan.id,
            "result": self.scan.result,
            "admitted": self.scan.admitted,
            "direction": self.scan.direction,
            "source": self.scan.source,
            "name": a.full_name if a else None,
            "at": self.scan.wall_time.isoformat(),
            "seconds": result_seconds,
            **self.message.to_dict(),
        }


AdmitHook = Callable[[sqlite_utils.Database, "ScanOutcome"], None]


class BadgeQueue(Protocol):
    """Where an admitted check-in's badge goes (kiosk.printing.KioskPrinting)."""

    def queue_badge(self, db: sqlite_utils.Database, scan: ScanRecord,
                    decision: Decision) -> BadgeNote: ...


class CheckinService:
    """Everything a scan or a staff check-in goes through."""

    def __init__(
        self,
        store: Store,
        settings: KioskSettings,
        *,
        bus: EventBus | None = None,
        clock: Callable[[], datetime] = utc_now,
        monotonic_ns: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.store = store
        self.settings = settings
        self.bus = bus or EventBus()
        self.clock = clock
        self.monotonic_ns = monotonic_ns
        self.badge_queue: BadgeQueue | None = None
        self.hooks: list[AdmitHook] = []  # inside the scan's transaction, in a savepoint
        self.after_commit: list[Callable[[ScanOutcome], None]] = []
        # The session the admin's plan pins this room kiosk to (a staff override wins).
        self.planned_session: int | None = None
        self._event_cache: tuple[str, EventInfo, list[Ed25519PublicKey]] | None = None

    # -- roster ---------------------------------------------------------------------------------

    def apply_roster(self, snapshot: RosterSnapshot) -> None:
        self.store.apply_roster(snapshot)
        self.bus.publish("roster", {"size": self.store.reader.roster_size()}, sticky=True)

    def _event(self, view: StoreReader) -> tuple[EventInfo, list[Ed25519PublicKey]]:
        text = view.get_meta("event")
        if not text:
            raise KioskNotReady("no roster loaded: run 'bramka kiosk load-roster' or sync")
        if self._event_cache is None or self._event_cache[0] != text:
            event = EventInfo.model_validate_json(text)
            keys = [tokens.parse_public_key(k) for k in event.public_keys]
            if self._event_cache is not None:  # loaded by another process (CLI, sync)
                self.bus.publish("roster", {"size": self.store.reader.roster_size()}, sticky=True)
            self._event_cache = (text, event, keys)
        return self._event_cache[1], self._event_cache[2]

    # -- session override (room kiosks) ---------------------------------------------------------

    def session_override(self) -> int | None:
        """The session this room kiosk records: staff's choice here, else the plan's."""
        value = self.store.reader.get_meta(OVERRIDE_KEY)
        return int(value) if value else self.planned_session

    def set_session_override(self, session_id: int | None) -> None:
        if session_id is not None and self.store.reader.session(session_id) is None:
            raise ValueError(f"no session {session_id} in the roster")
        self.store.set_meta(OVERRIDE_KEY, None if session_id is None else str(session_id))

    # -- the check-in path ----------------------------------------------------------------------

    def _context(self, view: StoreReader, now: datetime) -> tuple[ScanContext, EventInfo]:
        event, keys = self._event(view)
        override = view.get_meta(OVERRIDE_KEY)
        s = self.settings
        ctx = ScanContext(
            mode=s.mode, now=now, local_day=event_day(event, now),
            event_id=event.id, public_keys=keys, admit_unknown=s.admit_unknown, room=s.room,
            direction=s.direction,
            session_override=int(override) if override else self.planned_session,
            open_before=timedelta(minutes=s.open_before_minutes),
            event_days=(event.starts_on, event.ends_on),
        )
        return ctx, event

    def scan(self, text: str, source: ScanSource = "camera") -> ScanOutcome:
        """Decide on a scanned code and record it durably. Raises :class:`KioskNotReady`."""
        return self._record(lambda view, ctx: decide_token(text, view, ctx), source, raw=text)

    def checkin_by_hand(self, attendee_id: int) -> ScanOutcome:
        """A staff member checks someone in without a badge: always an entry."""
        return self._record(
            lambda view, ctx: decide_attendee(attendee_id, view, replace(ctx, direction="in")),
            "manual")

    def _record(self, decide: Callable[[StoreReader, ScanContext], Decision],
                source: ScanSource, raw: str | None = None) -> ScanOutcome:
        now = self.clock()
        mono = self.monotonic_ns()
        with self.store.write() as db:
            view = StoreReader(db)
            ctx, event = self._context(view, now)
            decision = decide(view, ctx)
            scan = ScanRecord(
                id=new_scan_id(), kiosk_id=self.settings.id, event_id=event.id,
                attendee_id=decision.attendee_id, badge_revision=decision.badge_revision,
                session_id=decision.session.id if decision.session else None,
                direction=decision.direction, result=decision.result,
                admitted=decision.admitted, source=source, wall_time=now,
                monotonic_ns=mono, boot_id=boot_id(),
                raw=None if raw is None else storable_raw(raw),
            )
            fault = record_fault(scan)
            if fault is not None:  # a bug in a decision: kept (it happened), and told
                log.error("scan %s breaks the sync rules (%s); the admin will hold it in "
                          "quarantine", scan.id, fault)
            scan = self.store.insert_scan(db, scan, ctx.local_day)
            badge: BadgeNote = "none"
            if decision.print_badge and self.badge_queue is not None:
                badge = self._guarded(db, "badge", lambda: self.badge_queue.queue_badge(
                    db, scan, decision)) or "failed"
            message = describe(decision, tz=zone_of(event), help_desk=event.help_desk,
                               badge=badge, now=now)
            outcome = ScanOutcome(scan, decision, message)
            for hook in self.hooks:
                self._guarded(db, "hook", lambda hook=hook: hook(db, outcome))
        for after in self.after_commit:
            after(outcome)
        self.bus.publish("scan", outcome.event_payload(self.settings.result_seconds))
        return outcome

    @staticmethod
    def _guarded(db: sqlite_utils.Database, what: str, step: Callable[[], T]) -> T | None:
        """Run an extra step of a check-in in a savepoint: its failure never loses the scan."""
        try:
            with db.atomic():
                return step()
        except Exception:
            log.exception("check-in %s step failed; the scan is kept", what)
            return None

    def handle_code(self, text: str) -> ScanOutcome | None:
        """Entry point for the scanner thread: never raises, shows what went wrong."""
        try:
            return self.scan(text)
        except KioskNotReady:
            self._publish_problem(
                ScreenText("Stanowisko nie jest gotowe",
                           "Brak listy uczestników. Prosimy podejść do punktu informacyjnego."),
                ScreenText("This kiosk is not ready",
                           "The participant list is not loaded. Please go to the help desk."),
            )
        except (StoreError, OSError, ValueError) as exc:
            log.exception("check-in failed: %s", exc)
            self._publish_problem(
                ScreenText("Błąd stanowiska", "Prosimy podejść do punktu informacyjnego."),
                ScreenText("Kiosk error", "Please go to the help desk."),
            )
        except Exception:  # the scanning thread must survive anything
            log.exception("unexpected error on the check-in path")
            self._publish_problem(
                ScreenText("Błąd stanowiska", "Prosimy podejść do punktu informacyjnego."),
                ScreenText("Kiosk error", "Please go to the help desk."),
            )
        return None

    def _publish_problem(self, pl: ScreenText, en: ScreenText) -> None:
        message = ScreenMessage("error", pl, en)
        self.bus.publish("scan", {"scan_id": None, "result": "kiosk_error", "admitted": False,
                                  "name": None, "at": self.clock().isoformat(),
                                  "seconds": self.settings.result_seconds,
                                  **message.to_dict()})
