"""The dashboard's numbers after scans arrive."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from admin_fixtures import DAY2_10, add_person, make_event, span_today
from admin_scans import scan
from admin_testkit import Client
from flask import Flask
from sqlalchemy import Engine

from admin.dashboard import DASHBOARD_WORDS
from admin.queries import kiosks as q_kiosks
from admin.scans import record_scans

MIN = timedelta(minutes=1)


def _fill(engine: Engine) -> tuple[dict, list[int]]:
    ev = make_event(engine)
    ids = [add_person(engine, ev["id"], f"Osoba{i}", "Testowa") for i in range(5)]
    add_person(engine, ev["id"], "Anulowana", "Osoba", status="cancelled")
    ws = ev["workshop"]
    t_ws = DAY2_10 + 170 * MIN  # 12:50 Warsaw, the workshop runs 13:00-15:00
    records = [scan(ev["id"], p, DAY2_10 + i * MIN) for i, p in enumerate(ids[:4])]
    records += [scan(ev["id"], ids[0], DAY2_10 + 20 * MIN, kiosk="k2")]  # offline duplicate
    records += [scan(ev["id"], p, t_ws, session_id=ws, direction="in", kiosk="sala")
                for p in ids[:3]]  # capacity 2: one too many
    records += [scan(ev["id"], ids[2], t_ws + 5 * MIN, session_id=ws, direction="out",
                     kiosk="sala")]
    # Osoba1 leaves for coffee and comes back: a re-entry, not a double entry.
    records += [scan(ev["id"], ids[1], t_ws + 40 * MIN, session_id=ws, direction="out",
                     kiosk="sala"),
                scan(ev["id"], ids[1], t_ws + 55 * MIN, session_id=ws, direction="in",
                     kiosk="sala")]
    records += [scan(ev["id"], None, DAY2_10, result="invalid", admitted=False)]
    with engine.begin() as conn:
        record_scans(conn, records)
        q_kiosks.ensure_kiosk(conn, "k1", ev["id"], "Wejście 1")
        q_kiosks.record_status(conn, "k1", queue_length=3, printer_state="paper_out",
                               camera_state="ok", at=DAY2_10 + 179 * MIN)
        q_kiosks.ensure_kiosk(conn, "k2", ev["id"], "Wejście 2")
    return ev, ids


def test_dashboard_json(app: Flask, organizer: Client, engine: Engine) -> None:
    ev, ids = _fill(engine)
    app.config["DASHBOARD_NOW"] = DAY2_10 + 3 * 60 * MIN  # 13:00 Warsaw
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    assert (d["checked_in"], d["registered"]) == (4, 5)
    assert d["per_day"] == [{"day": "2026-06-16", "checked_in": 4}]
    ws = next(s for s in d["sessions"] if s["id"] == ev["workshop"])
    assert (ws["attended"], ws["inside"], ws["capacity"], ws["registered"]) == (3, 2, 2, 0)
    assert ws["over_capacity"] and ws["running"]
    assert "Warsztat: piecza zastępcza" in d["over_capacity"]
    sala = next(r for r in d["rooms"] if r["name"] == "Sala 101")
    assert sala["inside"] == 2 and sala["sessions"] == ["Warsztat: piecza zastępcza"]
    aula = next(r for r in d["rooms"] if r["name"] == "Aula")
    assert aula["inside"] == 0
    assert sum(a["n"] for a in d["arrivals"]) == 4
    assert d["arrivals"][0]["t"] == "2026-06-16T08:00:00+00:00"
    [dup] = d["duplicates"]  # Osoba0 at the entrance, admitted by kiosk-1 and, offline, k2
    assert (dup["person_id"], dup["where"], dup["url"]) == (ids[0], "", f"/people/{ids[0]}")
    assert (dup["first_kiosk"], dup["first_at"], dup["kiosk"], dup["at"]) == (
        "kiosk-1", "10:00:00", "Wejście 2", "10:20:00")
    k1 = next(k for k in d["kiosks"] if k["id"] == "k1")
    assert (k1["queue"], k1["printer"], k1["stale"]) == (3, "brak papieru", False)
    assert next(k for k in d["kiosks"] if k["id"] == "k2")["stale"]


def test_who_is_in_the_room(app: Flask, organizer: Client, engine: Engine) -> None:
    ev, ids = _fill(engine)
    app.config["DASHBOARD_NOW"] = DAY2_10 + 3 * 60 * MIN
    page = organizer.get(f"/events/{ev['id']}/rooms/{ev['sala']}/inside").get_data(as_text=True)
    assert "Osoba0" in page and "Osoba1" in page and "Osoba2" not in page
    app.config["DASHBOARD_NOW"] = DAY2_10 + 6 * 60 * MIN  # after the workshop
    page = organizer.get(f"/events/{ev['id']}/rooms/{ev['sala']}/inside").get_data(as_text=True)
    assert "Osoba0" not in page


def test_dashboard_page_and_empty_event(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    page = organizer.get(f"/events/{ev['id']}/dashboard").get_data(as_text=True)
    assert "dashboard.js" in page and "dashboard.json" in page
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    assert d["checked_in"] == 0 and d["arrivals"] == [] and d["duplicates"] == []
    assert organizer.get("/events/999/dashboard.json").status_code == 404


def test_the_dashboard_page_carries_its_scripts_words_in_its_language(
        organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)

    def words() -> dict[str, str]:
        page = organizer.get(f"/events/{ev['id']}/dashboard").get_data(as_text=True)
        found = re.search(r"data-words='(.*?)'>", page)
        assert found is not None
        return json.loads(html.unescape(found.group(1)))

    assert words()["stale_kiosks"] == "kioski bez kontaktu"
    with organizer.raw.session_transaction() as sess:
        sess["lang"] = "en"
    assert words() == {key: en for key, (_pl, en) in DASHBOARD_WORDS.items()}


def test_a_double_entry_into_a_limited_session_is_a_possible_over_capacity(
        app: Flask, organizer: Client, engine: Engine) -> None:
    """One seat left; two kiosks that had not synced let the same badge in twice: the
    session is not over its limit by people, but the dashboard says it may be."""
    from admin.queries import program as q_program

    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    with engine.begin() as conn:
        small = q_program.add_session(conn, ev["id"], {
            "title": "Wizyta studyjna", "kind": "side_event", "room_id": ev["sala"],
            "starts_at": DAY2_10, "ends_at": DAY2_10 + 120 * MIN, "capacity": 1})
        record_scans(conn, [
            scan(ev["id"], anna, DAY2_10, session_id=small, direction="in", kiosk="bus-1"),
            scan(ev["id"], anna, DAY2_10 + 2 * MIN, session_id=small, direction="in",
                 kiosk="bus-2")])
    app.config["DASHBOARD_NOW"] = DAY2_10 + 30 * MIN
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    row = next(s for s in d["sessions"] if s["id"] == small)
    assert (row["attended"], row["duplicates"], row["over_capacity"]) == (1, 1, False)
    assert row["possible_over_capacity"] and "Wizyta studyjna (?)" in d["over_capacity"]
    [dup] = d["duplicates"]
    assert (dup["first_kiosk"], dup["kiosk"], dup["where"]) == ("bus-1", "bus-2",
                                                                 "Wizyta studyjna")


def test_help_desk_check_ins_into_a_session_count_as_checked_in(
        app: Flask, organizer: Client, engine: Engine) -> None:
    """Six people let into the plenary at the help desk, none through an entrance kiosk:
    the dashboard counts them checked in that day, and charts their arrival."""
    from admin.queries.people import check_in_by_hand
    from admin.schema import sessions
    from admin.schema import utcnow as now_utc

    ev = make_event(engine)
    span_today(engine, ev["id"])  # the help desk admits only on the event's days
    ids = [add_person(engine, ev["id"], f"Osoba{i}", "Testowa") for i in range(8)]
    now = now_utc()
    with engine.begin() as conn:  # the plenary runs now
        from sqlalchemy import update

        conn.execute(update(sessions).where(sessions.c.id == ev["plenary"]).values(
            starts_at=now - 30 * MIN, ends_at=now + 60 * MIN))
        for person in ids[:6]:
            check_in_by_hand(conn, person, ev["plenary"], "wolontariusz")
    app.config["DASHBOARD_NOW"] = now
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    assert (d["checked_in"], d["registered"]) == (6, 8)
    assert [x["checked_in"] for x in d["per_day"]] == [6]
    assert sum(a["n"] for a in d["arrivals"]) == 6
    plenary = next(s for s in d["sessions"] if s["id"] == ev["plenary"])
    assert (plenary["attended"], plenary["inside"]) == (6, 6)
    # The same person at the entrance later that day is still one person that day.
    with engine.begin() as conn:
        check_in_by_hand(conn, ids[0], None, "wolontariusz")
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    assert d["checked_in"] == 6 and [x["checked_in"] for x in d["per_day"]] == [6]


def test_the_plan_itself_is_warned_about(app: Flask, organizer: Client, engine: Engine) -> None:
    """Overbooked workshops and a side event promising more seats than its room has."""
    from sqlalchemy import update

    from admin.queries import program as q_program
    from admin.schema import rooms

    ev = make_event(engine)
    ids = [add_person(engine, ev["id"], f"Osoba{i}", "Testowa") for i in range(3)]
    with engine.begin() as conn:
        for person in ids:  # the workshop has 2 seats
            q_program.register(conn, ev["workshop"], person)
        conn.execute(update(rooms).where(rooms.c.id == ev["sala"]).values(capacity=3))
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    assert "Warsztat: piecza zastępcza: zapisanych 3, miejsc 2" in d["planning"]
    assert "Gra miejska po Podgórzu: limit 25 miejsc, a sala Sala 101 ma 3" in d["planning"]


def test_a_room_without_a_seat_count_fills_by_its_running_session(
        app: Flask, organizer: Client, engine: Engine) -> None:
    from sqlalchemy import update

    from admin.schema import rooms

    ev = make_event(engine)
    ids = [add_person(engine, ev["id"], f"Osoba{i}", "Testowa") for i in range(3)]
    with engine.begin() as conn:
        conn.execute(update(rooms).where(rooms.c.id == ev["sala"]).values(capacity=None))
        t_ws = DAY2_10 + 170 * MIN
        record_scans(conn, [scan(ev["id"], p, t_ws, session_id=ev["workshop"], direction="in",
                                 kiosk="sala") for p in ids[:2]])
    app.config["DASHBOARD_NOW"] = DAY2_10 + 3 * 60 * MIN
    d = organizer.get(f"/events/{ev['id']}/dashboard.json").get_json()
    sala = next(r for r in d["rooms"] if r["name"] == "Sala 101")
    assert (sala["inside"], sala["capacity"]) == (2, 2)  # the workshop's 2 seats
