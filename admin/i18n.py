"""Polish first, English on request: ``tr(pl, en)`` picks by the session's language."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, session

from sync.roster import ROLE_WORDS

LANGUAGES = ("pl", "en")
WARSAW = ZoneInfo("Europe/Warsaw")


def current_language() -> str:
    if has_request_context():
        lang = getattr(g, "lang", None)
        if lang is None:
            lang = session.get("lang") or current_app.config.get("LANGUAGE", "pl")
            g.lang = lang if lang in LANGUAGES else "pl"
        return g.lang
    return "pl"


def tr(pl: str, en: str) -> str:
    return pl if current_language() == "pl" else en


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An aware UTC time as Europe/Warsaw wall time."""
    if value is None:
        return ""
    return value.astimezone(WARSAW).strftime(fmt)


def local_input(value: datetime | None) -> str:
    """Value for an ``<input type=datetime-local>`` in Warsaw time."""
    return local(value, "%Y-%m-%dT%H:%M")


def warsaw_day(value: datetime) -> date:
    """The Warsaw calendar day of an aware time. Warsaw's offsets are whole hours and its
    clock changes on the hour, so one UTC hour is one Warsaw day: computed once per hour
    (a sync batch asks for thousands)."""
    return _warsaw_day_of_hour(int(value.timestamp() // 3600))


@lru_cache(maxsize=4096)
def _warsaw_day_of_hour(hour: int) -> date:
    return datetime.fromtimestamp(hour * 3600, WARSAW).date()


ROLE_LABELS = ROLE_WORDS  # sync.roster: one table for admin, kiosk and badges


def role_label(role: str) -> str:
    pl, en = ROLE_LABELS.get(role, (role, role))
    return tr(pl, en)
