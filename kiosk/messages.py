"""What the attendee reads: each decision as a title and a next step, in Polish and English.

The tone (ok / warn / error) picks colour *and* icon, so no result is told by
colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sync.roster import LocalizedText
from sync.words import Bilingual

from .decide import OUTSIDE_EVENT, Decision

Tone = Literal["ok", "warn", "error"]
# What became of the badge an entrance check-in needs: queued (the printer works),
# printer_down (queued, the printer has a fault), no_code (this kiosk has no badge code
# for the person), failed (queuing failed), none (no printer here).
BadgeNote = Literal["queued", "printer_down", "no_code", "failed", "none"]

BADGE_TEXT: dict[str, tuple[str, str]] = {
    "queued": ("Odbierz identyfikator z drukarki.", "Please take your badge from the printer."),
    "printer_down": ("Drukarka chwilowo nie działa: identyfikator wydrukuje się po naprawie "
                     "albo odbierzesz go w punkcie informacyjnym.",
                     "The printer is down for a moment: your badge prints once it is fixed, "
                     "or collect it at the help desk."),
    "no_code": ("Identyfikator odbierzesz w punkcie informacyjnym.",
                "Please collect your badge at the help desk."),
    "failed": ("Identyfikator odbierzesz w punkcie informacyjnym.",
               "Please collect your badge at the help desk."),
    "none": ("Zapraszamy!", "Come in!"),
}
ICONS: dict[Tone, str] = {"ok": "✓", "warn": "!", "error": "✕"}


@dataclass(frozen=True, slots=True)
class ScreenText:
    """One language's title and next step, as :func:`describe` writes them side by side."""

    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class ScreenMessage:
    tone: Tone
    pl: ScreenText
    en: ScreenText

    @property
    def title(self) -> Bilingual:
        return Bilingual(self.pl.title, self.en.title)

    @property
    def detail(self) -> Bilingual:
        return Bilingual(self.pl.detail, self.en.detail)

    def to_dict(self) -> dict[str, object]:
        return {"tone": self.tone, "icon": ICONS[self.tone],
                "title": self.title.to_dict(), "detail": self.detail.to_dict()}


def _hm(ts: datetime | None, tz: ZoneInfo) -> str:
    return ts.astimezone(tz).strftime("%H:%M") if ts else "?"


def _when(ts: datetime, now: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """A session's start as people say it: "o 13:00" today, "24.11 o 10:00" another day."""
    local, today = ts.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        return f"o {local:%H:%M}", f"at {local:%H:%M}"
    return f"{local:%d.%m} o {local:%H:%M}", f"on {local:%d.%m} at {local:%H:%M}"


def describe(d: Decision, *, tz: ZoneInfo, help_desk: LocalizedText,
             badge: BadgeNote = "none", now: datetime | None = None) -> ScreenMessage:
    """Turn a decision into the two-language screen text."""
    name = d.attendee.full_name if d.attendee else ""
    first = d.attendee.first_name if d.attendee else ""
    help_pl = f"Pomoc: {help_desk.pl}."
    help_en = f"Help: {help_desk.en}."
    title_s = d.session.title if d.session else ""
    if d.result == "ok" and d.direction == "out":
        return ScreenMessage(
            "ok",
            ScreenText(f"Do zobaczenia, {first}", f"Wyjście z sesji zapisane: {title_s}."),
            ScreenText(f"Goodbye, {first}", f"Your exit from the session is recorded: {title_s}."),
        )
    if d.result == "ok" and d.session is not None:
        return ScreenMessage(
            "ok",
            ScreenText(f"Witaj, {name}", f"Zapraszamy: {title_s}."),
            ScreenText(f"Welcome, {name}", f"Please come in: {title_s}."),
        )
    if d.result == "ok":
        pl_next, en_next = BADGE_TEXT[badge]
        return ScreenMessage("ok", ScreenText(f"Witaj, {name}", pl_next),
                             ScreenText(f"Welcome, {name}", en_next))
    if d.result == "already_checked_in":
        at = _hm(d.first_seen_at, tz)
        if d.session is not None:
            return ScreenMessage(
                "ok",
                ScreenText(f"Witaj ponownie, {name}", f"Jesteś już na liście obecności "
                           f"(od {at}): {title_s}."),
                ScreenText(f"Welcome back, {name}", f"You are already on the attendance list "
                           f"(since {at}): {title_s}."),
            )
        return ScreenMessage(
            "ok",
            ScreenText(f"Witaj ponownie, {name}", f"Dziś pierwsze wejście o {at}. Zapraszamy!"),
            ScreenText(f"Welcome back, {name}", f"You first came in today at {at}. Come in!"),
        )
    if d.result == "not_registered":
        return ScreenMessage(
            "warn",
            ScreenText("Brak zapisu na to wydarzenie",
                       f"{title_s} wymaga wcześniejszego zapisu. {help_pl}"),
            ScreenText("Not registered for this session",
                       f"{title_s} needs registration in advance. {help_en}"),
        )
    if d.result == "full":
        return ScreenMessage(
            "warn",
            ScreenText("Brak wolnych miejsc",
                       f"{title_s}: wszystkie miejsca ({d.occupancy}) są zajęte. {help_pl}"),
            ScreenText("No seats left",
                       f"{title_s}: all {d.occupancy} seats are taken. {help_en}"),
        )
    if d.result == "not_open" and d.reason == OUTSIDE_EVENT:
        return ScreenMessage(
            "warn", ScreenText("Dziś nie ma wydarzenia",
                               f"Wejście działa w dniach wydarzenia. {help_pl}"),
            ScreenText("No event today", f"Check-in is open on the event's days. {help_en}"))
    if d.result == "not_open":
        nxt = d.next_session
        if nxt is not None:
            at_pl, at_en = _when(nxt.starts_at, now or nxt.starts_at, tz)
            return ScreenMessage(
                "warn", ScreenText("Wejście jeszcze nieczynne",
                                   f"Najbliższa sesja w tej sali {at_pl}: {nxt.title}."),
                ScreenText("Not open yet",
                           f"The next session in this room starts {at_en}: {nxt.title}."))
        return ScreenMessage(
            "warn", ScreenText("Sala zamknięta", f"W tej sali nie ma już sesji. {help_pl}"),
            ScreenText("This room is closed", f"There are no more sessions here. {help_en}"))
    if d.result == "unknown" and d.admitted:
        return ScreenMessage(
            "warn",
            ScreenText("Witaj!", f"Zaproszenie jest ważne, ale nie ma go jeszcze na liście "
                       f"tego stanowiska. Identyfikator odbierzesz w punkcie informacyjnym. "
                       f"{help_pl}"),
            ScreenText("Welcome!", f"Your invitation is valid but not yet on this kiosk's "
                       f"list. Please collect your badge at the help desk. {help_en}"),
        )
    texts: dict[str, tuple[ScreenText, ScreenText]] = {
        "unknown": (ScreenText("Nie znaleziono zgłoszenia", help_pl),
                    ScreenText("Registration not found", help_en)),
        "revoked": (ScreenText("Ten identyfikator jest nieaktualny",
                               f"Wydano nowszy identyfikator. {help_pl}"),
                    ScreenText("This badge is no longer valid",
                               f"A newer badge was issued. {help_en}")),
        "blocked": (ScreenText("Rejestracja anulowana", help_pl),
                    ScreenText("Registration cancelled", help_en)),
        "wrong_event": (ScreenText("Zaproszenie na inne wydarzenie",
                                   f"Ten kod nie dotyczy tego wydarzenia. {help_pl}"),
                        ScreenText("Invitation for another event",
                                   f"This code is not for this event. {help_en}")),
    }
    pl, en = texts.get(d.result, (
        ScreenText("Nieprawidłowy kod", f"To nie jest zaproszenie na to wydarzenie. {help_pl}"),
        ScreenText("Invalid code", f"This is not an invitation to this event. {help_en}"),
    ))
    return ScreenMessage("error", pl, en)
