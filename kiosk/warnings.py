"""Conditions staff must know about, worded for people, in Polish and English.

``KioskRuntime.status()["warnings"]`` is a list of these as dicts; the staff pages and
``bramka kiosk status`` show them. Each has a stable ``code``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from bramka.config import KioskSettings
from sync.roster import EventInfo
from sync.words import BilingualMixin

DEFAULT_STAFF_PIN = KioskSettings.model_fields["staff_pin"].default

# Why the admin refuses this kiosk, by the wire's error code (``sync.wire.ErrorCode``;
# tests/test_tables.py keeps the two in step), as the staff read it.
SYNC_REFUSALS: dict[str, tuple[str, str]] = {
    "bad_request": ("panel nie rozumie zapytań kiosku", "the admin cannot read the kiosk's "
                    "requests"),
    "unauthenticated": ("kiosk nie jest zarejestrowany w tym panelu",
                        "the kiosk is not enrolled with this admin"),
    "kiosk_revoked": ("organizator wyłączył ten kiosk", "the organizers revoked this kiosk"),
    "enrollment_invalid": ("kod rejestracji jest nieprawidłowy, wykorzystany lub wygasł",
                           "the enrollment code is invalid, used or expired"),
    "too_many_attempts": ("za wiele błędnych kodów rejestracji: spróbuj za kilka minut",
                          "too many wrong enrollment codes: try again in a few minutes"),
    "protocol_unsupported": ("oprogramowanie kiosku jest niezgodne z panelem: trzeba je "
                             "zaktualizować", "the kiosk's software does not match the "
                             "admin: it needs an update"),
    "too_large": ("paczka skanów jest za duża dla panelu", "a batch of scans is too large "
                  "for the admin"),
    "clock_invalid": ("zegar kiosku podaje niemożliwy czas", "the kiosk's clock gives an "
                      "impossible time"),
    "chain_broken": ("zapis skanów kiosku został zmieniony, skrócony lub przestawiony: "
                     "wysyłanie wstrzymane", "the kiosk's record of scans was changed, cut "
                     "or reordered: uploads are on hold"),
    "server_error": ("błąd serwera panelu", "the admin's server failed"),
}


@dataclass(frozen=True, slots=True)
class KioskWarning(BilingualMixin):
    """A warning for staff: its code and words (read as every pair: ``sync.words``)."""

    code: str
    pl: str
    en: str

    def to_dict(self) -> dict[str, Any]:  # type: ignore[override]
        return asdict(self)


def kiosk_warnings(settings: KioskSettings, event: EventInfo | None, local_today: date,
                   printer: dict[str, Any] | None, camera: dict[str, Any] | None,
                   planned: str | None = None, sync: dict[str, Any] | None = None,
                   unsent: int = 0, plan: dict[str, Any] | None = None,
                   self_service: dict[str, Any] | None = None) -> list[KioskWarning]:
    """``planned`` is "mode:room" as the organizers planned this kiosk at enrollment
    (before its first plan arrived); ``plan`` what ``KioskRuntime.plan_state`` says of
    the plan it follows; ``sync`` the sync client's state; ``unsent`` the scans not yet
    confirmed by the admin."""
    out: list[KioskWarning] = []
    sync_status = (sync or {}).get("status")
    if sync_status == "revoked":
        out.append(KioskWarning(
            "sync_revoked",
            "Organizator wyłączył ten kiosk: lista uczestników została usunięta. "
            "Prosimy o kontakt z organizatorem.",
            "The organizers revoked this kiosk: its participant list was deleted. "
            "Please contact the organizers."))
    elif sync_status == "rejected":
        why_pl, why_en = SYNC_REFUSALS.get(str((sync or {}).get("code") or ""),
                                           ("np. przestarzałe oprogramowanie",
                                            "e.g. outdated software"))
        out.append(KioskWarning(
            "sync_rejected",
            f"Panel organizatora odrzuca ten kiosk ({why_pl}). Skany są zapisywane na "
            "stanowisku. Prosimy o kontakt z organizatorem.",
            f"The organizers' admin refuses this kiosk ({why_en}). Scans are kept on the "
            "kiosk. Please contact the organizers."))
    elif sync_status == "offline":
        out.append(KioskWarning(
            "sync_offline",
            f"Brak połączenia z panelem organizatora. Skany ({unsent}) są bezpiecznie "
            "zapisane na stanowisku i zostaną wysłane, gdy połączenie wróci.",
            f"No connection to the organizers' admin. Scans ({unsent}) are safely stored "
            "on the kiosk and will be sent when the connection is back."))
    if self_service and self_service.get("paused_until"):
        out.append(KioskWarning(
            "self_service_paused",
            "Samoobsługa bez kodu QR wstrzymana: wiele błędnych prób potwierdzenia. Sprawdź, "
            "kto stoi przy kiosku; wróci sama po 10 minutach.",
            "Self-service without a QR code is paused: many wrong confirmation attempts. "
            "Check who is at the kiosk; it comes back by itself after 10 minutes."))
    if plan and plan.get("problem"):
        out.append(KioskWarning(
            "plan_problem",
            f"Części planu z panelu organizatora nie da się tu zastosować: "
            f"{plan['problem']['pl']}.",
            f"Part of the organizers' plan cannot be followed here: {plan['problem']['en']}."))
    from_admin = bool(plan and plan.get("source") == "admin")
    if planned and not from_admin:
        mode, _, room = planned.partition(":")
        if (mode, room if mode == "room" else "") != (
                settings.mode, settings.room if settings.mode == "room" else ""):
            where_pl = "wejście" if mode == "entrance" else f"sala {room}"
            where_en = "entrance" if mode == "entrance" else f"room {room}"
            out.append(KioskWarning(
                "mode_mismatch",
                f"W panelu organizatora ten kiosk zaplanowano jako: {where_pl}; ustawienia "
                "kiosku mówią co innego (kiosk mode/room).",
                f"The organizers planned this kiosk as: {where_en}; its settings say "
                "otherwise (kiosk mode/room)."))
    if settings.staff_pin == DEFAULT_STAFF_PIN and not (plan and plan.get("staff_pin") == "admin"):
        out.append(KioskWarning(
            "default_pin",
            "PIN obsługi jest domyślny: zmień go w konfiguracji (staff_pin).",
            "The staff PIN is the default one: change it in the settings (staff_pin)."))
    if event is None:
        out.append(KioskWarning(
            "no_roster", "Brak listy uczestników: stanowisko nie sprawdza zaproszeń.",
            "No participant list: this kiosk cannot check invitations."))
    elif not event.starts_on <= local_today <= event.ends_on:
        out.append(KioskWarning(
            "clock_outside_event",
            f"Data na stanowisku ({local_today:%d.%m.%Y}) jest poza terminem wydarzenia "
            f"({event.starts_on:%d.%m}–{event.ends_on:%d.%m.%Y}). Sprawdź zegar.",
            f"The kiosk's date ({local_today:%d.%m.%Y}) is outside the event "
            f"({event.starts_on:%d.%m}–{event.ends_on:%d.%m.%Y}). Check the clock."))
    if camera is not None and camera.get("status") in ("unavailable", "failed"):
        out.append(KioskWarning(
            "camera_unavailable", "Kamera niedostępna: skanowanie nie działa.",
            "Camera unavailable: scanning does not work."))
    state = printer.get("status") if printer else None
    code = printer.get("code") if printer else None
    if state not in (None, "off", "ready", "unknown") or code:
        failed = state == "failed"
        what_pl = printer.get("pl") or PRINTER_STATES_PL.get(state or "", state or "")
        what_en = printer.get("en") or PRINTER_STATES_EN.get(state or "", state or "")
        out.append(KioskWarning(
            f"printer_{code or state}",
            f"Drukarka: {what_pl.rstrip('.')}. "
            + ("Identyfikatory nie są drukowane." if failed
               else "Identyfikatory czekają w kolejce."),
            f"Printer: {what_en.rstrip('.')}. "
            + ("Badges are not printed." if failed else "Badges wait in the queue.")))
    return out


PRINTER_STATES_PL = {
    "paper_out": "brak papieru", "cover_open": "otwarta pokrywa", "offline": "niedostępna",
    "error": "błąd", "failed": "nie uruchomiła się",
}
PRINTER_STATES_EN = {
    "paper_out": "out of paper", "cover_open": "cover open", "offline": "offline",
    "error": "error", "failed": "failed to start",
}
