"""Scan records: append-only facts, made on a kiosk, uploaded as they are.

Each scan carries a client-made ``id`` so the server can store it once however
often it arrives. State (checked in, inside a room) is derived from scans.
"""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .bounds import Id, Nanoseconds, Text, Time

ResultCode = Literal[
    "ok",
    "already_checked_in",
    "not_registered",
    "full",
    "not_open",
    "revoked",
    "blocked",
    "unknown",
    "invalid",
    "wrong_event",
]
RESULT_CODES: tuple[str, ...] = ResultCode.__args__  # type: ignore[attr-defined]

Direction = Literal["in", "out"]
ScanSource = Literal["camera", "handheld", "manual", "self_service"]


RAW_LIMIT = 256  # characters of a scanned code kept with its scan


def storable_raw(text: str) -> str:
    """What of a scanned code a scan record keeps: the first :data:`RAW_LIMIT` characters,
    NUL (which a QR code may carry, and no database text can) shown as U+FFFD."""
    return text[:RAW_LIMIT].replace("\x00", "\ufffd")


def new_scan_id() -> str:
    """A client-made id: unique without coordination, safe to retry."""
    return uuid.uuid4().hex


class ScanRecord(BaseModel):
    """One scan as stored on the kiosk and sent to the admin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9a-f]{32}$")
    kiosk_id: Text = Field(min_length=1, max_length=64)
    event_id: Id | None = None
    attendee_id: Id | None = None
    badge_revision: Id | None = None
    session_id: Id | None = None
    direction: Direction | None = None
    result: ResultCode
    admitted: bool
    source: ScanSource = "camera"
    wall_time: Time
    monotonic_ns: Nanoseconds
    boot_id: Text = Field(max_length=64)
    raw: Text | None = Field(default=None, max_length=RAW_LIMIT)
    # The kiosk's hash chain (sync.chain): place in the kiosk's record, previous link, link.
    seq: Id | None = None
    prev: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    chain: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
