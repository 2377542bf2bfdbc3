"""Every result code, in entrance and room mode, through the real store and service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support import EVENT_ID, NOW, token_for

from bramka.config import KioskSettings
from kiosk.checkin import CheckinService, KioskNotReady
from kiosk.events import EventBus
from kiosk.store import open_store
from sync import token as tokens


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def service(store, clock=None, **kiosk):
    cfg = KioskSettings(**kiosk)
    return CheckinService(store, cfg, bus=EventBus(), clock=clock or Clock())


# -- entrance ---------------------------------------------------------------------------------


def test_entrance_first_scan_is_ok_and_prints(store, event_key):
    out = service(store).scan(token_for(event_key, 1))
    assert (out.scan.result, out.scan.admitted, out.decision.print_badge) == ("ok", True, True)
    assert out.message.pl.title == "Witaj, Anna Kowalska"
    assert out.scan.attendee_id == 1 and out.scan.session_id is None


def test_entrance_repeat_same_day_readmits_and_says_when(store, event_key):
    clock = Clock()
    svc = service(store, clock)
    svc.scan(token_for(event_key, 1))
    clock.now = NOW + timedelta(hours=2, minutes=5)
    again = svc.scan(token_for(event_key, 1))
    assert (again.scan.result, again.scan.admitted) == ("already_checked_in", True)
    assert not again.decision.print_badge
    assert again.decision.first_seen_at == NOW
    assert "10:00" in again.message.pl.detail  # 08:00 UTC is 10:00 in Warsaw in June


def test_entrance_next_day_is_a_new_check_in(store, event_key):
    clock = Clock()
    svc = service(store, clock)
    svc.scan(token_for(event_key, 1))
    clock.now = NOW + timedelta(days=1)
    assert svc.scan(token_for(event_key, 1)).scan.result == "ok"


def test_day_boundary_is_local_time(store, event_key):
    # 21:30 UTC on the 16th is 23:30 in Warsaw; 22:30 UTC is already the 17th there.
    clock = Clock(NOW.replace(hour=21, minute=30))
    svc = service(store, clock)
    svc.scan(token_for(event_key, 1))
    clock.now = NOW.replace(hour=22, minute=30)
    assert svc.scan(token_for(event_key, 1)).scan.result == "ok"


def test_revoked_old_badge_revision(store, event_key):
    out = service(store).scan(token_for(event_key, 2, revision=1))
    assert (out.scan.result, out.scan.admitted) == ("revoked", False)
    assert out.message.tone == "error"
    assert service(store).scan(token_for(event_key, 2, revision=2)).scan.result == "ok"


def test_newer_revision_than_roster_is_accepted(store, event_key):
    # The help desk replaced the badge after this kiosk's last sync: the signature is proof.
    assert service(store).scan(token_for(event_key, 1, revision=2)).scan.result == "ok"


def test_blocked_cancelled_registration(store, event_key):
    out = service(store).scan(token_for(event_key, 3))
    assert (out.scan.result, out.scan.admitted) == ("blocked", False)


@pytest.mark.parametrize("admit", [False, True])
def test_unknown_person_admitted_per_config(store, event_key, admit):
    out = service(store, admit_unknown=admit).scan(token_for(event_key, 999))
    assert (out.scan.result, out.scan.admitted) == ("unknown", admit)
    assert out.message.tone == ("warn" if admit else "error")


def test_signed_badge_beyond_the_admins_id_range_is_invalid_not_a_crash(store, event_key):
    # The token format has room for 32-bit unsigned ids; the admin gives out 31-bit ones,
    # and a scan record (the sync contract) holds only those.
    out = service(store, admit_unknown=True).scan(token_for(event_key, 2**31))
    assert (out.scan.result, out.scan.admitted, out.scan.attendee_id) == ("invalid", False, None)
    assert store.reader.outbox_size() == 1


def test_a_code_carrying_nul_is_recorded_as_invalid_not_a_kiosk_error(store, event_key):
    out = service(store).scan("ABC\x00DEF")
    assert (out.scan.result, out.scan.raw) == ("invalid", "ABC\ufffdDEF")
    assert store.reader.outbox_batch(5) == [out.scan]


def test_invalid_forged_and_garbage(store, event_key):
    svc = service(store)
    forged = tokens.issue(tokens.generate_key(), EVENT_ID, 1)
    for text in (forged, "https://example.com/", "", "Ł" * 500):
        out = svc.scan(text)
        assert (out.scan.result, out.scan.admitted) == ("invalid", False)
        assert out.scan.raw == text[:256]
        assert out.scan.attendee_id is None


def test_wrong_event(store, event_key):
    out = service(store).scan(token_for(event_key, 1, event_id=EVENT_ID + 1))
    assert out.scan.result == "wrong_event" and not out.scan.admitted


def test_not_ready_without_roster(tmp_path, event_key):
    empty = open_store(tmp_path / "empty")
    try:
        svc = service(empty)
        with pytest.raises(KioskNotReady):
            svc.scan(token_for(event_key, 1))
        assert svc.handle_code(token_for(event_key, 1)) is None  # shown, never raised
        assert empty.reader.count_scans() == 0
    finally:
        empty.close()


def test_by_hand(store):
    out = service(store).checkin_by_hand(4)
    assert (out.scan.result, out.scan.source, out.scan.badge_revision) == ("ok", "manual", 1)
    assert service(store).checkin_by_hand(3).scan.result == "blocked"
    assert service(store).checkin_by_hand(12345).scan.result == "unknown"


# -- room -------------------------------------------------------------------------------------


def room(store, clock=None, **kw):
    return service(store, clock, mode="room", room="Sala 101", **kw)


def test_room_entry_needs_registration(store, event_key):
    svc = room(store)
    ok = svc.scan(token_for(event_key, 1))
    assert (ok.scan.result, ok.scan.direction, ok.scan.session_id) == ("ok", "in", 10)
    refused = svc.scan(token_for(event_key, 2, revision=2))
    assert (refused.scan.result, refused.scan.admitted) == ("not_registered", False)


def test_room_capacity_full_then_exit_frees_a_seat(store, event_key):
    clock = Clock()
    svc = room(store, clock)
    assert svc.scan(token_for(event_key, 1)).scan.result == "ok"
    assert svc.scan(token_for(event_key, 4)).scan.result == "ok"
    full = svc.scan(token_for(event_key, 5))
    assert (full.scan.result, full.decision.occupancy) == ("full", 2)
    clock.now = NOW + timedelta(minutes=10)
    out = svc.scan(token_for(event_key, 1))
    assert (out.scan.result, out.scan.direction, out.decision.occupancy) == ("ok", "out", 1)
    assert out.message.pl.title.startswith("Do zobaczenia")
    assert svc.scan(token_for(event_key, 5)).scan.result == "ok"
    assert store.reader.occupancy(10) == 2


def test_room_quick_repeat_is_not_an_exit(store, event_key):
    clock = Clock()
    svc = room(store, clock)
    svc.scan(token_for(event_key, 1))
    clock.now = NOW + timedelta(seconds=20)
    again = svc.scan(token_for(event_key, 1))
    assert (again.scan.result, again.scan.direction) == ("already_checked_in", None)
    assert store.reader.occupancy(10) == 1


def test_room_direction_in_never_exits(store, event_key):
    clock = Clock()
    svc = room(store, clock, direction="in")
    svc.scan(token_for(event_key, 1))
    clock.now = NOW + timedelta(minutes=30)
    assert svc.scan(token_for(event_key, 1)).scan.result == "already_checked_in"


def test_room_direction_out_kiosk(store, event_key):
    svc_in, svc_out = room(store, direction="in"), room(store, direction="out")
    svc_in.scan(token_for(event_key, 1))
    out = svc_out.scan(token_for(event_key, 1))
    assert (out.scan.result, out.scan.direction) == ("ok", "out")
    assert store.reader.occupancy(10) == 0


def test_room_not_open_names_the_next_session(store, event_key):
    clock = Clock(NOW + timedelta(hours=1, minutes=30))  # between the two workshops
    out = room(store, clock).scan(token_for(event_key, 1))
    assert (out.scan.result, out.scan.admitted) == ("not_open", False)
    assert out.decision.next_session is not None and out.decision.next_session.id == 11
    assert "13:00" in out.message.pl.detail


def test_room_opens_before_start(store, event_key):
    # 20 minutes before the 2nd workshop, inside the default 30-minute opening window;
    # Anna is not registered there.
    clock = Clock(NOW + timedelta(hours=2, minutes=40))
    assert room(store, clock).scan(token_for(event_key, 1)).scan.result == "not_registered"


def test_room_manual_override(store, event_key):
    clock = Clock(NOW + timedelta(hours=1, minutes=30))
    svc = room(store, clock)
    svc.set_session_override(20)
    out = svc.scan(token_for(event_key, 2, revision=2))
    assert (out.scan.result, out.scan.session_id) == ("ok", 20)
    svc.set_session_override(None)
    assert svc.scan(token_for(event_key, 4)).scan.result == "not_open"
    with pytest.raises(ValueError):
        svc.set_session_override(999)


def test_room_rules_still_refuse_bad_badges(store, event_key):
    svc = room(store)
    assert svc.scan(token_for(event_key, 3)).scan.result == "blocked"
    assert svc.scan(token_for(event_key, 2, revision=1)).scan.result == "revoked"


def test_every_result_code_is_reachable(store, event_key):
    from sync.scans import RESULT_CODES

    seen = {r[0] for r in store.reader.db.execute("SELECT DISTINCT result FROM scans")}
    assert seen == set()  # fresh store
    clock = Clock()
    ent, rm = service(store, clock), room(store, clock)
    ent.scan(token_for(event_key, 1))
    ent.scan(token_for(event_key, 1))
    ent.scan(token_for(event_key, 2, revision=1))
    ent.scan(token_for(event_key, 3))
    ent.scan(token_for(event_key, 77))
    ent.scan("XYZ")
    ent.scan(token_for(event_key, 1, event_id=99))
    rm.scan(token_for(event_key, 2, revision=2))
    rm.scan(token_for(event_key, 1))
    rm.scan(token_for(event_key, 4))
    rm.scan(token_for(event_key, 5))
    clock.now = NOW + timedelta(hours=1, minutes=30)
    rm.scan(token_for(event_key, 5))
    seen = {r[0] for r in store.reader.db.execute("SELECT DISTINCT result FROM scans")}
    assert seen == set(RESULT_CODES)


def test_results_reach_the_event_bus_after_commit(store, event_key):
    svc = service(store)
    sub = svc.bus.subscribe()
    out = svc.scan(token_for(event_key, 1))
    kind, data = sub.queue.get(timeout=1)
    assert kind == "scan" and data["scan_id"] == out.scan.id and data["name"] == "Anna Kowalska"
    assert data["title"]["en"] == "Welcome, Anna Kowalska" and data["icon"] == "✓"
    assert store.reader.scan_exists(out.scan.id)


def test_the_entrance_admits_nobody_outside_the_events_dates(store, event_key, settings):
    """The admin would hold such a check-in as "outside_event" (sync.rules), so the kiosk
    does not admit or print: the day before the congress is a setup day, not attendance."""
    from datetime import timedelta

    from support import NOW, token_for

    from kiosk.checkin import CheckinService
    from kiosk.events import EventBus

    svc = CheckinService(store, settings.kiosk, bus=EventBus(),
                         clock=lambda: NOW - timedelta(days=1))
    out = svc.scan(token_for(event_key, 1))
    assert (out.scan.result, out.scan.admitted, out.decision.print_badge) == (
        "not_open", False, False)
    assert out.message.pl.title == "Dziś nie ma wydarzenia"
    svc.clock = lambda: NOW
    assert svc.scan(token_for(event_key, 1)).scan.admitted
