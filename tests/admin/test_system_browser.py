"""Across the system, in Debian's chromium: the help desk replaces a badge in the admin, the
kiosk syncs, and the old badge is refused on the kiosk's screen while the new one works."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import add_person, make_event, span_today
from admin_testkit import PASSWORD, make_user
from browser_kit import (
    ARTIFACTS,
    NEEDS_CHROMIUM,
    admin_log_in,
    launched,
    served,
    wait_for_screens,
)
from support import require_module

from admin.queries import events as q_events
from admin.queries import sync as q_sync
from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from kiosk.web import create_app as create_kiosk

pytestmark = NEEDS_CHROMIUM
playwright = require_module("playwright.sync_api", "playwright")


@pytest.fixture
def system(app: Any, engine: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    ev = make_event(engine)
    span_today(engine, ev["id"])
    lukasz = add_person(engine, ev["id"], "Łukasz", "Wójcik", "GOPS w Gdowie",
                        "lukasz.wojcik@gops.gdow.example")
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, ev["id"], "Wejście główne", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
        old_token = q_events.issue_token(conn, ev["id"], lukasz, 1)
    settings = load_settings(None, {"BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
                                    "BRAMKA_PRINTER__BACKEND": "none"})
    runtime = KioskRuntime(settings)
    try:
        with served(app) as admin_url, served(create_kiosk(runtime)) as kiosk_url:
            runtime.sync_client().enroll(admin_url, code)
            runtime.sync_client().contact()
            yield {"event": ev, "lukasz": lukasz, "kiosk_id": kiosk_id, "old": old_token,
                   "admin": admin_url, "kiosk": kiosk_url, "runtime": runtime}
    finally:
        runtime.stop()


def scan_at(kiosk_url: str, code: str) -> dict[str, Any]:
    req = urllib.request.Request(f"{kiosk_url}/api/scan", data=json.dumps({"code": code})
                                 .encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        return json.load(resp)


def test_replaced_badge_is_refused_at_the_kiosk_after_sync(app, engine, system):
    make_user(app, "wojtek", "volunteer")
    ev, runtime = system["event"], system["runtime"]
    assert runtime.store.reader.attendee(system["lukasz"]).badge_revision == 1
    with launched(playwright) as browser:
        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        admin_log_in(desk, system["admin"], "wojtek", PASSWORD)
        desk.goto(f"{system['admin']}/events/{ev['id']}/helpdesk")
        desk.locator("#q").press_sequentially("lukasz wojc", delay=30)
        desk.locator("#results li a").first.click()
        playwright.expect(desk.locator("#badge-revision")).to_have_text("1")
        # This kiosk has no printer: the help desk refuses to send a print there, and
        # the old badge keeps working until the badge is replaced without printing.
        desk.select_option("form:has(#replace-badge) select[name=kiosk_id]",
                           system["kiosk_id"])
        desk.fill("form:has(#replace-badge) input[name=reason]", "zgubiony")
        desk.click("#replace-badge")
        playwright.expect(desk.locator(".flash.error")).to_contain_text("nie ma drukarki")
        playwright.expect(desk.locator("#badge-revision")).to_have_text("1")
        desk.select_option("form:has(#replace-badge) select[name=kiosk_id]", "")
        desk.fill("form:has(#replace-badge) input[name=reason]", "zgubiony")
        desk.click("#replace-badge")
        playwright.expect(desk.locator("#badge-revision")).to_have_text("2")

        runtime.sync_client().contact()  # the kiosk's next contact with the admin
        assert runtime.store.reader.attendee(system["lukasz"]).badge_revision == 2

        screen = browser.new_page(viewport={"width": 800, "height": 480})
        screen.goto(system["kiosk"])
        playwright.expect(screen.locator("body")).to_have_attribute("data-lang", "pl")
        wait_for_screens(runtime)  # the page's event stream is open
        refused = scan_at(system["kiosk"], system["old"])
        assert (refused["result"], refused["admitted"]) == ("revoked", False)
        title = screen.locator("#result-title")
        playwright.expect(title).to_have_text("Ten identyfikator jest nieaktualny")
        playwright.expect(screen.locator("#announce")).to_contain_text("nieaktualny")
        ARTIFACTS.mkdir(exist_ok=True)
        screen.screenshot(path=str(ARTIFACTS / "system-old-badge-refused-800x480.png"))

        with engine.connect() as conn:
            new_token = q_events.issue_token(conn, ev["id"], system["lukasz"], 2)
        welcome = scan_at(system["kiosk"], new_token)
        assert welcome["result"] == "ok"
        playwright.expect(title).to_have_text("Witaj, Łukasz Wójcik")
