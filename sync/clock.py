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


# -- keeping the best anchor, re-checked against later samples -------------------------------

MAX_DELAY = timedelta(minutes=2)
"""No request a kiosk sends takes longer on the way (its own timeouts are shorter)."""
DRIFT = 200e-6
"""A crystal clock drifts by well under 200 ppm (a Pi's by about 50 ppm)."""
DISPUTES_TO_REANCHOR = 3
"""Samples in a row that agree with each other and not with the anchor replace it."""


@dataclass(frozen=True, slots=True)
class AnchorState:
    """A boot's anchor with the samples that disagree with it so far."""

    anchor: Anchor
    disputes: int = 0
    challenger: Anchor | None = None
    reanchored_ms: int = 0  # how far the last re-anchoring moved the boot's times


def lag(anchor: Anchor) -> float:
    """Server time minus the kiosk's monotonic time: the clock offset plus the request's
    delay on the way. Of two honest anchors of one boot, the smaller lag is the truer one."""
    return anchor.server_time.timestamp() - anchor.monotonic_ns / 1e9


def agree(a: Anchor, b: Anchor) -> bool:
    """Whether two samples of one boot can both be true: their lags differ by no more than
    a request's delay plus the clocks' drift over the time between them."""
    elapsed = abs((b.server_time - a.server_time).total_seconds())
    return abs(lag(a) - lag(b)) <= MAX_DELAY.total_seconds() + DRIFT * elapsed


def reconcile(state: AnchorState | None, sample: Anchor) -> AnchorState:
    """The boot's anchor after ``sample``.

    A sample that agrees with the anchor replaces it when its lag is smaller (a faster
    request). One that does not is a dispute: it never wins alone, so one bad sample
    cannot move a boot's scans; :data:`DISPUTES_TO_REANCHOR` disputing samples in a row
    that agree with each other show the anchor itself was wrong, and the best of them
    becomes the anchor.
    """
    if state is None:
        return AnchorState(sample)
    if agree(state.anchor, sample):
        best = sample if lag(sample) < lag(state.anchor) else state.anchor
        return AnchorState(best, reanchored_ms=state.reanchored_ms)
    challenger = state.challenger
    if challenger is not None and agree(challenger, sample):
        disputes = state.disputes + 1
        challenger = sample if lag(sample) < lag(challenger) else challenger
    else:
        disputes, challenger = 1, sample
    if disputes >= DISPUTES_TO_REANCHOR:
        moved = round((lag(challenger) - lag(state.anchor)) * 1000)
        return AnchorState(challenger, reanchored_ms=moved)
    return AnchorState(state.anchor, disputes, challenger, state.reanchored_ms)
