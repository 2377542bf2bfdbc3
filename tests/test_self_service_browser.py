"""Self-service without a QR in Debian's chromium at 800x480 (issue 14): by touch on the
on-screen keyboard and by keyboard alone, a badge printed by the virtual printer, wrong
codes refused, the lockout and the staff's warning, all with the admin unreachable; axe
on every step at both screen sizes.

The kiosk runs as in test_kiosk_browser.py (its web app in a thread on 127.0.0.1, the
real runtime and check-in path); its printer is the ESC/POS virtual printer over TCP; its
admin address is a port nobody listens on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from a11y import assert_no_serious_violations
from browser_kit import LARGE, NEEDS_CHROMIUM, PIN, SMALL, wait_for_screens
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from support import personal_code_of, require_module, served, token_for, with_self_service

from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from kiosk.scanner.decoders import make_decoder
from kiosk.self_service import PERSON_FAILURES
from kiosk.web import create_app
from printers.virtual import VirtualPrinter
from sync.roster import RosterSnapshot

pytestmark = NEEDS_CHROMIUM
sync_api = require_module("playwright.sync_api", "playwright")
expect = sync_api.expect
INJECTS_SCRIPTS = True  # axe-core (conftest.open_page bypasses the CSP for it)


class Kiosk:
    def __init__(self, url: str, runtime: KioskRuntime, printer: VirtualPrinter) -> None:
        self.url, self.runtime, self.printer = url, runtime, printer


@pytest.fixture
def kiosk(tmp_path: Path, roster: RosterSnapshot, event_key: Ed25519PrivateKey
          ) -> Iterator[Kiosk]:
    with VirtualPrinter(tmp_path / "pages") as printer:
        host, port = printer.address
        runtime = KioskRuntime(load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
            "BRAMKA_KIOSK__STAFF_PIN": PIN,
            "BRAMKA_PRINTER__BACKEND": "virtual", "BRAMKA_PRINTER__HOST": host,
            "BRAMKA_PRINTER__PORT": str(port),
            "BRAMKA_SYNC__ADMIN_URL": "http://127.0.0.1:9/",  # the admin is down
            "BRAMKA_SYNC__INTERVAL_SECONDS": "0.5"}))
        runtime.checkin.apply_roster(with_self_service(roster, event_key))
        runtime.start_devices(camera=False)
        app = create_app(runtime, {"SSE_HEARTBEAT_SECONDS": 1.0})
        try:
            with served(app) as url:
                yield Kiosk(url, runtime, printer)
        finally:
            runtime.stop()


def tap(page: Any, text: str) -> None:
    """Type on the on-screen keyboard, key by key."""
    for char in text:
        page.locator(f'.keyboard .key[data-key="{char}"]').click()


def test_by_touch_surname_without_accents_pick_and_code_print_the_badge(
        kiosk: Kiosk, open_page: Callable[..., Any], event_key: Ed25519PrivateKey) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/", wait_until="domcontentloaded")
    page.locator("#no-code").click()
    expect(page.locator("h1")).to_have_text("Wpisz całe nazwisko")
    tap(page, "WOJCIK")  # "Wójcik" without the ó
    match = page.locator("#match-list .match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("Łukasz")
    expect(match).to_contain_text("GOPS w Gdowie")
    assert "Wójcik" not in page.locator("#matches").inner_text()  # first name only
    match.click()
    expect(page.locator("h1")).to_have_text("Potwierdź, że to Ty")
    tap(page, personal_code_of(2, 2).replace("-", ""))
    page.get_by_role("button", name="Potwierdź").click()
    result = page.locator("#self-result")
    expect(result).to_have_attribute("data-tone", "ok")
    expect(result).to_contain_text("Łukasz Wójcik")
    assert kiosk.printer.wait_for_pages(1, timeout=30)
    [png] = sorted((kiosk.printer.out_dir).glob("*.png"))
    image = np.asarray(Image.open(png).convert("L"))
    assert [c.text for c in make_decoder("zxing").decode(image)] == [token_for(event_key, 2, 2)]
    scans = kiosk.runtime.store.reader.recent_scans(1)
    assert scans[0]["source"] == "self_service"
    # The countdown takes the screen back to the scan prompt by itself.
    page.wait_for_url(kiosk.url + "/", timeout=30_000)


def test_by_keyboard_alone_in_english_a_wrong_code_is_refused(
        kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/self/?lang=en")
    expect(page.locator("h1")).to_have_text("Type your whole surname")
    page.locator("#surname").fill("")
    page.keyboard.type("kowalska")
    page.keyboard.press("Enter")
    match = page.locator("#match-list .match")
    expect(match).to_have_count(1)
    match.focus()
    page.keyboard.press("Enter")
    page.locator("#factor").fill(personal_code_of(4))  # Paweł's code, not Anna's
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("We cannot confirm this")
    assert "code" not in page.locator("main").inner_text().lower()  # no hint which part
    assert kiosk.printer.pages == []


def test_repeated_wrong_codes_pause_lookup_and_tell_staff(
        kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    page = open_page(SMALL)
    for _ in range(PERSON_FAILURES):
        page.goto(kiosk.url + "/self/confirm?attendee=1&surname=kowalska")
        page.locator("#factor").fill("AAAAAA")
        page.get_by_role("button", name="Potwierdź").click()
    expect(page.locator("h1")).to_have_text("Samoobsługa chwilowo niedostępna")
    page.goto(kiosk.url + "/self/?surname=kowalska")
    expect(page.locator("h1")).to_have_text("Samoobsługa chwilowo niedostępna")
    page.goto(kiosk.url + "/staff/")
    page.locator("#pin").fill(PIN)
    page.locator("#pin").press("Enter")
    warning = page.locator('#warnings [data-code="self_service_paused"]')
    expect(warning).to_contain_text("Samoobsługa bez kodu QR wstrzymana")
    desk = kiosk.runtime.self_service
    assert desk.paused_until() is not None
    attempts = desk.store.reader.db.execute(
        "SELECT count(*), sum(ok) FROM self_service_attempts").fetchone()
    assert tuple(attempts) == (PERSON_FAILURES, 0)  # the paused page took no more guesses
    assert kiosk.runtime.store.reader.count_scans() == 0 and kiosk.printer.pages == []


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])
def test_every_step_passes_axe(kiosk: Kiosk, open_page: Callable[..., Any],
                               viewport: dict[str, int]) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/", wait_until="domcontentloaded")
    button = page.locator("#no-code")
    button.wait_for(state="visible")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44  # a touch target
    assert box["y"] + box["height"] <= viewport["height"]  # on screen, not cut off
    assert_no_serious_violations(page, f"scan screen with 'I have no code' {size}")
    page.goto(kiosk.url + "/self/")
    page.locator(".keyboard").wait_for(state="visible")
    assert_no_serious_violations(page, f"surname {size}")
    page.locator("#surname").fill("wojcik")
    expect(page.locator("#match-list .match")).to_have_count(1)
    assert_no_serious_violations(page, f"matches {size}")
    page.locator("#surname").fill("nikt-taki")
    expect(page.locator("#matches-note")).to_be_visible()
    assert_no_serious_violations(page, f"nobody found {size}")
    page.goto(kiosk.url + "/self/confirm?attendee=2&surname=wojcik")
    assert_no_serious_violations(page, f"confirm {size}")
    page.locator("#factor").fill("AAAAAA")
    page.get_by_role("button", name="Potwierdź").click()
    expect(page.locator(".outcome")).to_be_visible()
    assert_no_serious_violations(page, f"refused {size}")
    page.goto(kiosk.url + "/self/confirm?attendee=2&surname=wojcik")
    page.locator("#factor").fill(personal_code_of(2, 2))
    page.get_by_role("button", name="Potwierdź").click()
    expect(page.locator("#self-result")).to_be_visible()
    assert_no_serious_violations(page, f"result {size}")
    assert_no_serious_violations(page, f"result {size} (7:1)",
                                 rules=["color-contrast-enhanced"])


def test_a_badge_scanned_meanwhile_shows_its_result_here(
        kiosk: Kiosk, open_page: Callable[..., Any], event_key: Ed25519PrivateKey) -> None:
    """Someone types their surname; the next person shows a QR to the camera anyway."""
    page = open_page(SMALL)
    page.goto(kiosk.url + "/self/")
    page.locator(".keyboard").wait_for(state="visible")
    wait_for_screens(kiosk.runtime)
    kiosk.runtime.checkin.scan(token_for(event_key, 1))
    result = page.locator("#scan-result")
    expect(result).to_contain_text("Anna Kowalska")
    expect(result).to_have_class("outcome tone-ok")
    page.wait_for_url(kiosk.url + "/", timeout=30_000)
