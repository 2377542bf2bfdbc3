"""Polish first, English on request: ``tr(pl, en)`` picks by the session's language.

Times are shown in the event's time zone (``sync.timekeeping``): pass the event to
:func:`local`; in a template the ``local`` filter takes the page's ``event``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import current_app, g, has_request_context, session
from jinja2 import pass_context
from jinja2.runtime import Context

from sync.roster import ROLE_WORDS
from sync.timekeeping import ZoneLike, zone_of
from sync.words import LANGUAGES, pick

TIME_FORMAT = "%Y-%m-%d %H:%M"


def current_language() -> str:
    if has_request_context():
        lang = getattr(g, "lang", None)
        if lang is None:
            lang = session.get("lang") or current_app.config.get("LANGUAGE", "pl")
            g.lang = lang if lang in LANGUAGES else "pl"
        return g.lang
    return "pl"


def tr(pl: str, en: str) -> str:
    return pick(current_language(), pl, en)


def local(value: datetime | None, fmt: str = TIME_FORMAT, event: ZoneLike = None) -> str:
    """An aware UTC time as wall time of the event's zone (the default zone without one)."""
    if value is None:
        return ""
    return value.astimezone(zone_of(event)).strftime(fmt)


def local_input(value: datetime | None, event: ZoneLike = None) -> str:
    """Value for an ``<input type=datetime-local>`` in the event's time."""
    return local(value, "%Y-%m-%dT%H:%M", event)


def _page_event(ctx: Context) -> Any:
    event = ctx.get("event")
    return event if isinstance(event, Mapping) or hasattr(event, "timezone") else None


@pass_context
def local_filter(ctx: Context, value: datetime | None, fmt: str = TIME_FORMAT) -> str:
    """``{{ t|local }}``: in the time zone of the page's ``event`` when it has one."""
    return local(value, fmt, _page_event(ctx))


@pass_context
def local_input_filter(ctx: Context, value: datetime | None) -> str:
    return local_input(value, _page_event(ctx))


ROLE_LABELS = ROLE_WORDS  # sync.roster: one table for admin, kiosk and badges


def role_label(role: str) -> str:
    pl, en = ROLE_LABELS.get(role, (role, role))
    return tr(pl, en)
