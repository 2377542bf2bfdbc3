"""Time in the room: minutes each person was present in a session, from entry and exit
scans (issue 10, item 4). Pure functions; ``admin.queries.attendance`` feeds them.

A person is inside from an admitted entry until the next admitted exit; entries while
inside change nothing, an exit with no entry before it counts nothing. Every stay is
clipped to the session's window. A stay with no exit closes at the session's end and is
marked (``open_end``). A day's minutes are the sum of its sessions' minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Presence:
    minutes: int  # whole minutes present within the session's window (rounded down)
    open_end: bool  # the last entry had no exit: closed at the session's end
    seconds: float  # the exact figure


def minutes_present(movements: Iterable[tuple[datetime, str]], starts_at: datetime,
                    ends_at: datetime) -> Presence:
    """``movements``: (time, "in" | "out") of one person in one session, any order."""
    total = timedelta(0)
    entered: datetime | None = None
    for when, direction in sorted(movements):
        if direction == "in":
            if entered is None:
                entered = when
        elif entered is not None:
            total += _clipped(entered, when, starts_at, ends_at)
            entered = None
    open_end = entered is not None
    if entered is not None:
        total += _clipped(entered, ends_at, starts_at, ends_at)
    seconds = total.total_seconds()
    return Presence(int(seconds // 60), open_end, seconds)


def _clipped(a: datetime, b: datetime, lo: datetime, hi: datetime) -> timedelta:
    start, end = max(a, lo), min(b, hi)
    return end - start if end > start else timedelta(0)


def session_minutes(starts_at: datetime, ends_at: datetime) -> int:
    return max(0, int((ends_at - starts_at).total_seconds() // 60))


def meets_rule(minutes: int, length: int, min_percent: int) -> bool:
    """Whether ``minutes`` of a ``length``-minute session meet the event's rule."""
    return length > 0 and minutes * 100 >= min_percent * length
