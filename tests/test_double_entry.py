"""Double entries (admin.double_entry, issue 16): flagged exactly when an admission
overlaps an open stay on the merged timeline; never for enter/leave/enter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from admin.double_entry import DoubleEntry, Movement, double_entries

T0 = datetime(2026, 6, 16, 9, 0, tzinfo=UTC)


def _moves(steps: list[tuple[int, str, str]]) -> list[Movement]:
    return [Movement(T0 + timedelta(minutes=m), kiosk, d, "ok") for m, kiosk, d in steps]


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 12), gaps=st.lists(st.integers(1, 60), min_size=24, max_size=24))
def test_entering_again_after_leaving_from_one_kiosk_is_never_a_double(n, gaps):
    steps, t = [], 0
    for i in range(n):
        t += gaps[2 * i]
        steps.append((t, "sala", "in"))
        t += gaps[2 * i + 1]
        steps.append((t, "sala", "out"))
    assert double_entries(_moves(steps), entrance=False) == []


def _reference(moves: list[Movement]) -> int:
    """How many ``ok`` entries happen while an earlier entry has no exit yet (records of
    one kiosk at one instant being one entry)."""
    count, open_stay, last = 0, False, None
    for m in sorted(moves, key=lambda m: (m.at, m.kiosk_id)):
        if m.direction == "out":
            open_stay, last = False, None
        elif m.result == "ok" and (m.at, m.kiosk_id) != last:
            count += open_stay
            open_stay, last = True, (m.at, m.kiosk_id)
    return count


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.sampled_from(["sala-a", "sala-b"]),
                          st.sampled_from(["in", "out"]),
                          st.sampled_from(["ok", "ok", "already_checked_in"])), max_size=16))
def test_flagged_exactly_when_an_admission_overlaps_an_open_stay(steps):
    moves = [Movement(T0 + timedelta(minutes=m), k, d, r) for m, k, d, r in steps]
    found = double_entries(moves, entrance=False)
    assert len(found) == _reference(moves)
    for d in found:
        assert d.first_at <= d.at


def test_two_kiosks_that_had_not_synced_name_both():
    moves = _moves([(0, "wejscie-a", None), (3, "wejscie-b", None)])
    [d] = double_entries(moves, entrance=True)
    assert (d.first_kiosk, d.kiosk_id, d.at - d.first_at) == ("wejscie-a", "wejscie-b",
                                                           timedelta(minutes=3))
    # A repeat the kiosk recognised is not one.
    moves.append(Movement(T0 + timedelta(minutes=5), "wejscie-a", None, "already_checked_in"))
    assert len(double_entries(moves, entrance=True)) == 1


def test_records_of_one_instant_at_one_kiosk_are_one_admission() -> None:
    """Three ``ok`` records of one kiosk at one instant (one admission stored under three
    scan ids) are not double entries of each other; a second kiosk's at that instant is."""
    at = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)
    same = [Movement(at, "kiosk-1", None, "ok") for _ in range(3)]
    assert double_entries(same, entrance=True) == []
    other = Movement(at, "kiosk-2", None, "ok")
    assert double_entries([*same, other], entrance=True) == [
        DoubleEntry(at, "kiosk-1", at, "kiosk-2")]
