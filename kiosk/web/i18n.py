"""The kiosk web app's own words, in Polish and English.

Check-in results come with both languages already (``kiosk.messages``); this file
holds the page furniture: prompts, banners, staff pages, result codes in words.
"""

from __future__ import annotations

from typing import Any

from sync.roster import ROLE_WORDS

# Texts the attendee screen swaps when the language toggle is used.
SCREEN: dict[str, dict[str, str]] = {
    "title": {"pl": "Rejestracja obecności", "en": "Check-in"},
    "prompt": {"pl": "Pokaż kod QR z\u00a0zaproszenia",
               "en": "Show the QR code from your invitation"},
    "hint": {"pl": "Trzymaj kod w\u00a0ramce, około 20\u00a0cm od kamery.",
             "en": "Hold the code inside the frame, about 20\u00a0cm from the camera."},
    "preview_alt": {"pl": "Podgląd z kamery", "en": "Camera preview"},
    "preview_off": {"pl": "Podgląd kamery jest niedostępny",
                    "en": "The camera preview is not available"},
    "camera_down": {"pl": "Kamera niedostępna — prosimy podejść do punktu informacyjnego",
                    "en": "Camera unavailable — please go to the help desk"},
    "not_ready": {"pl": "Stanowisko nie jest gotowe — prosimy podejść do punktu informacyjnego",
                  "en": "This kiosk is not ready — please go to the help desk"},
    "reconnecting": {"pl": "Łączenie…", "en": "Reconnecting…"},
    # A kiosk with no enrollment and no roster (a fresh install): what to do, full screen.
    "enroll_title": {"pl": "Stanowisko czeka na rejestrację",
                     "en": "This kiosk is waiting to be enrolled"},
    "enroll_steps": {"pl": "Pokaż kamerze kod QR rejestracji z\u00a0panelu organizatora "
                           "(Kioski → ten kiosk → Nowy kod rejestracji).",
                     "en": "Show the enrollment QR from the admin to the camera "
                           "(Kiosks → this kiosk → New enrollment code)."},
    "enroll_loading": {"pl": "Stanowisko zarejestrowane — pobieranie planu i\u00a0listy "
                             "uczestników…",
                       "en": "Kiosk enrolled — downloading its plan and the participant "
                             "list…"},
    "plan_admin": {"pl": "plan z panelu, wersja", "en": "admin plan, revision"},
    "plan_local": {"pl": "ustawienia lokalne", "en": "local settings"},
    "help_label": {"pl": "Pomoc", "en": "Help"},
    # Self-service without a QR (kiosk/web/self_service.py), on entrance kiosks that offer it.
    "no_code": {"pl": "Nie mam kodu", "en": "I have no code"},
    "toggle": {"pl": "English", "en": "Polski"},
    "toggle_lang": {"pl": "en", "en": "pl"},
    "staff": {"pl": "Obsługa", "en": "Staff"},
    # The printer, in the footer, only while it cannot print (see ``screen_printer_note``).
    "printer_paper_out": {"pl": "Drukarka: brak papieru", "en": "Printer: out of paper"},
    "printer_cover_open": {"pl": "Drukarka: otwarta pokrywa", "en": "Printer: cover open"},
    "printer_offline": {"pl": "Drukarka: niedostępna", "en": "Printer: offline"},
    "printer_error": {"pl": "Drukarka: błąd", "en": "Printer: error"},
    "printer_failed": {"pl": "Drukarka: nie działa", "en": "Printer: not working"},
    "printer_other": {"pl": "Drukarka nie drukuje", "en": "The printer is not printing"},
    "printer_help": {"pl": "identyfikator odbierzesz w\u00a0punkcie informacyjnym",
                     "en": "collect your badge at the help desk"},
}

# Printer states the attendee screen says nothing about: printing works, or no printer.
# ("unknown": the printer cannot tell its state; it still prints.)
SCREEN_PRINTER_QUIET = ("ready", "off", "unknown", "")

# Result codes as the staff read them in the list of last scans.
RESULTS: dict[str, tuple[str, str]] = {
    "ok": ("Wpuszczono", "Admitted"),
    "ok_out": ("Wyjście zapisane", "Exit recorded"),
    "already_checked_in": ("Ponowne wejście", "Already checked in"),
    "not_registered": ("Brak zapisu na sesję", "Not registered for the session"),
    "full": ("Brak wolnych miejsc", "No seats left"),
    "not_open": ("Sesja nieczynna", "Session not open"),
    "revoked": ("Nieaktualny identyfikator", "Badge no longer valid"),
    "blocked": ("Rejestracja anulowana", "Registration cancelled"),
    "unknown": ("Brak na liście", "Not on the list"),
    "unknown_admitted": ("Brak na liście, wpuszczono", "Not on the list, admitted"),
    "invalid": ("Nieprawidłowy kod", "Invalid code"),
    "wrong_event": ("Kod z innego wydarzenia", "Code for another event"),
}

# How a scan was made, for the list of last scans.
SOURCES: dict[str, tuple[str, str]] = {
    "camera": ("kamera", "camera"),
    "handheld": ("czytnik ręczny", "handheld scanner"),
    "manual": ("ręcznie", "by hand"),
    "self_service": ("samoobsługa (bez kodu QR)", "self-service (no QR code)"),
}

# Printer states as staff read them: "Drukarka: <state>".
PRINTER_STATES: dict[str, tuple[str, str]] = {
    "ready": ("gotowa", "ready"),
    "paper_out": ("brak papieru", "out of paper"),
    "cover_open": ("otwarta pokrywa", "cover open"),
    "offline": ("niedostępna", "offline"),
    "error": ("błąd", "error"),
    "failed": ("nie uruchomiła się", "failed to start"),
    "unknown": ("stan nieznany (drukarka nie podaje stanu)",
                "state unknown (the printer does not report it)"),
}

ROLES = ROLE_WORDS  # sync.roster: one table for admin, kiosk and badges


def result_words(row: dict[str, Any], lang: str) -> str:
    """A stored scan's result in words, never a code."""
    code = str(row.get("result", ""))
    if code == "ok" and row.get("direction") == "out":
        code = "ok_out"
    elif code == "unknown" and row.get("admitted"):
        code = "unknown_admitted"
    pl, en = RESULTS.get(code, ("Inny wynik", "Other result"))
    return pl if lang == "pl" else en


def role_words(role: str, lang: str) -> str:
    pl, en = ROLES.get(role, (role, role))
    return pl if lang == "pl" else en


def screen_strings(lang: str) -> dict[str, str]:
    return {key: texts[lang] for key, texts in SCREEN.items()}


def source_words(source: str, lang: str) -> str:
    pl, en = SOURCES.get(source, SOURCES["camera"])
    return pl if lang == "pl" else en


def _sentence(state: dict[str, Any], lang: str) -> str:
    """The printer's own sentence in ``lang``, if its state carries one."""
    value = state.get(lang)
    return value.strip().rstrip(".").strip() if isinstance(value, str) else ""


def screen_printer_note(state: dict[str, Any] | None, lang: str) -> str:
    """The attendee screen's footer line about the printer; "" while it prints (or is off).

    The attendee reads our own short words keyed by ``status`` (the printer's own
    sentences are written for staff); an unfamiliar status uses the printer's sentence.
    kiosk.js ``printerNote`` does the same in the browser: keep the two alike.
    """
    status = str((state or {}).get("status") or "")
    if status in SCREEN_PRINTER_QUIET:
        return ""
    entry = SCREEN.get(f"printer_{status}")
    words = entry[lang] if entry else (_sentence(state or {}, lang)
                                       or SCREEN["printer_other"][lang])
    return f"{words} — {SCREEN['printer_help'][lang]}"


def staff_printer(state: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """The printer as the staff pages show it, or None when the kiosk has no printer."""
    state = state or {}
    status = str(state.get("status") or "off")
    if status == "off":
        return None
    pl, en = PRINTER_STATES.get(status, (status, status))
    words = pl if lang == "pl" else en
    sentence = _sentence(state, lang) or (f"Drukarka: {words}" if lang == "pl"
                                          else f"Printer: {words}")
    paper_low = bool(state.get("paper_low")) and status == "ready"
    if paper_low:
        sentence += ", kończy się papier" if lang == "pl" else ", paper running low"
    try:
        queued = max(0, int(state.get("queued") or 0))
    except (TypeError, ValueError):
        queued = 0
    message = state.get("message")
    if status not in ("ready", "unknown"):
        tone = "error"
    elif paper_low or state.get("code"):  # prints, but the last job failed or paper is low
        tone = "warn"
    else:
        tone = "ok"
    return {
        "status": status,
        "tone": tone,
        "text": sentence,
        "queued": queued,
        # The technical detail (English, from the driver) only while something is wrong.
        "detail": str(message) if message and tone != "ok" else "",
    }
