"""Badge printing on a kiosk: check-ins and reprints become durable print jobs.

A job is queued in the same transaction as the scan that needs it, so a crash loses
neither. The :class:`~kiosk.print_queue.PrintWorker` prints in its own thread; a
printer fault never blocks or slows a check-in.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlite_utils

from bramka.config import Settings
from printers.backends import make_printer
from printers.layout import BadgeData, format_event_dates
from sync.roster import Attendee
from sync.scans import ScanRecord
from sync.wire import Command

from .checkin import ScanOutcome
from .decide import Decision
from .events import EventBus
from .messages import BadgeNote
from .print_queue import PrintQueueState, PrintWorker, enqueue
from .store import Store
from .store_reader import StoreReader

log = logging.getLogger(__name__)


class ReprintUnavailable(Exception):
    """This kiosk holds no current badge code for the person."""

    code = "reprint_unavailable"


class KioskPrinting:
    def __init__(self, store: Store, settings: Settings, bus: EventBus) -> None:
        self.store = store
        self.bus = bus
        self.worker = PrintWorker(
            store.path, make_printer(settings.printer),
            printer_settings=settings.printer, badge_settings=settings.badge,
            on_state=self._state_changed,
        )

    def start(self) -> None:
        self.worker.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stop the worker; whether it did within ``timeout`` (it finishes its job)."""
        self.worker.stop(timeout)
        return not self.worker.is_alive()

    @property
    def state(self) -> dict[str, Any]:
        return _state_dict(self.worker.state)

    def _state_changed(self, state: PrintQueueState) -> None:
        self.bus.publish("printer", _state_dict(state), sticky=True)

    # -- jobs -----------------------------------------------------------------------------------

    @staticmethod
    def _badge(attendee: Attendee, token: str, view: StoreReader) -> BadgeData:
        event = view.event()
        return BadgeData(
            name=attendee.full_name, institution=attendee.institution, role=attendee.role,
            token=token, event_name=event.name if event else "",
            event_dates=format_event_dates(event.starts_on, event.ends_on) if event else "",
        )

    def queue_badge(self, db: sqlite_utils.Database, scan: ScanRecord,
                    decision: Decision) -> BadgeNote:
        """Inside the scan's transaction: queue the badge an admitted check-in needs."""
        attendee = decision.attendee
        if attendee is None:
            return "no_code"
        token = scan.raw if scan.source in ("camera", "handheld", "self_service") else None
        view = StoreReader(db)
        token = token or view.latest_token(attendee.id, attendee.badge_revision)
        if token is None:
            log.info("no badge code for attendee %s at this kiosk: badge not printed",
                     attendee.id)
            return "no_code"
        enqueue(db, self._badge(attendee, token, view), attendee_id=attendee.id,
                reason="checkin", scan_id=scan.id)
        working = self.worker.state.printer.state in ("ready", "unknown")
        return "queued" if working else "printer_down"

    def after_commit(self, outcome: ScanOutcome) -> None:
        if outcome.decision.print_badge:
            self.worker.notify()

    def reprint(self, attendee_id: int) -> str:
        """Queue a new copy of a person's current badge; return the job id."""
        with self.store.write() as db:
            view = StoreReader(db)
            attendee = view.attendee(attendee_id)
            if attendee is None:
                raise ReprintUnavailable(f"no attendee {attendee_id} in this kiosk's roster")
            token = view.latest_token(attendee.id, attendee.badge_revision)
            if token is None:
                raise ReprintUnavailable(
                    "this kiosk has not seen the person's current badge; reprint it at the "
                    "help desk")
            job = enqueue(db, self._badge(attendee, token, view), attendee_id=attendee.id,
                          reason="reprint")
        self.worker.notify()
        return job


    def print_command(self, command: Command) -> str:
        """A reprint the admin's help desk sent to this kiosk (a badge the admin signed)."""
        event = self.store.reader.event()
        badge = BadgeData(
            name=command.badge.name, institution=command.badge.institution,
            role=command.badge.role, token=command.badge.token,
            event_name=event.name if event else "",
            event_dates=format_event_dates(event.starts_on, event.ends_on) if event else "")
        # One job per command: a command run again (the kiosk stopped before it could note
        # it as done, so the admin sent it again) does not print a second badge.
        kiosk_id = self.store.reader.get_meta("sync_kiosk_id") or "-"
        with self.store.write() as db:
            job = enqueue(db, badge, attendee_id=command.attendee_id, reason="reprint",
                          job_id=f"command:{kiosk_id}:{command.id}")
        self.worker.notify()
        return job


def _state_dict(state: PrintQueueState) -> dict[str, Any]:
    said = state.describe()
    return {
        "status": state.printer.state,
        "message": state.last_error or state.printer.detail,
        "pl": said.pl,
        "en": said.en,
        "queued": state.queued,
        "paper_low": state.printer.paper_low,
        "code": state.last_error_code,
    }
