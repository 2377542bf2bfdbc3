"""Self-service on the admin's side (issue 14): the organizer's switch and factor, the
roster's seals, the personal code on the invitation, and a kiosk checking someone in
without a QR over real sync, its scan stored with source "self_service".

Runs on SQLite and (when BRAMKA_TEST_DATABASE_URL is set) PostgreSQL.
"""

from __future__ import annotations

from html import unescape
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import add_person, make_event, span_today
from admin_testkit import Client
from flask import Flask
from smtp_kit import Inbox
from sqlalchemy import Engine, select
from support import served as serve_app

from admin.invitations import send_invitations
from admin.queries import events as q_events
from admin.queries import self_service as q_self_service
from admin.queries import sync as q_sync
from admin.roster_export import build_snapshot
from admin.schema import scans
from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from sync import token as tokens
from sync.self_service import CODE_LENGTH, normalize_code, unseal


@pytest.fixture
def event(engine: Engine) -> dict[str, Any]:
    ev = make_event(engine)
    span_today(engine, ev["id"])
    ev["anna"] = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków",
                            "Anna.Kowalska@mops.krakow.pl")
    ev["jan"] = add_person(engine, ev["id"], "Jan", "Lis", "GOPS", None)
    return ev


def switch(organizer: Client, event_id: int, **form: str) -> str:
    resp = organizer.post(f"/events/{event_id}/self-service", data=form, follow_redirects=True)
    assert resp.status_code == 200
    return unescape(resp.get_data(as_text=True))


def test_off_the_roster_carries_nothing(engine: Engine, event: dict[str, Any]) -> None:
    with engine.connect() as conn:
        snapshot = build_snapshot(conn, event["id"])
    assert snapshot.event.self_service is None
    assert all(a.seal is None for a in snapshot.attendees)


def test_on_with_the_code_every_active_person_has_a_seal_the_code_opens(
        organizer: Client, engine: Engine, event: dict[str, Any]) -> None:
    before = _version(engine, event["id"])
    page = switch(organizer, event["id"], enabled="1", factor="code")
    assert "Zapisano" in page and _version(engine, event["id"]) > before  # kiosks re-sync
    with engine.begin() as conn:
        snapshot = build_snapshot(conn, event["id"])
        codes = {p: q_self_service.personal_code(conn, event["id"], p)
                 for p in (event["anna"], event["jan"])}
        key = q_events.signing_key(conn, event["id"])
    service = snapshot.event.self_service
    assert service is not None and service.factor == "code"
    assert snapshot.model_dump_json().count('"seal":"') == 2
    for attendee in snapshot.attendees:
        code = codes[attendee.id]
        assert len(normalize_code(code)) == CODE_LENGTH
        assert attendee.seal is not None and code not in snapshot.model_dump_json()
        token = unseal(service.hash_key, "code", code, event["id"], attendee.id,
                       attendee.badge_revision, attendee.seal)
        assert token is not None
        claim = tokens.verify(token, key.public_key(), event["id"])
        assert (claim.attendee_id, claim.revision) == (attendee.id, attendee.badge_revision)


def test_on_with_the_address_only_people_with_one_can_use_it(
        organizer: Client, engine: Engine, event: dict[str, Any]) -> None:
    switch(organizer, event["id"], enabled="1", factor="email")
    with engine.connect() as conn:
        snapshot = build_snapshot(conn, event["id"])
    seals = {a.id: a.seal for a in snapshot.attendees}
    assert seals[event["jan"]] is None and seals[event["anna"]] is not None
    assert "kowalska@" not in snapshot.model_dump_json().lower()  # no address on a kiosk
    service = snapshot.event.self_service
    assert service is not None
    anna = next(a for a in snapshot.attendees if a.id == event["anna"])
    assert unseal(service.hash_key, "email", "anna.kowalska@MOPS.krakow.pl", event["id"],
                  anna.id, anna.badge_revision, anna.seal or "") is not None


def test_an_unknown_factor_is_refused_with_words(organizer: Client, engine: Engine,
                                                 event: dict[str, Any]) -> None:
    assert "Nieznany drugi składnik." in switch(organizer, event["id"], enabled="1",
                                                factor="pesel")
    with engine.connect() as conn:
        assert not q_events.get_event(conn, event["id"])["self_service_enabled"]


def test_the_invitation_carries_the_personal_code(app: Flask, organizer: Client,
                                                  engine: Engine, event: dict[str, Any],
                                                  smtp: Inbox) -> None:
    switch(organizer, event["id"], enabled="1", factor="code")
    settings = app.config["BRAMKA_ADMIN_SETTINGS"].model_copy(update={"invitation_pdf": True})
    assert send_invitations(engine, settings, event["id"], [event["anna"]]).sent == 1
    with engine.begin() as conn:
        code = q_self_service.personal_code(conn, event["id"], event["anna"])
    (msg,) = smtp.messages
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert f"Twój kod osobisty: {code}" in text and f"Your personal code: {code}" in text
    assert code in html and "Nie mam kodu" in html


def test_a_kiosk_checks_in_without_a_qr_and_the_admin_keeps_the_source(
        organizer: Client, app: Any, engine: Engine, event: dict[str, Any],
        tmp_path: Path) -> None:
    switch(organizer, event["id"], enabled="1", factor="code")
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście A", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
        personal = q_self_service.personal_code(conn, event["id"], event["anna"])
    with serve_app(app) as url:
        runtime = KioskRuntime(load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
            "BRAMKA_PRINTER__BACKEND": "none"}))
        try:
            client = runtime.sync_client()
            client.enroll(url, code)
            client.contact()
            [match] = runtime.self_service.lookup("kowalska").matches
            assert match.first_name == "Anna"
            result = runtime.self_service.confirm(match.attendee_id, personal)
            assert result.outcome is not None and result.outcome.scan.admitted
            client.contact()
        finally:
            runtime.stop()
    with engine.connect() as conn:
        row = conn.execute(select(scans.c.source, scans.c.result, scans.c.attendee_id)
                           .where(scans.c.kiosk_id == kiosk_id)).one()
    assert tuple(row) == ("self_service", "ok", event["anna"])
    person = unescape(organizer.get(f"/people/{event['anna']}").get_data(as_text=True))
    assert "samoobsługa" in person


def _version(engine: Engine, event_id: int) -> int:
    with engine.connect() as conn:
        return q_events.people_version(conn, event_id)


def test_the_help_desk_sees_the_code_and_a_new_badge_has_a_new_one(
        organizer: Client, engine: Engine, event: dict[str, Any]) -> None:
    from admin.queries import people as q_people

    page = unescape(organizer.get(f"/people/{event['anna']}").get_data(as_text=True))
    assert 'id="personal-code"' not in page  # self-service off: no code to tell
    switch(organizer, event["id"], enabled="1", factor="code")
    with engine.begin() as conn:
        first = q_self_service.personal_code(conn, event["id"], event["anna"])
    page = unescape(organizer.get(f"/people/{event['anna']}").get_data(as_text=True))
    assert f'<strong id="personal-code">{first}</strong>' in page
    with engine.begin() as conn:
        q_people.replace_badge(conn, event["anna"], "ola", "zgubiony")
        second = q_self_service.personal_code(conn, event["id"], event["anna"])
        snapshot = build_snapshot(conn, event["id"])
    assert second != first
    page = unescape(organizer.get(f"/people/{event['anna']}").get_data(as_text=True))
    assert f'<strong id="personal-code">{second}</strong>' in page
    anna = next(a for a in snapshot.attendees if a.id == event["anna"])
    service = snapshot.event.self_service
    assert service is not None and anna.badge_revision == 2
    opened = [unseal(service.hash_key, "code", code, event["id"], anna.id, 2, anna.seal or "")
              for code in (first, second)]
    with engine.connect() as conn:
        key = q_events.signing_key(conn, event["id"]).public_key()
    with pytest.raises(tokens.TokenError):
        tokens.verify(opened[0] or "", key, event["id"])  # the lost invitation's code
    assert tokens.verify(opened[1] or "", key, event["id"]).revision == 2
