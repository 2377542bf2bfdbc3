"""The admin's plan on the kiosk: the shared model (sync/plan.py), the settings it gives
(kiosk/plan.py) and a running kiosk following a new plan without a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError
from support import NOW, token_for

from bramka.config import Settings, load_settings
from kiosk import plan as kiosk_plan
from kiosk.checkin import OVERRIDE_KEY
from kiosk.runtime import KioskRuntime
from kiosk.web import create_app
from sync.plan import KioskPlan, PlanError, hash_pin, pin_matches
from sync.roster import RosterSnapshot


def local(tmp_path: Path, **env: str) -> Settings:
    return load_settings(None, {"BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
                                "BRAMKA_PRINTER__BACKEND": "none", **env})


# -- the shared model ---------------------------------------------------------------------------


def test_pin_hash_matches_only_its_pin() -> None:
    pin_hash = hash_pin("482913")
    assert pin_matches("482913", pin_hash)
    assert not pin_matches("482914", pin_hash)
    assert not pin_matches("", pin_hash)
    assert "482913" not in pin_hash
    assert hash_pin("482913") != pin_hash  # salted: the same PIN, another hash
    assert not pin_matches("482913", pin_hash[:-2] + "AA")
    assert not pin_matches("482913", "plain-text")


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", " 1234", "１２３４"])
def test_a_staff_pin_is_4_to_12_ascii_digits(pin: str) -> None:
    with pytest.raises(PlanError) as caught:
        hash_pin(pin)
    assert "4 to 12 digits" in str(caught.value) and "od 4 do 12 cyfr" in caught.value.pl


@pytest.mark.parametrize(("fields", "words"), [
    ({"mode": "room"}, "needs its room"),
    ({"mode": "room", "room": "   "}, "needs its room"),
    ({"session_id": 10}, "only a room kiosk"),
    ({"direction": "in"}, "only a room kiosk"),
    ({"staff_pin_hash": "scrypt$short$hash"}, "damaged"),
])
def test_a_plan_no_kiosk_can_follow_is_refused(fields: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        KioskPlan(revision=1, **fields)  # type: ignore[arg-type]
    assert words in str(caught.value)


@pytest.mark.parametrize("fields", [
    {"revision": 0}, {"result_seconds": 0.5}, {"result_seconds": 31}, {"mode": "exit"},
    {"language": "de"}, {"direction": "both"}, {"extra": 1},
])
def test_plan_fields_out_of_range_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        KioskPlan.model_validate({"revision": 1, **fields})


# -- settings from a plan -----------------------------------------------------------------------


def test_no_plan_keeps_the_local_settings(tmp_path: Path) -> None:
    settings = local(tmp_path, BRAMKA_KIOSK__MODE="room", BRAMKA_KIOSK__ROOM="Sala 101")
    assert kiosk_plan.settings_with(settings, None).settings is settings


def test_the_plan_gives_the_role_and_the_file_keeps_the_hardware(tmp_path: Path) -> None:
    settings = local(tmp_path, BRAMKA_KIOSK__LANGUAGE="en", BRAMKA_CAMERA__DEVICE="2",
                     BRAMKA_SYNC__ADMIN_URL="http://admin.local:8000")
    plan = KioskPlan(revision=3, mode="room", room="Sala 101", direction="in", language="pl",
                     result_seconds=7, printer_profile="ql-62")
    planned = kiosk_plan.settings_with(settings, plan)
    assert planned.problem is None
    k = planned.settings.kiosk
    assert (k.mode, k.room, k.direction, k.language, k.result_seconds) == (
        "room", "Sala 101", "in", "pl", 7)
    assert k.data_dir == settings.kiosk.data_dir and k.id == settings.kiosk.id
    assert planned.settings.printer.profile == "ql-62"
    assert planned.settings.camera == settings.camera
    assert planned.settings.sync.admin_url == "http://admin.local:8000"


def test_a_printer_profile_this_kiosk_cannot_use_keeps_the_local_printer(
        tmp_path: Path) -> None:
    settings = local(tmp_path)  # no CUPS queue named locally
    planned = kiosk_plan.settings_with(settings, KioskPlan(revision=2,
                                                           printer_profile="cups-62x100"))
    assert planned.settings.printer == settings.printer
    assert planned.problem is not None
    assert "cups-62x100" in planned.problem.en and "CUPS queue" in planned.problem.en
    assert "kolejki CUPS" in planned.problem.pl


def test_the_plan_pin_replaces_the_local_one(tmp_path: Path) -> None:
    plan = KioskPlan(revision=2, staff_pin_hash=hash_pin("5555"))
    assert kiosk_plan.pin_ok("5555", plan, "1234")
    assert not kiosk_plan.pin_ok("1234", plan, "1234")
    assert kiosk_plan.pin_ok("1234", KioskPlan(revision=2), "1234")  # no PIN in the plan
    assert kiosk_plan.pin_ok("1234", None, "1234")
    assert not kiosk_plan.pin_ok("1235", None, "1234")


def test_a_damaged_saved_plan_is_not_followed(tmp_path: Path) -> None:
    runtime = KioskRuntime(local(tmp_path))
    try:
        runtime.store.set_meta(kiosk_plan.PLAN_KEY, '{"revision": 0, "mode": "room"}')
        assert kiosk_plan.saved(runtime.store) is None
        runtime.store.set_meta(kiosk_plan.PLAN_KEY, "not json")
        assert kiosk_plan.saved(runtime.store) is None
    finally:
        runtime.stop()


# -- a running kiosk ----------------------------------------------------------------------------


def test_a_new_plan_applies_without_a_restart_and_survives_one(
        tmp_path: Path, roster: RosterSnapshot, event_key: Ed25519PrivateKey) -> None:
    runtime = KioskRuntime(local(tmp_path))
    runtime.checkin.clock = lambda: NOW  # the roster's workshop runs around NOW
    runtime.checkin.apply_roster(roster)
    sub = runtime.bus.subscribe()
    try:
        assert runtime.plan_state()["source"] == "local"
        runtime.store.set_meta(OVERRIDE_KEY, "11")  # staff picked a session by hand
        plan = KioskPlan(revision=2, mode="room", room="Sala 101", session_id=10,
                         language="en", staff_pin_hash=hash_pin("8642"))
        assert runtime.apply_plan(plan)
        assert not runtime.apply_plan(plan)  # the same plan again changes nothing
        assert runtime.settings.kiosk.mode == "room" and runtime.settings.kiosk.language == "en"
        assert runtime.store.reader.get_meta(OVERRIDE_KEY) is None  # the organizers' newer pin wins
        assert runtime.checkin.session_override() == 10
        outcome = runtime.checkin.handle_code(token_for(event_key, 1))
        assert outcome.scan.admitted and outcome.scan.session_id == 10
        assert runtime.pin_ok("8642") and not runtime.pin_ok("1234")
        kinds = []
        while not sub.queue.empty():
            kinds.append(sub.queue.get_nowait())
        assert ("plan", runtime.plan_state()) in kinds
        status = runtime.status()
        assert status["plan"]["source"] == "admin" and status["plan"]["revision"] == 2
        assert status["kiosk"]["mode"] == "room"
        html = create_app(runtime, {"TESTING": True, "SECRET_KEY": "t"}).test_client().get(
            "/").text
        assert '<html lang="en">' in html and 'data-plan-revision="2"' in html
    finally:
        runtime.stop()
    again = KioskRuntime(local(tmp_path))  # the same data directory, offline
    try:
        assert again.plan == plan
        assert again.settings.kiosk.room == "Sala 101"
        assert again.checkin.session_override() == 10
        assert again.pin_ok("8642")
    finally:
        again.stop()


def test_a_new_staff_pin_from_the_plan_ends_open_staff_sessions(tmp_path: Path) -> None:
    runtime = KioskRuntime(local(tmp_path, BRAMKA_KIOSK__STAFF_PIN="1357"))
    try:
        client = create_app(runtime, {"TESTING": True, "SECRET_KEY": "t"}).test_client()
        client.get("/staff/login")
        with client.session_transaction() as sess:
            csrf = sess["csrf"]
        assert client.post("/staff/login", data={"pin": "1357", "csrf_token": csrf,
                                                 "next": "/staff/"}).status_code == 302
        assert client.get("/staff/").status_code == 200  # logged in
        runtime.apply_plan(KioskPlan(revision=2))  # a plan without a PIN: the same one
        assert client.get("/staff/").status_code == 200
        runtime.apply_plan(KioskPlan(revision=3, staff_pin_hash=hash_pin("8642")))
        resp = client.get("/staff/")
        assert resp.status_code == 302 and resp.location.startswith("/staff/login")
    finally:
        runtime.stop()
