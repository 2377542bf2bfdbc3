"""The admin in Debian's chromium (Playwright): the help desk and the live dashboard.

The app runs in a thread (werkzeug's threaded server) on 127.0.0.1 against a real database.
Screenshots go to ``tests/artifacts/`` for a person to look at.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from admin_fixtures import DAY2_10, add_person, make_event, span_today
from admin_scans import scan
from admin_testkit import PASSWORD, make_user
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM, admin_log_in
from flask import Flask
from sqlalchemy import Engine, select
from support import require_module

from admin.queries import kiosks as q_kiosks
from admin.scans import record_scans
from admin.schema import people
from sync.token import parse_unverified

pytestmark = NEEDS_CHROMIUM
sync_api = require_module("playwright.sync_api", "playwright")


def test_volunteer_finds_lukasz_and_replaces_his_badge(
        app: Flask, engine: Engine, live: str, page: Any) -> None:
    ev = make_event(engine)
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków",
                    "lukasz.wojcik@mops.krakow.pl")
    add_person(engine, ev["id"], "Łucja", "Wójtowicz", "GOPS Gdów")
    add_person(engine, ev["id"], "Anna", "Kowalska", "PCPR Limanowa")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "wejscie-1", ev["id"], "Wejście główne 1")
        q_kiosks.record_status(conn, "wejscie-1", printer_state="ready")
    make_user(app, "wojtek", "volunteer")
    admin_log_in(page, live, "wojtek", PASSWORD)
    page.goto(f"{live}/events/{ev['id']}/helpdesk")
    page.locator("#q").press_sequentially("lukasz wojc", delay=30)
    first = page.locator("#results li a").first
    sync_api.expect(first).to_contain_text("Łukasz Wójcik")
    sync_api.expect(page.locator("#results li a")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-helpdesk-search.png"))
    first.click()
    sync_api.expect(page.locator("#person-name")).to_contain_text("Łukasz Wójcik")
    sync_api.expect(page.locator("#badge-revision")).to_have_text("1")
    page.select_option("select[name=kiosk_id]", "wejscie-1")
    page.fill("form:has(#replace-badge) input[name=reason]", "zgubiony")
    page.click("#replace-badge")
    sync_api.expect(page.locator("#badge-revision")).to_have_text("2")
    sync_api.expect(page.locator(".flash.ok")).to_contain_text("„Wejście główne 1”")
    sync_api.expect(page.locator(".flash.warn")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "admin-helpdesk-person.png"), full_page=True)
    with engine.connect() as conn:
        assert conn.execute(select(people.c.badge_revision)
                            .where(people.c.id == lw)).scalar_one() == 2
        token = q_kiosks.pending_commands(conn, "wejscie-1")[0]["payload"]["badge"]["token"]
    assert parse_unverified(token)[0].revision == 2


def test_dashboard_updates_when_a_scan_arrives(
        app: Flask, engine: Engine, live: str, page: Any) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    add_person(engine, ev["id"], "Jan", "Nowak")
    app.config["DASHBOARD_NOW"] = DAY2_10
    make_user(app, "ola", "organizer")
    admin_log_in(page, live, "ola", PASSWORD)
    page.goto(f"{live}/events/{ev['id']}/dashboard")
    sync_api.expect(page.locator("#registered")).to_have_text("2")
    sync_api.expect(page.locator("#checked-in")).to_have_text("0")
    sync_api.expect(page.locator("#flags")).to_have_text("brak")  # admin.dashboard's words
    url_before = page.url
    with engine.begin() as conn:
        record_scans(conn, [scan(ev["id"], anna, DAY2_10 - timedelta(minutes=5))])
    sync_api.expect(page.locator("#checked-in")).to_have_text("1", timeout=5000)
    sync_api.expect(page.locator("#arrivals rect")).to_have_count(1)
    assert page.url == url_before  # no reload: the numbers came by polling
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)


def test_help_desk_refuses_a_session_not_started_and_the_organizer_overrides_with_a_reason(
        app: Flask, engine: Engine, live: str, page: Any) -> None:
    """Tomorrow's city walk: "Wpuść ręcznie" is refused; the organizer's override asks for
    a reason, and the attendance list shows it."""
    ev = make_event(engine)
    span_today(engine, ev["id"])  # the help desk admits only on the event's days
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków")
    make_user(app, "ola", "organizer")
    admin_log_in(page, live, "ola", PASSWORD)
    page.goto(f"{live}/people/{lw}")
    page.select_option("select[name=session_id]", str(ev["walk"]))
    page.click("#check-in")
    sync_api.expect(page.locator(".flash.error")).to_contain_text("nie przyjmuje teraz wejść")
    form = page.locator("#override")
    sync_api.expect(form).to_be_visible()
    page.click("#override-check-in")  # no reason given: the browser asks for one
    assert page.locator("#override input[name=override_reason]").evaluate(
        "e => !e.validity.valid")
    with engine.connect() as conn:
        from admin.schema import scans
        assert conn.execute(select(scans.c.id)).first() is None
    page.fill("#override input[name=override_reason]", "zapisana telefonicznie")
    page.click("#override-check-in")
    sync_api.expect(page.locator(".flash.ok")).to_contain_text("Zapisano wejście")
    page.screenshot(path=str(ARTIFACTS / "admin-helpdesk-override.png"), full_page=True)
    with engine.connect() as conn:
        from admin.queries import attendance as q_attendance
        [row] = q_attendance.session_attendance(conn, ev["walk"])
    assert row["id"] == lw and row["override_reason"] == "zapisana telefonicznie"


def test_a_print_that_fails_at_the_kiosk_shows_on_the_persons_page_without_a_reload(
        app: Flask, engine: Engine, live: str, page: Any) -> None:
    from admin.queries import sync as q_sync
    from sync.wire import CommandResult

    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "wejscie-1", ev["id"], "Wejście główne 1")
        q_kiosks.record_status(conn, "wejscie-1", printer_state="ready")
    make_user(app, "wojtek", "volunteer")
    admin_log_in(page, live, "wojtek", PASSWORD)
    page.goto(f"{live}/people/{anna}")
    page.select_option("form:has(#replace-badge) select[name=kiosk_id]", "wejscie-1")
    page.fill("form:has(#replace-badge) input[name=reason]", "zgubiony")
    page.click("#replace-badge")
    line = page.locator("#prints li").first
    sync_api.expect(line).to_contain_text("czeka, aż kiosk się połączy")
    url = page.url
    with engine.begin() as conn:  # the kiosk's next contact: taken, and then it failed
        [command] = q_sync.deliver_commands(conn, "wejscie-1")
        q_sync.record_results(conn, "wejscie-1", [CommandResult(
            id=command.id, ok=False, error="this kiosk has no printer")])
    sync_api.expect(line).to_contain_text("kiosk nie wydrukował (this kiosk has no printer)",
                                          timeout=15_000)
    sync_api.expect(line).to_have_class("flag")
    assert page.url == url


def test_walk_in_offers_the_registered_person_and_nothing_spills_out_of_its_card(
        app: Flask, engine: Engine, live: str, open_page: Any) -> None:
    page = open_page({"width": 1366, "height": 900})
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "wejscie-1", ev["id"],
                              "Wejście główne od ulicy Krupniczej, przy szatni i windzie")
        q_kiosks.record_status(conn, "wejscie-1", printer_state="ready")
    make_user(app, "wojtek", "volunteer")
    admin_log_in(page, live, "wojtek", PASSWORD)
    for url in (f"{live}/people/{anna}", f"{live}/events/{ev['id']}/walk-in"):
        page.goto(url)
        overflow = page.evaluate("""() => [...document.querySelectorAll('select')].map(s => {
            const card = s.closest('.card, section, form');
            if (!card) { return 0; }
            return s.getBoundingClientRect().right - card.getBoundingClientRect().right;
        })""")
        assert overflow and max(overflow) <= 0.5, (url, overflow)
    page.fill("input[name=first_name]", "anna")
    page.fill("input[name=last_name]", "kowalska")
    page.fill("input[name=institution]", "MOPS Kraków")
    page.click("#register")
    offer = page.locator("#walk-in-matches")
    sync_api.expect(offer).to_contain_text("Anna Kowalska, MOPS Kraków")
    with engine.connect() as conn:
        from sqlalchemy import func
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 1
    offer.locator("a").first.click()
    page.wait_for_url(f"**/people/{anna}")
