"""Parsing form fields into typed values; a bad value raises :class:`Invalid`."""

from __future__ import annotations

from datetime import UTC, date, datetime

from admin.errors import Invalid
from sync.timekeeping import ZoneLike, zone_of


def parse_date(value: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{label}: podaj datę RRRR-MM-DD",
                      f"{label}: give a date YYYY-MM-DD") from None


def parse_local_datetime(value: str, label: str, event: ZoneLike = None) -> datetime:
    """A wall time of the event's zone (the default zone without one) from a form, as
    aware UTC."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid(f"{label}: podaj datę i godzinę", f"{label}: give a date and time") from None
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    return naive.replace(tzinfo=zone_of(event)).astimezone(UTC)


def parse_optional_int(value: str | None, label: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise Invalid(f"{label}: podaj liczbę", f"{label}: give a number") from None


def parse_int(value: str | None, label: str) -> int:
    result = parse_optional_int(value, label)
    if result is None:
        raise Invalid(f"{label}: pole wymagane", f"{label}: required")
    return result
