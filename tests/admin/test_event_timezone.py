"""One event day on both sides: an event in New York counts its days in New York.

A scan at 23:30 UTC on 16 June is 19:30 that day in New York but already the 17th in
Warsaw; the kiosk's entrance and the admin's presence, counts and pages must all say 16.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from admin_fixtures import add_person
from flask import Flask, render_template_string
from sqlalchemy import Engine, select

from admin.forms import parse_local_datetime
from admin.i18n import local
from admin.queries import events as q_events
from admin.queries.stats import dashboard_data
from admin.roster_export import build_snapshot
from admin.scan_trust import event_facts
from admin.scans import ENTRANCE, record_scans
from admin.schema import presence
from bramka.config import KioskSettings
from kiosk.checkin import CheckinService
from kiosk.events import EventBus
from kiosk.store import open_store
from sync.timekeeping import DEFAULT_TIMEZONE, event_day

NEW_YORK = "America/New_York"
LATE_16 = datetime(2026, 6, 16, 23, 30, tzinfo=UTC)   # NY 19:30 on the 16th; Warsaw 01:30, 17th
EARLY_17 = datetime(2026, 6, 17, 4, 30, tzinfo=UTC)   # NY 00:30 on the 17th; Warsaw 06:30, 17th
LAST_NIGHT = datetime(2026, 6, 18, 2, 0, tzinfo=UTC)  # NY 22:00 on the 17th; Warsaw the 18th


def _event(engine: Engine, timezone: str) -> tuple[int, int, str]:
    with engine.begin() as conn:
        event_id = q_events.create_event(conn, "Congress in New York", date(2026, 6, 15),
                                         date(2026, 6, 17), timezone=timezone)
    anna = add_person(engine, event_id, "Anna", "Kowalska")
    with engine.connect() as conn:
        return event_id, anna, q_events.issue_token(conn, event_id, anna, 1)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_the_day_of_an_instant_is_the_events_own() -> None:
    assert event_day(NEW_YORK, LATE_16) == date(2026, 6, 16)
    assert event_day(DEFAULT_TIMEZONE, LATE_16) == date(2026, 6, 17)
    assert event_day({"timezone": "Asia/Tokyo"}, datetime(2026, 6, 16, 15, 0, tzinfo=UTC)) \
        == date(2026, 6, 17)
    assert event_day(None, LATE_16) == event_day("No/Such_Zone", LATE_16) == date(2026, 6, 17)


def test_kiosk_entrance_and_admin_presence_agree_on_the_events_day(engine: Engine,
                                                                   tmp_path: Any) -> None:
    event_id, anna, badge = _event(engine, NEW_YORK)
    with engine.connect() as conn:
        snapshot = build_snapshot(conn, event_id)
    assert snapshot.event.timezone == NEW_YORK
    store = open_store(tmp_path / "kiosk")
    try:
        store.apply_roster(snapshot)
        clock = Clock(LATE_16)
        kiosk = CheckinService(store, KioskSettings(), bus=EventBus(), clock=clock)
        outcomes = []
        for now in (LATE_16, EARLY_17, LAST_NIGHT):
            clock.now = now
            outcomes.append(kiosk.scan(badge))
    finally:
        store.close()
    # In Warsaw's days the second would repeat the 17th and the third fall after the event.
    assert [(o.scan.result, o.scan.admitted) for o in outcomes] == [
        ("ok", True), ("ok", True), ("already_checked_in", True)]

    with engine.begin() as conn:
        assert record_scans(conn, [o.scan for o in outcomes]) == 3
    with engine.connect() as conn:
        rows = conn.execute(select(presence.c.day, presence.c.admits).where(
            presence.c.event_id == event_id, presence.c.person_id == anna,
            presence.c.session_id == ENTRANCE).order_by(presence.c.day)).all()
        facts = event_facts(conn, event_id)
        counts = dashboard_data(conn, event_id, LAST_NIGHT)["per_day"]
    assert [(r.day, r.admits) for r in rows] == [(date(2026, 6, 16), 1), (date(2026, 6, 17), 1)]
    assert counts == [{"day": "2026-06-16", "checked_in": 1},
                      {"day": "2026-06-17", "checked_in": 1}]
    # The admin's judge of uploads places the last scan on the event's last day too.
    assert facts is not None and facts.local_day(LAST_NIGHT) == date(2026, 6, 17)


def test_the_running_event_is_found_by_its_own_day(engine: Engine) -> None:
    event_id, _, _ = _event(engine, NEW_YORK)
    with engine.begin() as conn:
        later = q_events.create_event(conn, "Kongres w Krakowie", date(2026, 6, 20),
                                      date(2026, 6, 21))
        # Past midnight in Warsaw, still the 17th in New York: the NY event is running.
        assert q_events.current_event_id(conn, LAST_NIGHT) == event_id
        assert q_events.current_event_id(conn, LAST_NIGHT + timedelta(hours=5)) == later


def test_times_are_shown_and_read_in_the_events_zone(app: Flask) -> None:
    tokyo = {"timezone": "Asia/Tokyo"}
    nine_in_tokyo = datetime(2026, 6, 16, 0, 0, tzinfo=UTC)
    assert local(nine_in_tokyo, "%d %H:%M", tokyo) == "16 09:00"
    assert local(nine_in_tokyo, "%d %H:%M") == "16 02:00"  # no event: the default zone
    assert parse_local_datetime("2026-06-16T09:00", "Start", "Asia/Tokyo") == nine_in_tokyo
    assert parse_local_datetime("2026-06-16T02:00", "Start") == nine_in_tokyo
    with app.test_request_context():
        page = "{{ t|local('%H:%M') }} {{ t|local_input }}"
        assert render_template_string(page, t=nine_in_tokyo, event=tokyo) == \
            "09:00 2026-06-16T09:00"
        assert render_template_string(page, t=nine_in_tokyo) == "02:00 2026-06-16T02:00"
