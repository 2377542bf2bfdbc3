"""Events with their signing key, and the program: venues, rooms, sessions, registrations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from admin_fixtures import add_person, make_event
from admin_testkit import Client
from flask import Flask
from sqlalchemy import Engine, select

from admin.db import current_revision, head_revision, migrate
from admin.errors import Invalid
from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.schema import signing_keys
from sync import token


def test_schema_is_at_head_and_migrating_again_is_harmless(engine: Engine) -> None:
    assert current_revision(engine) == head_revision() is not None
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_create_event_through_the_page(organizer: Client, engine: Engine) -> None:
    resp = organizer.post("/events", {"name": "  Kongres  2026 ", "starts_on": "2026-06-15",
                                      "ends_on": "2026-06-17"})
    assert resp.status_code == 302
    page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Kongres 2026" in page
    with engine.connect() as conn:
        key_row = conn.execute(select(signing_keys)).mappings().one()
    assert key_row["public_key"] in page
    assert "PRIVATE KEY" not in page and key_row["private_pem"] not in page
    # The stored private key signs tokens that the shown public key verifies.
    with engine.connect() as conn:
        text = q_events.issue_token(conn, key_row["event_id"], 5, 1)
    claim = token.verify(text, token.parse_public_key(key_row["public_key"]), key_row["event_id"])
    assert (claim.attendee_id, claim.revision) == (5, 1)


def test_event_with_end_before_start_is_refused(organizer: Client) -> None:
    organizer.post("/events", {"name": "Zły", "starts_on": "2026-06-15", "ends_on": "2026-06-10"})
    page = organizer.get("/events").get_data(as_text=True)
    assert "przed rozpoczęciem" in page
    assert ">Zły<" not in page


def test_edit_event(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    organizer.post(f"/events/{ev['id']}", {"name": "Nowa nazwa", "starts_on": "2026-06-15",
                                           "ends_on": "2026-06-16"})
    with engine.connect() as conn:
        assert q_events.get_event(conn, ev["id"])["name"] == "Nowa nazwa"


def test_the_time_zone_is_set_on_the_page_until_the_first_scan(organizer: Client,
                                                                 engine: Engine) -> None:
    resp = organizer.post("/events", {"name": "Konferencja w Kijowie", "starts_on": "2026-06-15",
                                      "ends_on": "2026-06-17", "timezone": "Europe/Kyiv"})
    event_id = int(resp.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    form = {"name": "Konferencja w Kijowie", "starts_on": "2026-06-15", "ends_on": "2026-06-17"}
    with engine.connect() as conn:
        assert q_events.get_event(conn, event_id)["timezone"] == "Europe/Kyiv"
    page = organizer.post(f"/events/{event_id}", {**form, "timezone": "Mars/Olympus"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Nieznana strefa czasowa: Mars/Olympus" in page
    organizer.post(f"/events/{event_id}", {**form, "timezone": "Europe/Vilnius"})
    with engine.connect() as conn:
        assert q_events.get_event(conn, event_id)["timezone"] == "Europe/Vilnius"
    from admin.scans import record_scans
    from sync.scans import ScanRecord, new_scan_id

    with engine.begin() as conn:
        record_scans(conn, [ScanRecord(
            id=new_scan_id(), kiosk_id="k1", event_id=event_id, attendee_id=None,
            result="invalid", admitted=False, wall_time=datetime(2026, 6, 15, 8, tzinfo=UTC),
            monotonic_ns=1, boot_id="b")])
    page = organizer.post(f"/events/{event_id}", {**form, "timezone": "Europe/Warsaw"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Strefy czasowej nie można zmienić po pierwszym skanie" in page
    organizer.post(f"/events/{event_id}", {**form, "name": "Nowa", "timezone": "Europe/Vilnius"})
    with engine.connect() as conn:
        event = q_events.get_event(conn, event_id)
    assert (event["name"], event["timezone"]) == ("Nowa", "Europe/Vilnius")


def test_program_pages(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    event_id = ev["id"]
    organizer.post(f"/events/{event_id}/venues", {"name": "Muzeum Podgórza", "address": ""})
    with engine.connect() as conn:
        venue = [v for v in q_program.list_venues(conn, event_id) if v["name"] == "Muzeum Podgórza"]
    assert len(venue) == 1
    organizer.post(f"/venues/{venue[0]['id']}/rooms", {"name": "Sala wystaw", "capacity": "30"})
    with engine.connect() as conn:
        rooms = q_program.list_venues(conn, event_id)
    room = next(r for v in rooms for r in v["rooms"] if r["name"] == "Sala wystaw")
    assert room["capacity"] == 30
    resp = organizer.post(f"/events/{event_id}/sessions/new", {
        "title": "Spacer muzealny", "kind": "side_event", "room_id": str(room["id"]),
        "starts_at": "2026-06-17T10:00", "ends_at": "2026-06-17T12:00", "capacity": "",
        "registration_required": "1",
    })
    assert resp.status_code == 302
    with engine.connect() as conn:
        s = next(s for s in q_program.list_sessions(conn, event_id)
                 if s["title"] == "Spacer muzealny")
    # Entered in Warsaw summer time (UTC+2), stored in UTC.
    assert s["starts_at"] == datetime(2026, 6, 17, 8, 0, tzinfo=UTC)
    assert s["registration_required"] and s["kind"] == "side_event"
    assert q_program.effective_capacity(s) == 30
    page = organizer.get(f"/events/{event_id}/program").get_data(as_text=True)
    assert "Spacer muzealny" in page and "10:00" in page
    edit = organizer.get(f"/sessions/{s['id']}").get_data(as_text=True)
    assert 'value="2026-06-17T10:00"' in edit
    organizer.post(f"/sessions/{s['id']}", {
        "title": "Spacer muzealny (dostępny)", "kind": "side_event", "room_id": str(room["id"]),
        "starts_at": "2026-06-17T10:00", "ends_at": "2026-06-17T11:00", "capacity": "12"})
    with engine.connect() as conn:
        s2 = q_program.get_session(conn, s["id"])
    assert s2["title"] == "Spacer muzealny (dostępny)" and s2["capacity"] == 12
    assert not s2["registration_required"]
    # A room in use cannot be deleted; after the session goes, it can.
    organizer.post(f"/rooms/{room['id']}", {"action": "delete"})
    with engine.connect() as conn:
        assert q_program.get_room(conn, room["id"])
    organizer.post(f"/sessions/{s['id']}", {"action": "delete"})
    organizer.post(f"/rooms/{room['id']}", {"action": "delete"})
    with engine.connect() as conn, pytest.raises(Exception, match="No such room"):
        q_program.get_room(conn, room["id"])


def test_session_must_end_after_start(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    resp = organizer.post(f"/events/{ev['id']}/sessions/new", {
        "title": "Odwrotna", "kind": "session", "room_id": str(ev["aula"]),
        "starts_at": "2026-06-16T12:00", "ends_at": "2026-06-16T11:00"})
    assert resp.status_code == 200
    assert "kończy się przed rozpoczęciem" in resp.get_data(as_text=True)


def test_session_in_another_events_room_is_refused(engine: Engine) -> None:
    ev1, ev2 = make_event(engine), make_event(engine)
    with engine.begin() as conn, pytest.raises(Invalid):
        q_program.add_session(conn, ev1["id"], {
            "title": "X", "room_id": ev2["aula"],
            "starts_at": datetime(2026, 6, 16, 7, tzinfo=UTC),
            "ends_at": datetime(2026, 6, 16, 8, tzinfo=UTC)})


def test_registrations_page(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków")
    other = make_event(engine)
    stranger = add_person(engine, other["id"], "Obcy", "Człowiek")
    url = f"/sessions/{ev['workshop']}/registrations"
    organizer.post(url, {"person_id": str(anna), "action": "add"})
    organizer.post(url, {"person_id": str(anna), "action": "add"})  # twice: still one
    organizer.post(url, {"person_id": str(stranger), "action": "add"})
    page = organizer.get(url).get_data(as_text=True)
    assert "Kowalska Anna" in page and "Człowiek" not in page
    assert 'id="registered-count">1<' in page and "/ 2" in page
    organizer.post(url, {"person_id": str(anna), "action": "remove"})
    assert 'id="registered-count">0<' in organizer.get(url).get_data(as_text=True)


def test_missing_things_are_404(organizer: Client) -> None:
    assert organizer.get("/events/999").status_code == 404
    assert organizer.get("/sessions/999").status_code == 404
    assert organizer.get("/nope").status_code == 404


def test_volunteer_cannot_see_program(volunteer: Client, app: Flask, engine: Engine) -> None:
    ev = make_event(engine)
    assert volunteer.get(f"/events/{ev['id']}/program").status_code == 403


def test_migrations_create_exactly_the_schema(engine: Engine) -> None:
    """A change to admin/schema.py without a migration fails here."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from admin.schema import metadata

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_a_room_kiosk_is_planned_for_a_room_of_the_program(organizer: Client,
                                                           engine: Engine) -> None:
    """The room is chosen from the event's rooms, not typed (a typo would leave the kiosk
    guarding no session)."""
    from sqlalchemy import select

    from admin.schema import kiosks

    ev = make_event(engine)
    page = organizer.get(f"/events/{ev['id']}/kiosks").get_data(as_text=True)
    form = page[page.index('name="room"'):]
    form = form[:form.index("</select>")]
    assert '<option value="Aula">' in form and '<option value="Sala 101">' in form
    assert 'list="rooms"' not in page
    resp = organizer.post(f"/events/{ev['id']}/kiosks", {"name": "Sala", "mode": "room",
                                                        "room": "Sala 110"})
    assert resp.status_code == 302
    assert "nie ma sali „Sala 110”" in organizer.get(resp.headers["Location"]).get_data(
        as_text=True)
    with engine.connect() as conn:
        assert conn.execute(select(kiosks.c.id)).first() is None
    page = organizer.post(f"/events/{ev['id']}/kiosks", {"name": "Sala", "mode": "room",
                                                        "room": "Sala 101"})
    assert page.status_code == 200
    with engine.connect() as conn:
        assert conn.execute(select(kiosks.c.room)).scalar_one() == "Sala 101"


def test_kiosk_states_are_said_in_words(organizer: Client, engine: Engine) -> None:
    from admin.queries import kiosks as q_kiosks

    ev = make_event(engine)
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "k1", ev["id"], "Wejście 1")
        q_kiosks.record_status(conn, "k1", printer_state="ready", camera_state="running")
        q_kiosks.ensure_kiosk(conn, "k2", ev["id"], "Wejście 2")
        q_kiosks.record_status(conn, "k2", printer_state="off", camera_state="unavailable")
    page = organizer.get(f"/events/{ev['id']}/kiosks").get_data(as_text=True)
    table = page[page.index("<tbody>"):page.index("</tbody>")]
    for words in ("drukarka gotowa", "kamera działa", "bez drukarki", "kamera niedostępna"):
        assert words in table
    for raw in (">ready<", ">running<", ">off<", ">unavailable<"):
        assert raw not in table
