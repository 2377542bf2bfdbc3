"""A boot's stored scans placed again when later clock samples replace its anchor
(admin.replace_times), through the sync API: times move, and so do presence and totals."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from admin_fixtures import add_person, make_event, span_today
from flask import Flask
from sqlalchemy import Engine, select

from admin.queries import sync as q_sync
from admin.scans import read_counts
from admin.schema import presence, scans
from admin.sync_api import hash_token
from sync.scans import ScanRecord, new_scan_id
from sync.wire import BASE_PATH, ClockSample, Health, Heartbeat, ScanBatch

HOUR_NS = 3600 * 10**9
BASE_NS = 10_000 * 10**9


def _kiosk(engine: Engine, event_id: int) -> tuple[str, str]:
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event_id, "Wejście A", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
        assert q_sync.use_enrollment(conn, code, hash_token("tok-" + kiosk_id),
                                     datetime.now(UTC)) is not None
    return kiosk_id, "tok-" + kiosk_id


def _post(app: Flask, token: str, path: str, body: Any) -> Any:
    resp = app.test_client().post(BASE_PATH + path, data=body.model_dump_json(),
                                  headers={"Authorization": f"Bearer {token}",
                                           "Content-Type": "application/json"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()


def _clock(mono_ns: int) -> ClockSample:
    return ClockSample(boot_id="boot-1", monotonic_ns=mono_ns, wall_time=datetime.now(UTC))


def test_a_replaced_anchor_moves_the_boots_scans_and_what_rests_on_them(
        app: Flask, engine: Engine) -> None:
    ev = make_event(engine)
    span_today(engine, ev["id"])
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    kiosk_id, token = _kiosk(engine, ev["id"])
    # The boot's first sample anchors it; a scan a minute before that sample is placed by it.
    t0 = time.monotonic()
    _post(app, token, "/heartbeat", Heartbeat(clock=_clock(BASE_NS), health=Health()))
    record = ScanRecord(id=new_scan_id(), kiosk_id=kiosk_id, event_id=ev["id"],
                        attendee_id=anna, badge_revision=1, result="ok", admitted=True,
                        source="camera", wall_time=datetime.now(UTC),
                        monotonic_ns=BASE_NS - 60 * 10**9, boot_id="boot-1", raw=None)
    _post(app, token, "/scans", ScanBatch(clock=_clock(BASE_NS), scans=[record]))
    with engine.connect() as conn:
        before = conn.execute(select(scans.c.scan_time)).scalar_one()
        counts_before = read_counts(conn, ev["id"])
    # Later samples agree with each other and not with the first: the first was an hour
    # off (its boot's monotonic clock said an hour less than it should have).
    for _ in range(3):
        mono = BASE_NS + HOUR_NS + int((time.monotonic() - t0) * 1e9)
        _post(app, token, "/heartbeat", Heartbeat(clock=_clock(mono), health=Health()))
    with engine.connect() as conn:
        after = conn.execute(select(scans.c.scan_time)).scalar_one()
        first_in = conn.execute(select(presence.c.first_in).where(
            presence.c.person_id == anna)).scalar_one()
        counts_after = read_counts(conn, ev["id"])
        reanchored = q_sync.reanchored_boots(conn, kiosk_id)
    moved = before - after
    assert abs(moved - timedelta(hours=1)) < timedelta(seconds=5), moved
    assert first_in == after  # presence follows the scan
    assert [b["boot_id"] for b in reanchored] == ["boot-1"]
    # The totals still count one visitor and one check-in, now in the earlier bucket.
    assert counts_after["visitors"] == counts_before["visitors"] == {0: 1}
    assert sum(counts_after["day"].values()) == 1
    assert sum(counts_after["bucket"].values()) == 1
    assert counts_after["bucket"] != counts_before["bucket"]
