"""Accessibility of the admin in Debian's chromium: axe-core on its pages, keyboard-only help desk.

Every page is checked with axe-core (tests/vendor/axe.min.js) against WCAG 2.0 A/AA and
2.1 AA; no serious or critical violation may remain. The help desk's tasks are then done
with the keyboard alone, and every control the focus lands on must show it.

The app runs in a thread (werkzeug's threaded server) on 127.0.0.1, as in
test_admin_browser.py. The kiosk's screens are checked in tests/test_accessibility.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from a11y import assert_focus_visible, assert_no_serious_violations, tab_to
from admin_fixtures import DAY2_10, add_person, make_event, span_today
from admin_scans import scan
from admin_testkit import PASSWORD, make_user
from browser_kit import NEEDS_CHROMIUM, admin_log_in
from flask import Flask
from sqlalchemy import Engine, select
from support import require_module

from admin.queries import kiosks as q_kiosks
from admin.scans import record_scans
from admin.schema import people

pytestmark = NEEDS_CHROMIUM
sync_api = require_module("playwright.sync_api", "playwright")
INJECTS_SCRIPTS = True  # axe-core, see open_page in tests/conftest.py


def test_admin_pages_pass_axe(app: Flask, engine: Engine, live: str, page: Any) -> None:
    ev = make_event(engine)
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków",
                    "lukasz.wojcik@mops.krakow.pl")
    add_person(engine, ev["id"], "Łucja", "Wójtowicz", "GOPS Gdów", status="cancelled")
    anna = add_person(engine, ev["id"], "Anna", "Kowalska", "PCPR Limanowa")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "wejscie-1", ev["id"], "Wejście główne 1")
        record_scans(conn, [scan(ev["id"], anna, DAY2_10 - timedelta(minutes=5))])
    app.config["DASHBOARD_NOW"] = DAY2_10
    make_user(app, "ola", "organizer")

    page.goto(f"{live}/login")
    assert_no_serious_violations(page, "login")
    page.fill("input[name=username]", "ola")
    page.fill("input[name=password]", "wrong password")
    page.click("#login-submit")
    assert_no_serious_violations(page, "login, wrong password")
    admin_log_in(page, live, "ola", PASSWORD)

    base = f"{live}/events/{ev['id']}"
    pages = {
        "events": f"{live}/events",
        "event": base,
        "help desk, search": f"{base}/helpdesk?q=lukasz",
        "help desk, nobody found": f"{base}/helpdesk?q=zzzz",
        "help desk, person": f"{live}/people/{lw}",
        "help desk, walk-in": f"{base}/walk-in",
        "dashboard": f"{base}/dashboard",
        "kiosks": f"{base}/kiosks",
        "kiosk": f"{live}/kiosks/wejscie-1",
        "program": f"{base}/program",
        "exports": f"{base}/exports",
        "invitations": f"{base}/invitations",
        "import": f"{base}/import",
        "badge designer": f"{base}/badge",
        "accounts": f"{live}/users",
    }
    for name, url in pages.items():
        page.goto(url)
        assert_no_serious_violations(page, f"{name} ({url.removeprefix(live)})")

    # The help desk's search as you type: the script's rendering of the results.
    page.goto(f"{base}/helpdesk")
    page.locator("#q").press_sequentially("wojc", delay=20)
    sync_api.expect(page.locator("#results li a")).to_have_count(2)
    assert_no_serious_violations(page, "help desk, typed search")

    # The dashboard once its numbers came by polling.
    page.goto(f"{base}/dashboard")
    sync_api.expect(page.locator("#checked-in")).to_have_text("1")
    sync_api.expect(page.locator("#arrivals rect")).to_have_count(1)
    assert_no_serious_violations(page, "dashboard, polled")

    # The badge designer showing a refused colour in its live preview, then a saved form
    # that was refused (the error list at the top).
    page.goto(f"{base}/badge")
    page.fill("#colour_speaker", "niebieski")
    sync_api.expect(page.locator("#preview-error")).to_be_visible(timeout=20_000)
    assert_no_serious_violations(page, "badge designer, preview error")
    page.click("#save-badge")
    sync_api.expect(page.locator("#badge-errors")).to_be_visible()
    assert_no_serious_violations(page, "badge designer, refused form")

    # A new kiosk: the enrollment code and its QR for the kiosk's camera.
    page.goto(f"{base}/kiosks")
    page.fill("input[name=name]", "Sala 101 drzwi")
    page.select_option("select[name=mode]", "room")
    page.select_option("select[name=room]", "Sala 101")
    page.get_by_role("button", name="Dodaj i pokaż kod rejestracji").click()
    sync_api.expect(page.locator("#enrollment-code")).to_be_visible()
    assert_no_serious_violations(page, "kiosk enrollment code")
    page.goto(f"{base}/kiosks")  # the list, with the self-service switch
    assert_no_serious_violations(page, "kiosks and self-service")

    # In English too.
    page.goto(f"{live}/people/{lw}")
    page.locator("#lang-toggle").click()
    sync_api.expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_no_serious_violations(page, "help desk, person, English")


def press(page: Any, key: str) -> None:
    """A key press on the focused control, which must show that it has the focus."""
    assert_focus_visible(page)
    page.keyboard.press(key)


def test_help_desk_by_keyboard_alone(app: Flask, engine: Engine, live: str, page: Any) -> None:
    ev = make_event(engine)
    span_today(engine, ev["id"])  # the help desk admits only on the event's days
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków",
                    "lukasz.wojcik@mops.krakow.pl")
    add_person(engine, ev["id"], "Łucja", "Wójtowicz", "GOPS Gdów")
    add_person(engine, ev["id"], "Anna", "Kowalska", "PCPR Limanowa")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "wejscie-1", ev["id"], "Wejście główne 1")
    make_user(app, "wojtek", "volunteer")

    # Log in: the user name field has the focus on arrival.
    page.goto(f"{live}/login")
    sync_api.expect(page.locator("input[name=username]")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("wojtek")
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#login-submit")
    press(page, "Enter")
    page.wait_for_url(lambda url: "/login" not in url)

    # To the help desk through the menu.
    tab_to(page, "header nav a[href$='/helpdesk']")
    press(page, "Enter")
    page.wait_for_url(f"**/events/{ev['id']}/helpdesk")
    search = page.locator("#q")
    sync_api.expect(search).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("lukasz wojc", delay=30)
    results = page.locator("#results li a")
    sync_api.expect(results).to_have_count(1)
    sync_api.expect(results.first).to_contain_text("Łukasz Wójcik")
    tab_to(page, "#results li a")
    press(page, "Enter")
    page.wait_for_url(f"**/people/{lw}")
    sync_api.expect(page.locator("#badge-revision")).to_have_text("1")

    # Replace the badge and send it to the entrance kiosk's printer.
    tab_to(page, "form:has(#replace-badge) select[name=kiosk_id]")
    page.keyboard.press("ArrowDown")  # a closed select takes the next option
    sync_api.expect(page.locator("form:has(#replace-badge) select[name=kiosk_id]")).to_have_value(
        "wejscie-1")
    tab_to(page, "form:has(#replace-badge) input[name=reason]")
    page.keyboard.type("zgubiony")
    tab_to(page, "#replace-badge")
    press(page, "Enter")
    sync_api.expect(page.locator("#badge-revision")).to_have_text("2")
    sync_api.expect(page.locator(".flash.ok")).to_contain_text("„Wejście główne 1”")

    # Check in by hand at the main entrance (the select's first option).
    tab_to(page, "#check-in")
    press(page, "Enter")
    sync_api.expect(page.locator("#presence tbody tr")).to_have_count(1)
    sync_api.expect(page.locator("#presence tbody")).to_contain_text("wejście główne")
    with engine.connect() as conn:
        assert conn.execute(select(people.c.badge_revision)
                            .where(people.c.id == lw)).scalar_one() == 2
