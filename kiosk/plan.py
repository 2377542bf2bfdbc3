"""The plan this kiosk follows: the admin's (``sync.plan``), else its local settings.

The last plan received is kept in the store's meta, so it stays in force offline and
after a restart. :func:`settings_with` turns it into the settings the kiosk runs on: the
plan gives the role (mode, room, direction, language, result time, printer profile); the
local file keeps the hardware, the data directory and the admin's address.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bramka.config import KioskSettings, PrinterSettings, Settings
from sync.plan import KioskPlan, pin_matches
from sync.words import Bilingual

from .store import Store

log = logging.getLogger(__name__)

PLAN_KEY = "kiosk_plan"  # the last KioskPlan received, as JSON


def saved(store: Store) -> KioskPlan | None:
    """The plan last received, or None (never planned, or a damaged copy: logged)."""
    text = store.reader.get_meta(PLAN_KEY)
    if not text:
        return None
    try:
        return KioskPlan.model_validate_json(text)
    except ValidationError as exc:
        log.warning("the saved kiosk plan is not usable (%s): following the local settings",
                    exc.errors()[0]["msg"] if exc.errors() else exc)
        return None


def save(store: Store, plan: KioskPlan | None) -> None:
    store.set_meta(PLAN_KEY, plan.model_dump_json() if plan is not None else None)


@dataclass(frozen=True)
class Planned:
    """The settings to run on, and what could not be taken from the plan."""

    settings: Settings
    problem: Bilingual | None = None


def settings_with(local: Settings, plan: KioskPlan | None) -> Planned:
    """``local`` with the plan's role over it. A printer profile this kiosk cannot use
    (a CUPS profile without a queue named locally) keeps the local printer and says why."""
    if plan is None:
        return Planned(local)
    kiosk = KioskSettings.model_validate({
        **local.kiosk.model_dump(), "mode": plan.mode,
        "room": plan.room if plan.mode == "room" else "",
        "direction": plan.direction, "language": plan.language,
        "result_seconds": plan.result_seconds})
    printer, problem = local.printer, None
    if plan.printer_profile and plan.printer_profile != local.printer.profile:
        try:
            printer = PrinterSettings.model_validate(
                {**local.printer.model_dump(), "profile": plan.printer_profile})
        except ValidationError as exc:
            log.warning("printer profile %r of the plan cannot be used here (%s): printing "
                        "with the local printer settings", plan.printer_profile,
                        exc.errors()[0]["msg"])
            problem = Bilingual(
                f"profil drukarki „{plan.printer_profile}” wymaga ustawień, których ten kiosk "
                "nie ma (np. nazwy kolejki CUPS); drukuje na drukarce z własnych ustawień",
                f"printer profile “{plan.printer_profile}” needs settings this kiosk does not "
                "have (e.g. a CUPS queue name); it prints on the printer of its own settings")
    return Planned(local.model_copy(update={"kiosk": kiosk, "printer": printer}), problem)


def pin_ok(pin: str, plan: KioskPlan | None, local_pin: str) -> bool:
    """The plan's staff PIN (a hash) when it sets one, else the local one."""
    if plan is not None and plan.staff_pin_hash:
        return pin_matches(pin, plan.staff_pin_hash)
    return hmac.compare_digest(pin.encode(), local_pin.encode())


PRINTER_BUSY = Bilingual(
    "drukarka kończy drukowanie: nowy profil drukarki zadziała po ponownym uruchomieniu kiosku",
    "the printer is still finishing a job: the new printer profile applies after the kiosk "
    "restarts")


def describe(plan: KioskPlan | None, problem: Bilingual | None = None) -> dict[str, Any]:
    """For the status and the screen: which plan the kiosk follows."""
    if plan is None:
        return {"source": "local", "revision": 0,
                "problem": problem.to_dict() if problem else None}
    return {"source": "admin", "revision": plan.revision, "session_id": plan.session_id,
            "help_desk": plan.help_desk, "printer_profile": plan.printer_profile,
            "staff_pin": "admin" if plan.staff_pin_hash else "local",
            "problem": problem.to_dict() if problem else None}
