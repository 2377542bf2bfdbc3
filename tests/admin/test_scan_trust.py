"""The admin trusts nothing a kiosk says that it can check (issue 10, items 1 and 2).

An enrolled kiosk uploads scans the way a hostile or broken one would. Each is refused
(a 4xx for what no protocol body may hold) or kept in quarantine with its reason, and
never becomes presence; the good scans of the same batch are stored.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from admin_fixtures import add_person, make_event
from sqlalchemy import func, select, update

from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.queries import sync as q_sync
from admin.scan_trust import quarantine_counts
from admin.schema import events, kiosk_clock, presence, scan_quarantine, scans
from admin.sync_api import hash_token
from sync.scans import new_scan_id
from sync.wire import BASE_PATH, PROTOCOL

BOOT = "boot-trust"


@pytest.fixture
def world(engine: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    ev = make_event(engine)
    other = {}
    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == ev["id"]).values(
            starts_on=now.date() - timedelta(days=1), ends_on=now.date() + timedelta(days=1)))
        ev["now_session"] = q_program.add_session(conn, ev["id"], {
            "title": "Trwa teraz", "kind": "session", "room_id": ev["sala"],
            "starts_at": now - timedelta(minutes=10), "ends_at": now + timedelta(hours=1),
            "capacity": None})
        ev["tomorrow"] = q_program.add_session(conn, ev["id"], {
            "title": "Jutro", "kind": "side_event", "room_id": ev["sala"],
            "starts_at": now + timedelta(days=1), "ends_at": now + timedelta(days=1, hours=2),
            "capacity": 20})
        other["id"] = q_events.create_event(conn, "Inny kongres", date(2026, 1, 1),
                                            date(2030, 1, 1))
        venue = q_program.add_venue(conn, other["id"], "Hala", "")
        room = q_program.add_room(conn, venue, "Sala B", 10)
        other["session"] = q_program.add_session(conn, other["id"], {
            "title": "Obca sesja", "kind": "session", "room_id": room,
            "starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(hours=1),
            "capacity": None})
        ev["kiosks"] = {}
        for name in ("A", "B"):
            kiosk_id = q_sync.create_kiosk(conn, ev["id"], f"Wejście {name}", "entrance", "")
            code = q_sync.new_enrollment(conn, kiosk_id)
            assert q_sync.use_enrollment(conn, code, hash_token(f"token-{name}"), now)
            ev["kiosks"][name] = kiosk_id
    ev["anna"] = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków")
    other["person"] = add_person(engine, other["id"], "Obcy", "Człowiek")
    ev["other"] = other
    return ev


def mono() -> int:
    return time.monotonic_ns()


def clock(**change: Any) -> dict[str, Any]:
    return {"boot_id": BOOT, "monotonic_ns": mono(),
            "wall_time": datetime.now(UTC).isoformat(), **change}


def scan_body(world: dict[str, Any], **change: Any) -> dict[str, Any]:
    body = {"id": new_scan_id(), "kiosk_id": world["kiosks"]["A"], "event_id": world["id"],
            "attendee_id": world["anna"], "badge_revision": 1, "session_id": None,
            "direction": None, "result": "ok", "admitted": True, "source": "camera",
            "wall_time": datetime.now(UTC).isoformat(), "monotonic_ns": mono() - 10**9,
            "boot_id": BOOT, "raw": None}
    body.update(change)
    return body


def upload(app: Any, scan_list: list[dict[str, Any]], kiosk: str = "A",
           **clock_change: Any) -> tuple[int, dict[str, Any]]:
    resp = app.test_client().post(
        BASE_PATH + "/scans", headers={"Authorization": f"Bearer token-{kiosk}"},
        json={"protocol": PROTOCOL, "clock": clock(**clock_change), "scans": scan_list})
    return resp.status_code, resp.get_json()


def presence_rows(engine: Any, event_id: int) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(presence)
                            .where(presence.c.event_id == event_id)).scalar_one()


def stored_ids(engine: Any) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(scans.c.id)).scalars())


HOSTILE = {
    "other event": (lambda w: {"event_id": w["other"]["id"]}, "wrong_event"),
    "no such person": (lambda w: {"attendee_id": 999_999}, "unknown_person"),
    "person of another event": (lambda w: {"attendee_id": w["other"]["person"]},
                                "unknown_person"),
    "invalid yet admitted": (lambda w: {"result": "invalid"}, "admitted_mismatch"),
    "ok yet refused": (lambda w: {"admitted": False}, "admitted_mismatch"),
    "no such session": (lambda w: {"session_id": 999_999, "direction": "in"},
                        "unknown_session"),
    "session of another event": (lambda w: {"session_id": w["other"]["session"],
                                            "direction": "in"}, "unknown_session"),
    "badge revision 0": (lambda w: {"badge_revision": 0}, "revision_out_of_range"),
    "badge revision never issued": (lambda w: {"badge_revision": 7},
                                    "revision_out_of_range"),
    "session not open now": (lambda w: {"session_id": w["tomorrow"], "direction": "in"},
                             "outside_session"),
    "direction without session": (lambda w: {"direction": "in"}, "direction_mismatch"),
    "placed tomorrow": (lambda w: {"monotonic_ns": mono() + 3600 * 10**9}, "in_the_future"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_scan_the_admin_can_disprove_is_quarantined_never_presence(app, engine, world, case):
    change, reason = HOSTILE[case]
    good = scan_body(world)
    bad = scan_body(world, **change(world))
    status, reply = upload(app, [bad, good])
    assert status == 200, reply
    assert reply["stored"] == [good["id"]]
    assert reply["quarantined"] == [{"id": bad["id"], "reason": reason}]
    assert stored_ids(engine) == {good["id"]}
    assert presence_rows(engine, world["other"]["id"]) == 0
    with engine.connect() as conn:
        held = conn.execute(select(scan_quarantine)).mappings().all()
        assert [(h["id"], h["reason"]) for h in held] == [(bad["id"], reason)]
        assert json.loads(held[0]["record"])["id"] == bad["id"]
        assert quarantine_counts(conn, world["id"]) == {world["kiosks"]["A"]: 1}
        # Presence: Anna came in once, at the entrance; nothing of the bad scan.
        rows = conn.execute(select(presence.c.session_id, presence.c.admits)
                            .where(presence.c.event_id == world["id"])).all()
        assert [tuple(r) for r in rows] == [(0, 1)]
    # A blind retry gets the same answer and holds nothing twice.
    assert upload(app, [bad, good])[1]["quarantined"] == reply["quarantined"]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scan_quarantine)).scalar() == 1


@pytest.mark.parametrize("field,value", [("attendee_id", "1"), ("admitted", "true"),
                                         ("session_id", "3"), ("badge_revision", 1.0),
                                         ("admitted", 1)])
def test_numbers_and_booleans_sent_as_strings_are_refused_not_coerced(app, engine, world,
                                                                      field, value):
    status, reply = upload(app, [scan_body(world, **{field: value})])
    assert status == 400 and reply["error"] == "bad_request", reply
    assert stored_ids(engine) == set()


def test_a_scan_id_another_kiosk_holds_is_a_conflict_kept_in_view(app, engine, world):
    first = scan_body(world)
    assert upload(app, [first])[1]["stored"] == [first["id"]]
    same_id = scan_body(world, id=first["id"], kiosk_id=world["kiosks"]["B"])
    status, reply = upload(app, [same_id], kiosk="B")
    assert status == 200
    assert reply["stored"] == []
    assert reply["quarantined"] == [{"id": first["id"], "reason": "id_conflict"}]
    with engine.connect() as conn:
        owner = conn.execute(select(scans.c.kiosk_id).where(scans.c.id == first["id"])).scalar()
        assert owner == world["kiosks"]["A"]
        held = conn.execute(select(scan_quarantine.c.kiosk_id, scan_quarantine.c.reason)).all()
        assert [tuple(h) for h in held] == [(world["kiosks"]["B"], "id_conflict")]
    # Kiosk A's own retry is still simply "stored".
    assert upload(app, [first])[1]["stored"] == [first["id"]]


@pytest.mark.parametrize("change", [
    {"monotonic_ns": 2**63 - 1},
    {"monotonic_ns": 6 * 366 * 24 * 3600 * 10**9},
    {"wall_time": "1900-01-01T00:00:00+00:00"},
    {"wall_time": "2200-01-01T00:00:00+00:00"},
])
@pytest.mark.parametrize("path", ["/scans", "/heartbeat"])
def test_impossible_clock_samples_are_refused(app, engine, world, change, path):
    body: dict[str, Any] = {"protocol": PROTOCOL, "clock": clock(**change)}
    body.update({"scans": [scan_body(world)]} if path == "/scans" else {"health": {}})
    resp = app.test_client().post(BASE_PATH + path, json=body,
                                  headers={"Authorization": "Bearer token-A"})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"] in ("bad_request", "clock_invalid")
    assert stored_ids(engine) == set()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(kiosk_clock)).scalar() == 0


def test_one_sample_claiming_a_faster_clock_does_not_move_the_boots_scans(app, engine, world):
    """A sample whose monotonic reading is a day ahead would win the lowest-lag anchor
    and place every later scan of the boot a day early; it is held as a dispute."""
    assert upload(app, [])[0] == 200
    day = 24 * 3600 * 10**9
    assert upload(app, [], monotonic_ns=mono() + day)[0] == 200
    good = scan_body(world)
    status, reply = upload(app, [good])
    assert reply["stored"] == [good["id"]]
    with engine.connect() as conn:
        placed = conn.execute(select(scans.c.scan_time)).scalar_one()
        state = conn.execute(select(kiosk_clock.c.disputes)).scalar_one()
    assert abs(placed - datetime.now(UTC)) < timedelta(minutes=1)
    assert state == 0  # the honest sample after it agreed with the anchor again


def test_later_samples_that_agree_replace_a_wrong_anchor(app, engine, world):
    """The first sample of a boot was a day off; three later ones that agree with each
    other show it, and the boot is re-anchored (and says by how much)."""
    day = 24 * 3600 * 10**9
    assert upload(app, [], monotonic_ns=mono() + day)[0] == 200
    for _ in range(3):
        assert upload(app, [])[0] == 200
    good = scan_body(world)
    assert upload(app, [good])[1]["stored"] == [good["id"]]
    with engine.connect() as conn:
        placed = conn.execute(select(scans.c.scan_time)).scalar_one()
        moved = conn.execute(select(kiosk_clock.c.reanchored_ms)).scalar_one()
        boots = q_sync.reanchored_boots(conn, world["kiosks"]["A"])
    assert abs(placed - datetime.now(UTC)) < timedelta(minutes=1)
    assert abs(moved - 24 * 3600 * 1000) < 60_000
    assert [b["boot_id"] for b in boots] == [BOOT]


def test_a_scan_placed_outside_the_events_dates_is_held(app, engine, world):
    with engine.begin() as conn:
        conn.execute(update(events).where(events.c.id == world["id"]).values(
            starts_on=date(2026, 6, 15), ends_on=date(2026, 6, 17)))
    status, reply = upload(app, [scan_body(world)])
    assert reply["stored"] == [] and reply["quarantined"][0]["reason"] == "outside_event"


@pytest.mark.parametrize("path", ["/enroll", "/scans", "/heartbeat"])
def test_deeply_nested_json_is_a_400_not_a_500(app, world, path):
    depth = 50_000
    body = '{"clock": ' + "[" * depth + "]" * depth + "}"
    resp = app.test_client().post(BASE_PATH + path, data=body,
                                  headers={"Authorization": "Bearer token-A",
                                           "Content-Type": "application/json"})
    assert resp.status_code == 400
    assert resp.get_json()["error"] == "bad_request"


def test_quarantine_is_shown_on_the_kiosk_page_and_the_dashboard(app, engine, world):
    from admin_testkit import Client, make_user

    bad = scan_body(world, event_id=world["other"]["id"])
    assert upload(app, [bad])[1]["quarantined"][0]["reason"] == "wrong_event"
    make_user(app, "ola", "organizer")
    organizer = Client(app.test_client())
    assert organizer.login("ola").status_code == 302
    page = organizer.get(f"/kiosks/{world['kiosks']['A']}").get_data(as_text=True)
    assert 'id="quarantine"' in page and bad["id"] in page
    assert "skan innego wydarzenia" in page
    data = organizer.get(f"/events/{world['id']}/dashboard.json").get_json()
    assert data["quarantined"] == 1
    assert {k["id"]: k["quarantined"] for k in data["kiosks"]}[world["kiosks"]["A"]] == 1
