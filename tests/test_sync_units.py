"""Sync pieces that need no admin: clock placement, enrollment codes, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support import token_for

from bramka.config import KioskSettings
from kiosk.checkin import CheckinService
from kiosk.events import EventBus
from kiosk.sync_client import EnrollmentError, parse_enrollment_qr
from sync.clock import MAX_DELAY, Anchor, anchor_of, lag, place, reconcile, wall_offset
from sync.scans import ScanRecord, new_scan_id
from sync.wire import ClockSample

SERVER = datetime(2026, 6, 16, 10, 0, tzinfo=UTC)


def scan(boot: str, mono_s: float, wall: datetime) -> ScanRecord:
    return ScanRecord(id=new_scan_id(), kiosk_id="k", result="ok", admitted=True,
                      wall_time=wall, monotonic_ns=int(mono_s * 1e9), boot_id=boot)


def test_a_kiosk_a_day_wrong_still_gets_the_right_times():
    # Booted offline with its clock 24 h behind; scanned at monotonic 100 s and 400 s,
    # then reached the admin at monotonic 1000 s.
    wrong = SERVER - timedelta(days=1)
    sample = ClockSample(boot_id="b1", monotonic_ns=1000 * 10**9,
                         wall_time=wrong)
    anchors = {"b1": anchor_of(sample, SERVER)}
    offset = wall_offset(sample, SERVER)
    first = place(scan("b1", 100, wrong - timedelta(seconds=900)), anchors, offset)
    second = place(scan("b1", 400, wrong - timedelta(seconds=600)), anchors, offset)
    assert first.corrected_time == SERVER - timedelta(seconds=900) and not first.estimated
    assert second.corrected_time - first.corrected_time == timedelta(seconds=300)


def test_a_scan_from_an_unknown_boot_is_estimated_from_the_wall_clock():
    offset = timedelta(hours=2)
    placed = place(scan("old-boot", 5, SERVER - timedelta(hours=3)), {}, offset)
    assert placed.estimated and placed.corrected_time == SERVER - timedelta(hours=1)


@given(st.integers(0, 10**15), st.integers(0, 10**15))
@example(0, 1)  # found by Hypothesis: both within the same microsecond
def test_order_within_a_boot_is_the_monotonic_order(a, b):
    anchors = {"b": Anchor("b", 2 * 10**15, SERVER)}
    pa = place(scan("b", a / 1e9, SERVER), anchors, timedelta())
    pb = place(scan("b", b / 1e9, SERVER), anchors, timedelta())
    assert (pa.corrected_time < pb.corrected_time) == (a // 1000 < b // 1000)


@pytest.mark.parametrize(("text", "expected"), [
    ("BRAMKA-ENROLL:http://10.0.0.5:8000/#K7F3Q9XZ", ("http://10.0.0.5:8000/", "K7F3Q9XZ")),
    ("BRAMKA-ENROLL:https://admin.example/bramka#A#B", ("https://admin.example/bramka#A", "B")),
])
def test_enrollment_qr(text, expected):
    assert parse_enrollment_qr(text) == expected


@pytest.mark.parametrize("text", ["", "BRAMKA-ENROLL:", "BRAMKA-ENROLL:ftp://x#C",
                                  "BRAMKA-ENROLL:http://x#", "AEAAAA"])
def test_bad_enrollment_qr(text):
    with pytest.raises(EnrollmentError):
        parse_enrollment_qr(text)


def test_outbox_batches_in_order_and_marks_sent(store, event_key):
    svc = CheckinService(store, KioskSettings(), bus=EventBus())
    made = [svc.scan(token_for(event_key, i)).scan for i in (1, 4, 5, 1)]
    batch = store.reader.outbox_batch(3)
    assert [s.id for s in batch] == [s.id for s in made[:3]]
    assert batch[0] == made[0]  # the very record, round-tripped through SQLite
    assert store.mark_sent([made[0].id, made[1].id, "not-a-scan"]) == 2
    assert [s.id for s in store.reader.outbox_batch(10)] == [made[2].id, made[3].id]
    assert store.reader.count_scans() == 4  # sent scans stay, as facts


def test_wipe_roster_keeps_scans(store, event_key):
    svc = CheckinService(store, KioskSettings(), bus=EventBus())
    svc.scan(token_for(event_key, 1))
    store.set_meta("sync_token", "secret")
    store.wipe_roster()
    assert store.reader.roster_size() == 0 and store.reader.event() is None
    assert store.reader.get_meta("sync_token") is None and store.reader.count_scans() == 1


# -- clock anchors re-checked against later samples (sync.clock.reconcile) --------------------

_T0 = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)
_OFFSET_S = 1000.0  # the kiosk booted 1000 s before _T0


def _honest(at_s: float, delay_ms: int) -> Anchor:
    """A sample sent at ``at_s`` seconds after _T0 that took ``delay_ms`` on the way."""
    mono = round((at_s + _OFFSET_S) * 1e9)
    return Anchor("b", mono, _T0 + timedelta(seconds=at_s, milliseconds=delay_ms))


@settings(max_examples=300, deadline=None)
@given(delays=st.lists(st.integers(0, 5000), min_size=1, max_size=12),
       bad_at=st.integers(0, 11), bad_shift_s=st.floats(200, 1e7) | st.floats(-1e7, -200),
       )
def test_one_bad_sample_never_moves_the_anchor(delays, bad_at, bad_shift_s):
    true_lag = lag(Anchor("b", round(_OFFSET_S * 1e9), _T0))
    state = None
    for i, delay in enumerate(delays):
        sample = _honest(60.0 * i, delay)
        if i == bad_at % len(delays) and i > 0:
            sample = Anchor("b", sample.monotonic_ns + round(bad_shift_s * 1e9),
                            sample.server_time)
        state = reconcile(state, sample)
        assert 0 <= lag(state.anchor) - true_lag <= MAX_DELAY.total_seconds()
    assert state is not None and lag(state.anchor) - true_lag <= max(delays) / 1000 + 1e-6


@settings(max_examples=100, deadline=None)
@given(bad_shift_s=st.floats(200, 1e7) | st.floats(-1e7, -200),
       delays=st.lists(st.integers(0, 5000), min_size=3, max_size=8))
def test_a_wrong_first_anchor_is_replaced_by_later_samples_that_agree(bad_shift_s, delays):
    first = _honest(0, 0)
    state = reconcile(None, Anchor("b", first.monotonic_ns + round(bad_shift_s * 1e9),
                                   first.server_time))
    for i, delay in enumerate(delays, 1):
        state = reconcile(state, _honest(60.0 * i, delay))
    true_lag = lag(first)
    assert 0 <= lag(state.anchor) - true_lag <= MAX_DELAY.total_seconds()
    assert abs(state.reanchored_ms - bad_shift_s * 1000) < 6000
