"""One kiosk's running parts, built from settings: store, check-in, scanner, printer.

The web app hangs this off ``app.extensions["bramka"]``; the CLI builds it for
``bramka kiosk serve``. Nothing here is a module global.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, is_dataclass
from datetime import datetime
from typing import Any, Protocol

from bramka.config import Settings
from sync.plan import KioskPlan
from sync.timekeeping import event_day, utc_now
from sync.wire import STATUS_MAX

from . import badge_store
from . import plan as kiosk_plan
from .checkin import OVERRIDE_KEY, CheckinService
from .events import EventBus
from .self_service import SelfServiceDesk
from .store import Store, open_store
from .warnings import kiosk_warnings

log = logging.getLogger(__name__)


class Scanner(Protocol):
    @property
    def state(self) -> Any: ...
    def latest_jpeg(self, max_width: int = 640) -> bytes | None: ...
    def start(self) -> None: ...
    def stop(self, timeout: float = 5.0) -> None: ...


class KioskRuntime:
    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        # What the local file says; ``settings`` is what the kiosk runs on: the local
        # file with the admin's plan over it (kiosk.plan), replaced whole on a new plan.
        self.local_settings = settings
        self.store = store or open_store(settings.kiosk.data_dir)
        self.plan = kiosk_plan.saved(self.store)
        planned = kiosk_plan.settings_with(settings, self.plan)
        self.settings, self._plan_problem = planned.settings, planned.problem
        self._plan_lock = threading.Lock()
        self.bus = EventBus()
        self.checkin = CheckinService(self.store, self.settings.kiosk, bus=self.bus)
        self.checkin.planned_session = self.plan.session_id if self.plan else None
        self.self_service = SelfServiceDesk(self.store, self.checkin)
        self.scanner: Scanner | None = None
        self.printer: Any | None = None
        self.sync: Any | None = None
        # A device that failed to start: shown in status, never fatal.
        self._device_state: dict[str, dict[str, Any]] = {}

    # -- devices --------------------------------------------------------------------------------

    def start_devices(self, camera: bool = True) -> None:
        """Start what the settings ask for. A device that fails is shown, never fatal."""
        self.bus.publish("roster", {"size": self.store.reader.roster_size()}, sticky=True)
        if self.settings.printer.backend != "none":
            self._start("printer", self.start_printer)
        if camera:
            self._start("camera", self.start_scanner)
        self._start("sync", self.start_sync)

    def sync_client(self) -> Any:
        from .sync_client import SyncClient

        if self.sync is None:
            self.sync = SyncClient(self.store, self.settings, checkin=self.checkin, bus=self.bus,
                                   health=self._health, on_command=self._run_command,
                                   on_plan=self.apply_plan)
        return self.sync

    def start_sync(self) -> None:
        """The sync thread always runs: a kiosk enrolled later (by the CLI in another
        process, or by its camera) starts syncing at the thread's next turn."""
        client = self.sync_client()
        if not client.running:
            client.start()
            self.checkin.after_commit.append(lambda _outcome: client.wake())

    def _health(self) -> dict[str, Any]:
        camera = _plain(self.scanner.state).get("status", "off") if self.scanner else "off"
        printer = self.printer.state if self.printer else {"status": "off", "queued": 0}
        return {"camera": str(camera)[:STATUS_MAX],
                "printer": str(printer.get("status", "off"))[:STATUS_MAX],
                "print_queue": int(printer.get("queued") or 0),
                "plan_revision": self.plan.revision if self.plan else 0,
                "self_service_paused": self.self_service.paused_until() is not None}

    # -- the plan -------------------------------------------------------------------------------

    def apply_plan(self, plan: KioskPlan) -> bool:
        """Follow ``plan`` from now on (the sync thread calls this with every heartbeat
        reply; a plan already followed changes nothing). Kept on disk first, so a restart
        follows it too. A new session pin or mode clears the staff's session choice: the
        organizers' newer decision wins. Returns whether anything changed."""
        with self._plan_lock:
            if plan == self.plan:
                return False
            old, old_printer = self.plan, self.settings.printer
            planned = kiosk_plan.settings_with(self.local_settings, plan)
            with self.store.write():
                kiosk_plan.save(self.store, plan)
                if old is None or (old.session_id, old.mode, old.room) != (
                        plan.session_id, plan.mode, plan.room):
                    self.store.set_meta(OVERRIDE_KEY, None)
            self.plan, self.settings, self._plan_problem = plan, planned.settings, planned.problem
            self.checkin.settings = planned.settings.kiosk
            self.checkin.planned_session = plan.session_id
            log.info("following the admin's plan, revision %d (%s%s)", plan.revision, plan.mode,
                     f", {plan.room}" if plan.room else "")
            if self.printer is not None and planned.settings.printer != old_printer:
                self._restart_printer()
        self.bus.publish("plan", self.plan_state(), sticky=True)
        return True

    def plan_state(self) -> dict[str, Any]:
        k = self.settings.kiosk
        return {**kiosk_plan.describe(self.plan, self._plan_problem),
                "mode": k.mode, "room": k.room or None, "direction": k.direction,
                "language": k.language, "result_seconds": k.result_seconds}

    def pin_ok(self, pin: str) -> bool:
        return kiosk_plan.pin_ok(pin, self.plan, self.local_settings.kiosk.staff_pin)

    def pin_version(self) -> str:
        """Which staff PIN is in force (the plan's hash, or "local"): a change ends the
        staff sessions opened with the old one."""
        plan = self.plan
        return plan.staff_pin_hash if plan is not None and plan.staff_pin_hash else "local"

    def _restart_printer(self) -> None:
        """Print with the plan's printer from now on. The old worker finishes the job it
        holds first: while it does, check-ins go on queueing into the store (the queue is
        durable, any worker takes it), and a worker that will not stop keeps the printer,
        never two threads on one device."""
        old = self.printer
        if old is not None:
            if not old.stop(timeout=60.0):
                log.error("the printer worker did not stop: the plan's printer applies "
                          "after a restart")
                self._plan_problem = kiosk_plan.PRINTER_BUSY
                return
            if old.after_commit in self.checkin.after_commit:
                self.checkin.after_commit.remove(old.after_commit)
        log.info("the plan changed the printer: starting it")
        self._start("printer", self.start_printer)

    def _run_command(self, command: Any) -> None:
        if self.printer is None:
            raise RuntimeError("this kiosk has no printer")
        self.printer.print_command(command)

    def on_code(self, text: str) -> None:
        """Everything the camera reads: an enrollment QR enrolls, anything else is a scan."""
        from sync.wire import ENROLL_PREFIX

        if text.startswith(ENROLL_PREFIX):
            threading.Thread(target=self._enroll_from_qr, args=(text,), daemon=True).start()
            return
        self.checkin.handle_code(text)

    def _enroll_from_qr(self, text: str) -> None:
        from .messages import ScreenMessage, ScreenText
        from .sync_client import EnrollmentError, parse_enrollment_qr

        if self.sync_client().token:
            # The camera faces the public: a QR must never move an enrolled kiosk to another
            # admin. Re-enrolling takes staff at the kiosk (`bramka kiosk enroll`).
            log.warning("enrollment QR shown to an enrolled kiosk: ignored")
            message = ScreenMessage(
                "error", ScreenText("Stanowisko jest już zarejestrowane",
                                    "Kod rejestracji zignorowano. Prosimy podejść do punktu "
                                    "informacyjnego."),
                ScreenText("This kiosk is already enrolled",
                           "The enrollment code was ignored. Please go to the help desk."))
            self.bus.publish("scan", {"scan_id": None, "result": "enrollment", "admitted": False,
                                      "name": None, "seconds": self.settings.kiosk.result_seconds,
                                      **message.to_dict()})
            return
        try:
            url, code = parse_enrollment_qr(text)
            reply = self.sync_client().enroll(url, code)
        except EnrollmentError as exc:
            log.warning("enrollment by QR failed: %s", exc)
            message = ScreenMessage(
                "error", ScreenText("Rejestracja stanowiska nieudana", exc.pl),
                ScreenText("Kiosk enrollment failed", str(exc)))
        else:
            message = ScreenMessage(
                "ok", ScreenText("Stanowisko zarejestrowane",
                                 f"Kiosk {reply.kiosk_id} pobiera listę uczestników."),
                ScreenText("Kiosk enrolled",
                           f"Kiosk {reply.kiosk_id} is downloading the participant list."))
            self.sync_client().wake()
        self.bus.publish("scan", {"scan_id": None, "result": "enrollment", "admitted": False,
                                  "name": None, "seconds": self.settings.kiosk.result_seconds,
                                  **message.to_dict()})

    def _start(self, name: str, start: Any) -> None:
        try:
            start()
        except Exception as exc:  # the kiosk serves on; staff see why
            log.exception("%s did not start", name)
            state = {"status": "failed", "message": f"{type(exc).__name__}: {exc}"}
            self._device_state[name] = state
            self.bus.publish(name, state, sticky=True)

    def start_printer(self) -> None:
        from .printing import KioskPrinting

        printing = KioskPrinting(self.store, self.settings, self.bus)
        self.checkin.badge_queue = printing
        self.checkin.after_commit.append(printing.after_commit)
        self.printer = printing
        printing.start()

    def start_scanner(self) -> None:
        from .scanner.decoders import make_decoder
        from .scanner.loop import ScannerLoop
        from .scanner.sources import make_frame_source

        camera, scanner = self.settings.camera, self.settings.scanner
        decoder = make_decoder(scanner.decoder)
        loop = ScannerLoop(
            lambda: make_frame_source(camera),
            decoder,
            self.on_code,
            debounce_seconds=scanner.debounce_seconds,
            retry_seconds=camera.retry_seconds,
            on_state=self._camera_state_changed,
        )
        self.scanner = loop
        loop.start()

    def _camera_state_changed(self, state: Any) -> None:
        self.bus.publish("camera", _plain(state), sticky=True)

    def stop(self) -> None:
        if self.scanner is not None:
            self.scanner.stop()
        if self.printer is not None:
            self.printer.stop()
        if self.sync is not None:
            self.sync.stop()
        self.store.close()

    # -- status ---------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        event = self.store.reader.event()
        today = event_day(event, utc_now())
        k = self.settings.kiosk
        camera = _plain(self.scanner.state) if self.scanner else self._device_state.get(
            "camera", {"status": "off"})
        printer = _plain(self.printer.state) if self.printer else self._device_state.get(
            "printer", {"status": "off"})
        sync = _plain(self.sync.state) if self.sync else {"status": "off"}
        unsent = self.store.reader.outbox_size()
        warnings = kiosk_warnings(k, event, today, printer, camera,
                                  planned=self.store.reader.get_meta("sync_planned_mode"),
                                  sync=sync, unsent=unsent, plan=self.plan_state(),
                                  self_service=self.self_service.state())
        return {
            "kiosk": {"id": k.id, "mode": k.mode, "room": k.room or None},
            "plan": self.plan_state(),
            "self_service": self.self_service.state(),
            "event": {"id": event.id, "name": event.name} if event else None,
            "roster_size": self.store.reader.roster_size(),
            # the event's badge template the kiosk prints with (None: the default badge)
            "badge_template": badge_store.current_hash(self.store.reader.db),
            "scans_today": self.store.reader.count_scans(today),
            "scans_total": self.store.reader.count_scans(),
            "unsent_scans": unsent,
            "camera": camera,
            "decoder": self.settings.scanner.decoder,
            "printer": printer,
            "session_override": self.checkin.session_override(),
            "sync": sync,
            "local_date": today.isoformat(),
            "warnings": [w.to_dict() for w in warnings],
        }


def _plain(obj: Any) -> dict[str, Any]:
    if is_dataclass(obj) and not isinstance(obj, type):
        return {k: (v.isoformat() if isinstance(v, datetime) else v)
                for k, v in asdict(obj).items()}
    if isinstance(obj, dict):
        return obj
    return {"status": str(obj)}
