"""One clock and one event day for the kiosk and the admin.

Times are kept in aware UTC (:func:`utc_now`). A calendar day is the event's: a scan at
23:30 UTC is on the next day in Europe/Warsaw and on the same day in New York, so the
kiosk's entrance day, the admin's presence per day and every per-day count ask
:func:`event_day` with the event's time zone (:data:`DEFAULT_TIMEZONE` only when no event
says otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Warsaw"
_STEP = 15 * 60
"""Every zone's offset and every change of it fall on a quarter of an hour (checked per
step anyway), so one UTC quarter-hour is one local day."""


class HasTimezone(Protocol):
    @property
    def timezone(self) -> str: ...


ZoneLike = str | ZoneInfo | HasTimezone | Mapping[str, object] | None


def utc_now() -> datetime:
    """Now, aware, in UTC: the one clock both sides read (tests pass their own)."""
    return datetime.now(UTC)


@lru_cache(maxsize=64)
def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def zone_of(event: ZoneLike) -> ZoneInfo:
    """The time zone of an event (a roster ``EventInfo``, a database row, a mapping with
    ``"timezone"``), of a zone name, or the default one for None or an unknown name."""
    if isinstance(event, ZoneInfo):
        return event
    if event is None:
        name: object = DEFAULT_TIMEZONE
    elif isinstance(event, str):
        name = event
    elif isinstance(event, Mapping):
        name = event.get("timezone") or DEFAULT_TIMEZONE
    else:
        name = event.timezone or DEFAULT_TIMEZONE
    return _zone_named(str(name))


def event_day(event: ZoneLike, instant: datetime) -> date:
    """The calendar day ``instant`` (aware) falls on in the event's time zone."""
    zone = zone_of(event)
    day = _day_of_step(zone, int(instant.timestamp() // _STEP))
    return day if day is not None else instant.astimezone(zone).date()


@lru_cache(maxsize=8192)
def _day_of_step(zone: ZoneInfo, step: int) -> date | None:
    """The local day of one UTC quarter-hour, or None if the day changes within it
    (a zone with an odd historical offset): a sync batch asks for thousands of days."""
    first = datetime.fromtimestamp(step * _STEP, zone).date()
    last = datetime.fromtimestamp((step + 1) * _STEP - 1, zone).date()
    return first if first == last else None
