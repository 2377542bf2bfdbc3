"""The kiosk web app's own words, in Polish and English.

Check-in results come with both languages already (``kiosk.messages``); this file
holds the page furniture: prompts, banners, staff pages, result codes in words.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("pl", "en")

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
    "help_label": {"pl": "Pomoc", "en": "Help"},
    "toggle": {"pl": "English", "en": "Polski"},
    "toggle_lang": {"pl": "en", "en": "pl"},
    "staff": {"pl": "Obsługa", "en": "Staff"},
}

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

ROLES: dict[str, tuple[str, str]] = {
    "participant": ("uczestnik", "participant"),
    "speaker": ("prelegent", "speaker"),
    "organizer": ("organizator", "organizer"),
    "press": ("prasa", "press"),
    "volunteer": ("wolontariusz", "volunteer"),
    "guest": ("gość honorowy", "guest of honour"),
}


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
