"""Value bounds shared by the wire models: what every column on both sides can hold.

Pydantic checks these while it parses (in Rust, at no measurable cost), so a kiosk never
builds a record the admin would refuse, the OpenAPI document states the limits, and the
admin turns anything outside them into a 400 instead of a database error (PostgreSQL's
``integer`` is 32 bits and refuses NUL in text; datetime arithmetic overflows near year 1
and 9999). Found by schema-driven fuzzing (``tests/admin/test_sync_fuzz.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

INT32_MAX = 2**31 - 1  # ids, revisions and counters (PostgreSQL integer)
INT64_MAX = 2**63 - 1  # bigint
UPTIME_MAX_NS = 5 * 366 * 24 * 3600 * 10**9
"""A monotonic reading beyond five years of uptime is no kiosk's clock: refused (issue 10).
A kiosk is a Raspberry Pi that reboots for every event; 2**63 - 1 would otherwise win the
lowest-delay clock anchor for good and move a whole boot's scans to 1734."""
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=2)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)

Id = Annotated[int, Field(ge=0, le=INT32_MAX)]
Count = Annotated[int, Field(ge=0, le=INT32_MAX)]
Nanoseconds = Annotated[int, Field(ge=0, le=UPTIME_MAX_NS)]
"""A monotonic clock reading: nanoseconds since the kiosk booted."""
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
"""Any text but NUL (PostgreSQL cannot store it)."""
Time = Annotated[AwareDatetime, Field(ge=EARLIEST, le=LATEST)]
"""An aware time that arithmetic of a few days either way cannot overflow."""


def time_in_range(value: datetime) -> bool:
    """Whether a computed time (e.g. a scan placed on the server's clock) fits :data:`Time`."""
    try:
        return EARLIEST <= value.astimezone(UTC) <= LATEST
    except OverflowError:
        return False


Role = Literal["participant", "speaker", "organizer", "press", "volunteer", "guest"]
"""The roles a person can have (roster, badge template): the same list on both sides."""
