"""Debouncer: a code held in view counts once; again only after the window out of view."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.scanner.loop import Debouncer


def test_held_code_counts_once() -> None:
    debouncer = Debouncer(3.0)
    reports = [debouncer.should_report("A", 10.0 + i / 30) for i in range(300)]  # 10 s in view
    assert reports.count(True) == 1 and reports[0]


def test_counts_again_after_the_window_out_of_view() -> None:
    debouncer = Debouncer(3.0)
    assert debouncer.should_report("A", 0.0)
    assert not debouncer.should_report("A", 2.9)
    assert not debouncer.should_report("A", 5.8)  # 2.9 s since last seen, not since first
    assert debouncer.should_report("A", 8.8)  # 3.0 s out of view


def test_codes_are_independent() -> None:
    debouncer = Debouncer(3.0)
    assert debouncer.should_report("A", 0.0)
    assert debouncer.should_report("B", 0.1)
    assert not debouncer.should_report("A", 0.2)
    assert not debouncer.should_report("B", 0.3)


def test_zero_window_reports_every_sighting() -> None:
    debouncer = Debouncer(0.0)
    assert all(debouncer.should_report("A", t / 10) for t in range(5))


def test_negative_window_is_refused() -> None:
    with pytest.raises(ValueError):
        Debouncer(-1.0)


def test_memory_stays_bounded_with_many_codes() -> None:
    debouncer = Debouncer(1.0)
    for i in range(10_000):
        debouncer.should_report(f"code-{i}", i * 0.5)
    assert len(debouncer) <= 70


sightings = st.lists(
    st.tuples(st.integers(0, 80), st.floats(0.0, 5.0, allow_nan=False)), max_size=300
)


@given(window=st.floats(0.0, 4.0, allow_nan=False), events=sightings)
def test_matches_the_rule_on_any_sequence(window: float, events: list[tuple[int, float]]) -> None:
    """Reference model: report iff never seen, or last seen at least ``window`` ago."""
    debouncer = Debouncer(window)
    last_seen: dict[str, float] = {}
    now = 0.0
    for code, gap in events:
        now += gap
        text = f"T{code}"
        expected = text not in last_seen or now - last_seen[text] >= window
        last_seen[text] = now
        assert debouncer.should_report(text, now) == expected
