"""Room kiosks at a real venue: back-to-back sessions, staff check-ins, replaced badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support import EVENT_ID, token_for

from bramka.config import KioskSettings
from kiosk.checkin import CheckinService
from kiosk.events import EventBus
from kiosk.store import open_store
from sync.roster import Registration, Session

NINE = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)  # 09:00 in Warsaw
HOUR = timedelta(hours=1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def back_to_back(tmp_path, roster):
    """Sala 202: A 09:00-10:00 (no registration), B 10:00-11:00 (registration: Anna)."""
    snapshot = roster.model_copy(update={
        "sessions": [*roster.sessions,
                     Session(id=30, title="A: panel", room="Sala 202",
                             starts_at=NINE, ends_at=NINE + HOUR),
                     Session(id=31, title="B: warsztat", room="Sala 202",
                             starts_at=NINE + HOUR, ends_at=NINE + 2 * HOUR, capacity=20,
                             registration_required=True)],
        "registrations": [*roster.registrations, Registration(session_id=31, attendee_id=1)],
    })
    store = open_store(tmp_path / "k")
    store.apply_roster(snapshot)
    yield store
    store.close()


def room(store, clock, **kw):
    return CheckinService(store, KioskSettings(mode="room", room="Sala 202", **kw),
                          bus=EventBus(), clock=clock)


def test_leaving_after_the_session_ended_is_an_exit_from_it(back_to_back, event_key):
    clock = Clock(NINE + timedelta(minutes=5))
    svc = room(back_to_back, clock)
    assert svc.scan(token_for(event_key, 4)).scan.session_id == 30  # Paweł enters A
    clock.now = NINE + HOUR + timedelta(minutes=2)  # A is over, B running
    out = svc.scan(token_for(event_key, 4))
    assert (out.scan.result, out.scan.direction, out.scan.session_id) == ("ok", "out", 30)
    assert back_to_back.reader.occupancy(30) == 0 and back_to_back.reader.occupancy(31) == 0


def test_arriving_early_for_the_next_session_counts_there(back_to_back, event_key):
    clock = Clock(NINE + timedelta(minutes=45))  # A runs until 10:00, B opens at 09:30
    svc = room(back_to_back, clock)
    anna = svc.scan(token_for(event_key, 1))  # registered for B
    assert (anna.scan.result, anna.scan.session_id) == ("ok", 31)
    clock.now = NINE + timedelta(minutes=50)  # last 10 minutes of A: B has taken over
    pawel = svc.scan(token_for(event_key, 4))  # not registered for B
    assert (pawel.scan.result, pawel.scan.session_id) == ("not_registered", 31)


def test_a_latecomer_still_joins_the_running_session(back_to_back, event_key):
    clock = Clock(NINE + timedelta(minutes=35))  # B open for entries, A has 25 min left
    out = room(back_to_back, clock).scan(token_for(event_key, 4))
    assert (out.scan.result, out.scan.session_id) == ("ok", 30)


def test_staff_check_in_of_someone_inside_is_never_an_exit(back_to_back, event_key):
    clock = Clock(NINE + timedelta(minutes=5))
    svc = room(back_to_back, clock)
    svc.scan(token_for(event_key, 4))
    clock.now = NINE + timedelta(minutes=30)
    out = svc.checkin_by_hand(4)
    assert (out.scan.result, out.scan.direction) == ("already_checked_in", None)
    assert back_to_back.reader.occupancy(30) == 1


def test_exit_kiosk_records_an_exit_from_where_the_person_is(back_to_back, event_key):
    clock = Clock(NINE + timedelta(minutes=5))
    room(back_to_back, clock, direction="in").scan(token_for(event_key, 4))
    clock.now = NINE + HOUR + timedelta(minutes=10)
    out = room(back_to_back, clock, direction="out").scan(token_for(event_key, 4))
    assert (out.scan.direction, out.scan.session_id) == ("out", 30)


def test_a_replaced_badge_seen_here_revokes_the_old_one(store, event_key):
    svc = CheckinService(store, KioskSettings(), bus=EventBus(), clock=Clock(NINE))
    # The roster still says revision 1 for Anna, but the help desk issued revision 2.
    assert svc.scan(token_for(event_key, 1, revision=2)).scan.result == "ok"
    lost = svc.scan(token_for(event_key, 1, revision=1))
    assert (lost.scan.result, lost.scan.admitted) == ("revoked", False)


def test_not_open_names_the_day_of_the_next_session_or_says_closed(tmp_path, roster,
                                                                   event_key):
    store = open_store(tmp_path / "k")
    store.apply_roster(roster)
    try:
        late = Clock(datetime(2026, 6, 16, 20, 0, tzinfo=UTC))  # after every session
        closed = room_at(store, late, "Sala 101").scan(token_for(event_key, 1))
        assert closed.message.pl.title == "Sala zamknięta"
        assert closed.message.en.title == "This room is closed"
        early = Clock(datetime(2026, 6, 15, 18, 0, tzinfo=UTC))  # the evening before
        out = room_at(store, early, "Sala 101").scan(token_for(event_key, 1))
        assert "16.06 o 09:00" in out.message.pl.detail
        assert "on 16.06 at 09:00" in out.message.en.detail
    finally:
        store.close()


def room_at(store, clock, name):
    return CheckinService(store, KioskSettings(mode="room", room=name), bus=EventBus(),
                          clock=clock)


class BrokenQueue:
    def queue_badge(self, db, scan, decision):
        db.execute("INSERT INTO meta (key, value) VALUES ('half', 'written')")
        raise RuntimeError("printer layout exploded")


class NoCodeQueue:
    def queue_badge(self, db, scan, decision):
        return "no_code"


def test_a_failing_badge_step_never_loses_the_scan(store, event_key):
    svc = CheckinService(store, KioskSettings(), bus=EventBus(), clock=Clock(NINE))
    svc.badge_queue = BrokenQueue()
    out = svc.scan(token_for(event_key, 1))
    assert out.scan.result == "ok" and store.reader.scan_exists(out.scan.id)
    assert store.reader.get_meta("half") is None  # the failed step was rolled back alone
    assert out.message.pl.detail == "Identyfikator odbierzesz w punkcie informacyjnym."


def test_no_badge_promised_without_a_code(store, event_key):
    svc = CheckinService(store, KioskSettings(), bus=EventBus(), clock=Clock(NINE))
    svc.badge_queue = NoCodeQueue()
    out = svc.checkin_by_hand(4)
    assert out.message.en.detail == "Please collect your badge at the help desk."


def test_roster_loaded_by_another_process_is_announced(store, roster):
    svc = CheckinService(store, KioskSettings(), bus=EventBus(), clock=Clock(NINE))
    svc.checkin_by_hand(1)  # the service has read the event once
    sub = svc.bus.subscribe()
    other = open_store(store.path.parent)
    other.apply_roster(roster.model_copy(update={"cursor": "c2", "event": roster.event.model_copy(
        update={"name": "Nowa nazwa"})}))
    other.close()
    svc.checkin_by_hand(4)
    kinds = []
    while not sub.queue.empty():
        kinds.append(sub.queue.get_nowait()[0])
    assert "roster" in kinds


def test_unknown_timezone_is_refused(roster):
    from sync.roster import RosterError, parse_snapshot

    data = roster.model_dump(mode="json")
    data["event"]["timezone"] = "Europe/Warsw"
    with pytest.raises(RosterError, match="unknown time zone"):
        parse_snapshot(data)
    assert EVENT_ID == roster.event.id


def test_staff_mode_cannot_admit_into_a_session_that_takes_no_entries_now(back_to_back,
                                                                         event_key):
    """The session chosen in staff mode passes the same gate as at the help desk
    (sync.rules.session_entry): B opens at 09:30, so at 09:05 it is refused."""
    clock = Clock(NINE + timedelta(minutes=5))
    svc = room(back_to_back, clock)
    svc.set_session_override(31)
    out = svc.scan(token_for(event_key, 1))  # Anna, registered for B
    assert (out.scan.result, out.scan.admitted, out.scan.session_id) == ("not_open", False, 31)
    clock.now = NINE + timedelta(minutes=35)
    out = svc.scan(token_for(event_key, 1))
    assert (out.scan.result, out.scan.admitted, out.scan.direction) == ("ok", True, "in")


@pytest.mark.parametrize("minutes", range(-40, 200, 7))
@pytest.mark.parametrize("direction", ["toggle", "in", "out"])
def test_every_decision_a_room_kiosk_makes_is_one_the_admin_accepts(back_to_back, event_key,
                                                                    minutes, direction):
    """sync.rules.record_fault is the part of the admin's check a record can fail alone:
    no scan a kiosk builds fails it, whatever the time, person or direction."""
    from sync.rules import record_fault

    clock = Clock(NINE + timedelta(minutes=minutes))
    svc = room(back_to_back, clock, direction=direction)
    for person in (1, 2, 3, 4, 5, 1, 4):
        out = svc.scan(token_for(event_key, person))
        assert record_fault(out.scan) is None, out.scan
        clock.now += timedelta(seconds=90)
    assert record_fault(svc.scan("not a badge").scan) is None
