"""Minutes present from entry and exit scans (admin.time_present, issue 10 item 4)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from admin.time_present import meets_rule, minutes_present

T0 = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)
moves = st.lists(st.tuples(st.integers(-120, 600).map(lambda m: T0 + timedelta(minutes=m)),
                           st.sampled_from(["in", "out"])), max_size=20)


@settings(max_examples=500, deadline=None)
@given(movements=moves, length=st.integers(0, 400))
def test_minutes_are_within_the_sessions_length(movements, length):
    p = minutes_present(movements, T0, T0 + timedelta(minutes=length))
    assert 0 <= p.seconds <= length * 60 and 0 <= p.minutes <= length


@settings(max_examples=500, deadline=None)
@given(movements=moves, first=st.integers(0, 240), second=st.integers(0, 240))
def test_minutes_are_additive_across_back_to_back_sessions(movements, first, second):
    """Presence over [a, c] is presence over [a, b] plus presence over [b, c]."""
    a, b = T0, T0 + timedelta(minutes=first)
    c = b + timedelta(minutes=second)
    whole = minutes_present(movements, a, c).seconds
    parts = minutes_present(movements, a, b).seconds + minutes_present(movements, b, c).seconds
    assert abs(whole - parts) < 1e-6


def test_an_entry_with_no_exit_closes_at_the_end_and_says_so():
    end = T0 + timedelta(hours=3)
    p = minutes_present([(T0 + timedelta(minutes=10), "in")], T0, end)
    assert (p.minutes, p.open_end) == (170, True)
    stays = [(10, "in"), (70, "out"), (80, "in"), (90, "in"), (100, "out"), (120, "out")]
    p = minutes_present([(T0 + timedelta(minutes=m), d) for m, d in stays], T0, end)
    assert (p.minutes, p.open_end) == (80, False)
    early = minutes_present([(T0 - timedelta(minutes=25), "in"), (T0 + timedelta(minutes=30),
                                                                  "out")], T0, end)
    assert early.minutes == 30  # before the start does not count


def test_the_rule_of_a_share_of_the_session():
    assert meets_rule(144, 180, 80) and not meets_rule(143, 180, 80)
    assert not meets_rule(0, 0, 0)


def test_event_day_by_the_quarter_hour_matches_the_calendar_across_clock_changes() -> None:
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from sync.timekeeping import event_day

    # Warsaw and New York change clocks on the hour, Lord Howe by half an hour; Kathmandu
    # is 5:45 ahead. Three days around the March changes, then around October's.
    for name in ("Europe/Warsaw", "America/New_York", "Australia/Lord_Howe",
                 "Asia/Kathmandu"):
        zone = ZoneInfo(name)
        for start in (datetime(2026, 3, 7, 0, 0, tzinfo=UTC),
                      datetime(2026, 3, 28, 0, 0, tzinfo=UTC),
                      datetime(2026, 10, 3, 0, 0, tzinfo=UTC),
                      datetime(2026, 10, 24, 0, 0, tzinfo=UTC)):
            for minutes in range(0, 3 * 24 * 60, 7):
                t = start + timedelta(minutes=minutes, seconds=13)
                assert event_day(name, t) == t.astimezone(zone).date(), (name, t)
