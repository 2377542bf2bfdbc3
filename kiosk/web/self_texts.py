"""The words of self-service at the kiosk ("I have no code"), Polish and English."""

from __future__ import annotations

SELF: dict[str, dict[str, str]] = {
    "button": {"pl": "Nie mam kodu", "en": "I have no code"},
    "title": {"pl": "Bez kodu QR", "en": "Without a QR code"},
    "surname_label": {"pl": "Wpisz całe nazwisko", "en": "Type your whole surname"},
    "surname_hint": {"pl": "Polskie litery nie są potrzebne: „lukasz” znajdzie „Łukasz”.",
                     "en": "Polish letters are not needed: “lukasz” finds “Łukasz”."},
    "search": {"pl": "Szukaj", "en": "Search"},
    "pick": {"pl": "Wybierz siebie", "en": "Pick yourself"},
    "none": {"pl": "Nikogo nie znaleziono. Wpisz całe nazwisko, tak jak przy rejestracji.",
             "en": "Nobody found. Type your whole surname as you registered it."},
    "too_many": {"pl": "Wiele osób o tym nazwisku: prosimy podejść do punktu informacyjnego.",
                 "en": "Many people have this surname: please go to the help desk."},
    "found": {"pl": "Znalezione osoby", "en": "People found"},
    "not_me": {"pl": "Nie ma mnie na liście", "en": "I am not on the list"},
    "confirm_title": {"pl": "Potwierdź, że to Ty", "en": "Confirm it is you"},
    "code_label": {"pl": "Kod osobisty z zaproszenia (6 znaków)",
                   "en": "Personal code from the invitation (6 characters)"},
    "email_label": {"pl": "Adres e-mail podany przy rejestracji",
                    "en": "The e-mail address you registered with"},
    "confirm": {"pl": "Potwierdź", "en": "Confirm"},
    "back": {"pl": "Wróć", "en": "Back"},
    "cancel": {"pl": "Anuluj", "en": "Cancel"},
    "refused_title": {"pl": "Nie możemy potwierdzić", "en": "We cannot confirm this"},
    "refused": {"pl": "Sprawdź wpisane dane albo podejdź do punktu informacyjnego.",
                "en": "Check what you typed, or go to the help desk."},
    "paused_title": {"pl": "Samoobsługa chwilowo niedostępna",
                     "en": "Self-service is not available now"},
    "paused": {"pl": "Prosimy podejść do punktu informacyjnego.",
               "en": "Please go to the help desk."},
    "off": {"pl": "Na tym stanowisku nie ma samoobsługi bez kodu. Prosimy podejść do punktu "
                  "informacyjnego.",
            "en": "This kiosk has no self-service without a code. Please go to the help desk."},
    "timer": {"pl": "Powrót do ekranu głównego za {s} s", "en": "Back to the main screen in {s} s"},
    "keyboard": {"pl": "Klawiatura ekranowa", "en": "On-screen keyboard"},
    "backspace": {"pl": "Usuń znak", "en": "Delete a character"},
    "space": {"pl": "Spacja", "en": "Space"},
    "toggle": {"pl": "English", "en": "Polski"},
}


def words(lang: str) -> dict[str, str]:
    """Every text in one language (the template's and the script's table)."""
    return {key: pair[lang] for key, pair in SELF.items()}
