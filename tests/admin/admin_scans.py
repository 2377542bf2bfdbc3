"""Making scan records the way a kiosk does."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sync.scans import ScanRecord, new_scan_id


def scan(event_id: int, attendee_id: int | None, at: datetime, *, kiosk: str = "kiosk-1",
         session_id: int | None = None, direction: str | None = None, result: str = "ok",
         admitted: bool = True, **extra: Any) -> ScanRecord:
    return ScanRecord(
        id=extra.pop("id", new_scan_id()), kiosk_id=kiosk, event_id=event_id,
        attendee_id=attendee_id, badge_revision=1, session_id=session_id, direction=direction,
        result=result, admitted=admitted, source="camera", wall_time=at,
        monotonic_ns=1_000_000, boot_id="boot-1", **extra)
