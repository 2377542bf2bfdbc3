"""The kiosk's plan, set on the admin's Kiosks page, reaching a real kiosk over real HTTP.

Runs on SQLite and (when BRAMKA_TEST_DATABASE_URL is set) PostgreSQL.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import make_event
from admin_testkit import Client
from sqlalchemy import delete

from admin.queries import kiosk_plans
from admin.queries import kiosks as q_kiosks
from admin.queries import sync as q_sync
from admin.schema import sessions, utcnow
from bramka import __version__
from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from sync.plan import pin_matches


@pytest.fixture
def event(engine: Any) -> dict[str, Any]:
    ev = make_event(engine)
    with engine.begin() as conn:
        ev["kiosk"] = q_sync.create_kiosk(conn, ev["id"], "Wejście A", "entrance", "")
    return ev


def kiosk_row(engine: Any, kiosk_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        return dict(q_kiosks.get_kiosk(conn, kiosk_id))


def save(organizer: Client, kiosk_id: str, **form: str) -> Any:
    return organizer.post(f"/kiosks/{kiosk_id}/plan", data=form, follow_redirects=True)


def page_text(resp: Any) -> str:
    return unescape(resp.get_data(as_text=True)).replace("\u00a0", " ")


def test_the_organizer_sets_a_plan_and_each_change_is_a_revision(
        organizer: Client, engine: Any, event: dict[str, Any]) -> None:
    kiosk_id = event["kiosk"]
    assert kiosk_row(engine, kiosk_id)["plan_revision"] == 1
    resp = save(organizer, kiosk_id, mode="room", room="Sala 101",
                session_id=str(event["workshop"]), direction="in", language="en",
                result_seconds="6,5", staff_pin="482913", help_desk="  stolik  w holu ",
                printer_profile="ql-62")
    assert resp.status_code == 200
    assert "Plan zapisany (wersja 2)" in page_text(resp)
    row = kiosk_row(engine, kiosk_id)
    assert (row["mode"], row["room"], row["session_id"], row["direction"], row["language"],
            row["result_seconds"], row["help_desk"], row["printer_profile"],
            row["plan_revision"]) == ("room", "Sala 101", event["workshop"], "in", "en", 6.5,
                                      "stolik w holu", "ql-62", 2)
    assert pin_matches("482913", row["staff_pin_hash"])
    assert "482913" not in page_text(organizer.get(f"/kiosks/{kiosk_id}"))
    # The same form again (the PIN left empty keeps the one set): no new revision.
    resp = save(organizer, kiosk_id, mode="room", room="Sala 101",
                session_id=str(event["workshop"]), direction="in", language="en",
                result_seconds="6.5", help_desk="stolik w holu", printer_profile="ql-62")
    assert "Plan bez zmian." in page_text(resp)
    assert kiosk_row(engine, kiosk_id)["plan_revision"] == 2
    assert kiosk_row(engine, kiosk_id)["staff_pin_hash"] == row["staff_pin_hash"]
    # Back to an entrance kiosk, the kiosk's own PIN again.
    save(organizer, kiosk_id, mode="entrance", language="pl", result_seconds="4",
         clear_pin="1")
    row = kiosk_row(engine, kiosk_id)
    assert (row["mode"], row["room"], row["session_id"], row["staff_pin_hash"],
            row["plan_revision"]) == ("entrance", "", None, "", 3)


@pytest.mark.parametrize(("form", "words"), [
    ({"mode": "room", "room": "Sala 999"}, "W programie wydarzenia nie ma sali „Sala 999”."),
    ({"mode": "room", "room": ""}, "W programie wydarzenia nie ma sali"),
    ({"mode": "room", "room": "Aula", "session_id": "WORKSHOP"},
     "Ta sesja nie odbywa się w wybranej sali."),
    ({"mode": "room", "room": "Sala 101", "session_id": "12x"},
     "Ta sesja nie odbywa się w wybranej sali."),
    ({"mode": "room", "room": "Sala 101", "session_id": "²"},  # a digit, yet no number
     "Ta sesja nie odbywa się w wybranej sali."),
    ({"printer_profile": "epson-9000"}, "Nieznany profil drukarki."),
    ({"result_seconds": "cztery"}, "Czas wyniku to liczba sekund."),
    ({"result_seconds": "90"}, "Niepoprawna wartość: czas wyniku."),
    ({"language": "de"}, "Niepoprawna wartość: język."),
    ({"mode": "room", "room": "Sala 101", "direction": "sideways"},
     "Niepoprawna wartość: kierunek."),
    ({"staff_pin": "12"}, "PIN obsługi to od 4 do 12 cyfr"),
])
def test_a_plan_the_kiosk_could_not_follow_is_refused_with_words(
        organizer: Client, engine: Any, event: dict[str, Any], form: dict[str, str],
        words: str) -> None:
    if form.get("session_id") == "WORKSHOP":  # the workshop is in Sala 101, not the Aula
        form = {**form, "session_id": str(event["workshop"])}
    resp = save(organizer, event["kiosk"], **{"mode": "entrance", "language": "pl",
                                              "result_seconds": "4", **form})
    assert words in page_text(resp)
    assert kiosk_row(engine, event["kiosk"])["plan_revision"] == 1


def test_a_volunteer_cannot_change_a_plan(volunteer: Client, engine: Any,
                                          event: dict[str, Any]) -> None:
    resp = volunteer.post(f"/kiosks/{event['kiosk']}/plan",
                          data={"mode": "room", "room": "Sala 101"})
    assert resp.status_code == 403
    assert kiosk_row(engine, event["kiosk"])["mode"] == "entrance"


def test_a_deleted_pinned_session_pins_nothing(organizer: Client, engine: Any,
                                               event: dict[str, Any]) -> None:
    save(organizer, event["kiosk"], mode="room", room="Sala 101",
         session_id=str(event["walk"]), language="pl", result_seconds="4")
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.id == event["walk"]))
        plan = kiosk_plans.plan_of(conn, q_kiosks.get_kiosk(conn, event["kiosk"]))
    assert plan.session_id is None and plan.room == "Sala 101"


def test_the_kiosk_follows_the_plan_within_one_contact_and_says_so(
        organizer: Client, engine: Any, live: str, event: dict[str, Any],
        tmp_path: Path) -> None:
    with engine.begin() as conn:
        code = q_sync.new_enrollment(conn, event["kiosk"])
    settings = load_settings(None, {
        "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"), "BRAMKA_PRINTER__BACKEND": "none",
        "BRAMKA_KIOSK__LANGUAGE": "en"})
    runtime = KioskRuntime(settings)
    try:
        client = runtime.sync_client()
        client.enroll(live, code)
        client.contact()
        assert runtime.plan is not None and runtime.plan.revision == 1
        assert runtime.settings.kiosk.language == "pl"  # the admin's plan over the file
        index = page_text(organizer.get(f"/events/{event['id']}/kiosks"))
        assert "plan w. 1: stosuje" in index
        assert __version__ in index and "bez kontaktu" not in index
        # The dashboard's kiosk rows: the same health, its plan, clock and version.
        [row] = organizer.get(f"/events/{event['id']}/dashboard.json").get_json()["kiosks"]
        assert (row["plan"], row["software"], row["stale"]) == (
            "plan w. 1: stosuje", __version__, False)
        assert row["clock"].endswith(" s") and row["queue"] == 0
        save(organizer, event["kiosk"], mode="room", room="Aula", language="en",
             result_seconds="3", staff_pin="9753")
        assert "czeka na plan w. 2 (stosuje 1)" in page_text(
            organizer.get(f"/kiosks/{event['kiosk']}"))
        client.contact()  # one contact: the heartbeat reply carries the plan
        assert runtime.plan.revision == 2
        k = runtime.settings.kiosk
        assert (k.mode, k.room, k.language, k.result_seconds) == ("room", "Aula", "en", 3)
        assert runtime.pin_ok("9753")
        client.contact()  # the next heartbeat says which plan it follows
        assert kiosk_row(engine, event["kiosk"])["plan_seen"] == 2
        shown = page_text(organizer.get(f"/kiosks/{event['kiosk']}"))
        assert "plan w. 2: stosuje" in shown
    finally:
        runtime.stop()


def test_kiosks_out_of_contact_are_flagged(organizer: Client, engine: Any,
                                           event: dict[str, Any]) -> None:
    from datetime import timedelta

    with engine.begin() as conn:
        q_kiosks.record_status(conn, event["kiosk"], camera_state="ok",
                               at=utcnow() - timedelta(hours=1))
    index = page_text(organizer.get(f"/events/{event['id']}/kiosks"))
    assert "(bez kontaktu)" in index
    [row] = organizer.get(f"/events/{event['id']}/dashboard.json").get_json()["kiosks"]
    assert row["stale"]
    assert row["plan"] == "czeka na plan w. 1 (stosuje własny)"  # an older kiosk's heartbeat
