"""Accessibility of the kiosk in Debian's chromium: axe-core on every screen state.

The attendee's screen (idle, each result tone, camera unavailable) at the Pi touchscreen's
800x480 and at 1920x1080, and the staff pages behind the PIN, are checked with axe-core
against WCAG 2.0 A/AA and 2.1 AA; the result screens also against the 7:1 contrast rule
(``color-contrast-enhanced``). No serious or critical violation may remain. The admin's
pages are checked the same way in tests/admin/test_admin_accessibility.py, where the
admin's database fixtures live.

The kiosk server is started as in test_kiosk_browser.py (a werkzeug thread on 127.0.0.1,
results made by the real check-in path).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import assert_focus_visible, assert_no_serious_violations, element_contrast, tab_to
from browser_kit import (
    LARGE,
    NEEDS_CHROMIUM,
    PIN,
    SMALL,
    Kiosk,
    serve_kiosk,
    staff_log_in,
)
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support import require_module, token_for

from sync.roster import RosterSnapshot

VIEWPORTS = pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])

pytestmark = NEEDS_CHROMIUM
sync_api = require_module("playwright.sync_api", "playwright")
INJECTS_SCRIPTS = True  # axe-core, see open_page in conftest.py


@pytest.fixture
def kiosk(tmp_path: Path, roster: RosterSnapshot,
          event_key: Ed25519PrivateKey) -> Iterator[Kiosk]:
    with serve_kiosk(tmp_path / "kiosk", roster, event_key, result_seconds=30) as kiosk:
        yield kiosk


WARN = {"result": "full", "tone": "warn", "icon": "!", "seconds": 30, "name": "Anna Kowalska",
        "title": {"pl": "Brak wolnych miejsc", "en": "No seats left"},
        "detail": {"pl": "Warsztat: praca z rodziną: wszystkie miejsca (30) są zajęte. "
                         "Pomoc: punkt informacyjny w holu.",
                   "en": "Warsztat: praca z rodziną: all 30 seats are taken. "
                         "Help: the help desk in the hall."}}


def check_result_screen(page: Any, where: str) -> dict[str, str]:
    """WCAG A/AA on the page, 7:1 on the result, and the result readable without colour:
    an icon (a distinct mark and shape per tone) and words, on screen and for the reader."""
    title = page.locator("#result-title").inner_text().strip()
    sync_api.expect(page.locator("#announce")).to_contain_text(title)  # heard, not only seen
    assert_no_serious_violations(page, where)
    assert_no_serious_violations(page, f"{where} (7:1)", context="#result",
                                 rules=["color-contrast-enhanced"])
    ratio = element_contrast(page, "#result")  # title, detail and icon share these colours
    assert ratio >= 7, f"{where}: result contrast {ratio:.2f}:1, below 7:1"
    seen = page.evaluate("""() => {
        const r = document.getElementById('result');
        const icon = document.getElementById('result-icon');
        return {tone: r.className, icon: icon.textContent.trim(),
                radius: getComputedStyle(icon).borderRadius,
                transform: getComputedStyle(icon).transform,
                title: document.getElementById('result-title').textContent.trim(),
                detail: document.getElementById('result-detail').textContent.trim()};
    }""")
    assert seen["icon"] and seen["title"] and seen["detail"], seen
    return dict(seen)


@VIEWPORTS
def test_attendee_screen_states_pass_axe(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/")
    page.locator("#preview").wait_for(state="visible")
    kiosk.wait_for_page()
    assert_no_serious_violations(page, f"idle screen {size}")
    assert_no_serious_violations(page, f"idle screen {size} (7:1)",
                                 rules=["color-contrast-enhanced"])

    kiosk.runtime.checkin.scan(token_for(kiosk.key, 1))
    sync_api.expect(page.locator("#result")).to_have_class("result tone-ok")
    ok = check_result_screen(page, f"ok result {size}")

    kiosk.runtime.checkin.scan(token_for(kiosk.key, 3))  # Zofia: registration cancelled
    sync_api.expect(page.locator("#result")).to_have_class("result tone-error")
    error = check_result_screen(page, f"error result {size}")

    kiosk.runtime.bus.publish("scan", WARN)
    sync_api.expect(page.locator("#result")).to_have_class("result tone-warn")
    warn = check_result_screen(page, f"warning result {size}")

    # Not colour alone: each tone has its own mark, and warn its own shape (a diamond).
    assert len({ok["icon"], error["icon"], warn["icon"]}) == 3, (ok, error, warn)
    assert warn["transform"] != ok["transform"], (ok, warn)

    # In English too (the words change, the contrast must not).
    page.locator("#lang-toggle").click()
    sync_api.expect(page.locator("#result-title")).to_have_text("No seats left")
    check_result_screen(page, f"warning result, English {size}")


@VIEWPORTS
def test_camera_unavailable_banner_passes_axe(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()
    kiosk.runtime.bus.publish("camera", {"status": "unavailable", "message": "gone"},
                              sticky=True)
    sync_api.expect(page.locator("#camera-banner")).to_be_visible()
    assert_no_serious_violations(page, f"camera unavailable {size}")
    assert_no_serious_violations(page, f"camera unavailable {size} (7:1)",
                                 context="#camera-banner", rules=["color-contrast-enhanced"])
    ratio = element_contrast(page, "#camera-banner")
    assert ratio >= 7, f"camera banner contrast {ratio:.2f}:1, below 7:1"
    # The banner has a mark and words, not only its colour.
    assert page.locator("#camera-banner .banner-icon").inner_text().strip() == "!"


@VIEWPORTS
def test_staff_pages_pass_axe(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/staff/")
    page.wait_for_url("**/staff/login**")
    assert_no_serious_violations(page, f"staff login {size}")
    page.locator("#pin").fill("1111")
    page.locator("#pin").press("Enter")
    sync_api.expect(page.locator("#login-error")).to_be_visible()
    assert_no_serious_violations(page, f"staff login, wrong PIN {size}")

    staff_log_in(page, kiosk, "/staff/?q=anna")
    kiosk.runtime.checkin.scan(token_for(kiosk.key, 1))
    page.locator("#q").fill("kowalska")  # typed results: the script's rendering
    sync_api.expect(page.locator("#results .name")).to_have_text(["Anna Kowalska"])
    assert_no_serious_violations(page, f"staff search with results {size}")
    page.goto(kiosk.url + "/staff/?q=zzzz")  # the server's rendering, nobody found
    assert_no_serious_violations(page, f"staff search, nobody found {size}")

    page.goto(kiosk.url + "/staff/?q=lukasz")
    page.locator("#results button[type=submit]").first.click()
    sync_api.expect(page.locator("#outcome")).to_contain_text("Łukasz Wójcik")
    assert_no_serious_violations(page, f"staff manual check-in outcome {size}")

    page.goto(kiosk.url + "/staff/scans")
    sync_api.expect(page.locator("table.scans tbody tr")).to_have_count(2)
    assert_no_serious_violations(page, f"staff last scans {size}")
    page.goto(kiosk.url + "/staff/scans?lang=en")
    assert_no_serious_violations(page, f"staff last scans, English {size}")


def test_staff_focus_is_always_visible(kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    """Every stop of the Tab order on the staff pages shows where the focus is."""
    page = open_page(SMALL)
    page.goto(kiosk.url + "/")
    tab_to(page, ".staff-link")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/login**")
    assert_focus_visible(page)  # the PIN field, focused on arrival
    page.keyboard.type(PIN)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")
    sync_api.expect(page.locator("#q")).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type("lukasz")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/?q=lukasz")
    tab_to(page, "#results button[type=submit]")
    tab_to(page, "#logout-form button")
