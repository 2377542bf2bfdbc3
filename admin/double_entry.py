"""Double entries (issue 16): an admission while the person was already admitted and not
out, on the merged timeline of every kiosk (times on the server's clock).

At the entrance there are no exits: a second ``ok`` check-in of one person on one day is
a double entry (a kiosk gives ``already_checked_in`` to a repeat it knows of, so two
``ok``s mean two kiosks that had not synced). In a room, an ``ok`` entry while the person
is inside (from another kiosk, or with no exit between) is one; entering again after an
exit is not. Pure functions; ``admin.queries.stats`` feeds them the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Movement:
    at: datetime
    kiosk_id: str
    direction: str | None  # None at the entrance
    result: str


@dataclass(frozen=True, slots=True)
class DoubleEntry:
    first_at: datetime  # the admission the person was still inside on
    first_kiosk: str
    at: datetime  # the admission made while inside
    kiosk_id: str


def double_entries(movements: Iterable[Movement], entrance: bool) -> list[DoubleEntry]:
    """The double entries in one person's movements at one place (entrance: one day)."""
    out: list[DoubleEntry] = []
    inside: Movement | None = None
    for m in sorted(movements, key=lambda m: (m.at, m.kiosk_id)):
        if m.direction == "out" and not entrance:
            inside = None
            continue
        if m.result != "ok":
            continue  # already_checked_in: the kiosk knew, and let them through once
        if inside is not None:
            out.append(DoubleEntry(inside.at, inside.kiosk_id, m.at, m.kiosk_id))
        else:
            inside = m
    return out
