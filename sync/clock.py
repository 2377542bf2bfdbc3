"""Placing kiosk scans on the server's clock.

A Raspberry Pi has no real-time clock: booted offline, its wall time can be a day off.
Its monotonic clock is right within a boot, though. Each contact gives the admin an
*anchor*: the kiosk's monotonic reading when it sent the request, paired with the
server's time when it arrived (off by at most the one-way network delay). A scan from
the same boot is placed at ``anchor.server_time - (anchor.monotonic - scan.monotonic)``.
A scan from a boot the admin never heard from falls back to its wall time corrected by
the kiosk's current offset; ``Placed.estimated`` says so, and the admin keeps that flag
(``scans.time_estimated``) and shows such times as estimated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .scans import ScanRecord
from .wire import ClockSample


@dataclass(frozen=True, slots=True)
class Anchor:
    boot_id: str
    monotonic_ns: int
    server_time: datetime


@dataclass(frozen=True, slots=True)
class Placed:
    corrected_time: datetime
    estimated: bool  # True when no anchor of the scan's boot was known


def anchor_of(sample: ClockSample, received_at: datetime) -> Anchor:
    return Anchor(sample.boot_id, sample.monotonic_ns, received_at)


def wall_offset(sample: ClockSample, received_at: datetime) -> timedelta:
    """How far the kiosk's wall clock is behind (positive) or ahead of the server."""
    return received_at - sample.wall_time


def place(scan: ScanRecord, anchors: dict[str, Anchor], offset: timedelta) -> Placed:
    """The scan's time on the server's clock."""
    anchor = anchors.get(scan.boot_id)
    if anchor is not None:
        # Both readings cut to microseconds first, so that order within a boot is exactly
        # the order of the scans' own (microsecond) readings.
        delta = timedelta(microseconds=anchor.monotonic_ns // 1000 - scan.monotonic_ns // 1000)
        return Placed(anchor.server_time - delta, False)
    return Placed(scan.wall_time + offset, True)
