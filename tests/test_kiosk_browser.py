"""The attendee's screen and staff mode in Debian's chromium, driven by Playwright.

The app runs in a thread (werkzeug's threaded server) on 127.0.0.1; results are made
by the real check-in path and reach the page by server-sent events. Screenshots go to
``tests/artifacts/`` for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from a11y import tab_to
from browser_kit import (
    ARTIFACTS,
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

pytestmark = NEEDS_CHROMIUM
sync_api = require_module("playwright.sync_api", "playwright")


@pytest.fixture
def app_config(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Extra Flask config for one test (``indirect`` parametrization)."""
    return dict(getattr(request, "param", {}))


@pytest.fixture
def kiosk(tmp_path: Path, roster: RosterSnapshot, event_key: Ed25519PrivateKey,
          app_config: dict[str, Any]) -> Iterator[Kiosk]:
    with serve_kiosk(tmp_path / "kiosk", roster, event_key,
                     app_config={"LANG_RESET_SECONDS": 5.0, **app_config}) as kiosk:
        yield kiosk


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def inside_viewport(page: Any, selector: str) -> None:
    """The element is fully on screen and its text is not cut off."""
    box = page.locator(selector).bounding_box()
    size = page.viewport_size
    assert box is not None, selector
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= size["width"] + 1, (selector, box)
    assert box["y"] + box["height"] <= size["height"] + 1, (selector, box)
    clipped = page.locator(selector).evaluate(
        "el => el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1")
    assert not clipped, f"{selector} overflows its box"


# -- the attendee's screen ------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])
def test_scan_result_shown_announced_and_translated(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/")
    assert page.locator("html").get_attribute("lang") == "pl"
    page.locator("#preview").wait_for(state="visible")  # frames arrived from /preview.mjpg
    kiosk.wait_for_page()
    inside_viewport(page, ".prompt h1")
    inside_viewport(page, "#camera")
    shot(page, f"screen-{size}-idle")

    kiosk.runtime.checkin.scan(token_for(kiosk.key, 1))
    title = page.locator("#result-title")
    sync_api.expect(title).to_have_text("Witaj, Anna Kowalska")
    sync_api.expect(page.locator("#result")).to_have_class("result tone-ok")
    sync_api.expect(page.locator("#result-icon")).to_have_text("✓")
    sync_api.expect(page.locator("#announce")).to_have_text(
        "Witaj, Anna Kowalska. Zapraszamy!")
    inside_viewport(page, "#result-title")
    inside_viewport(page, "#result-detail")
    shot(page, f"screen-{size}-ok")

    page.locator("#lang-toggle").click()
    sync_api.expect(title).to_have_text("Welcome, Anna Kowalska")
    sync_api.expect(page.locator("#result-detail")).to_have_text("Come in!")
    assert page.locator("html").get_attribute("lang") == "en"
    sync_api.expect(page.locator("#lang-toggle")).to_have_text("Polski")
    shot(page, f"screen-{size}-ok-en")

    # A newer result replaces this one and leaves after its own ``seconds``; the idle
    # prompt is back, still in English.
    kiosk.runtime.bus.publish("scan", {
        "result": "invalid", "tone": "error", "icon": "✕", "seconds": 0.5, "name": None,
        "title": {"pl": "Nieprawidłowy kod", "en": "Invalid code"},
        "detail": {"pl": "Pomoc: punkt informacyjny w holu.",
                   "en": "Help: the help desk in the hall."}})
    sync_api.expect(title).to_have_text("Invalid code")
    sync_api.expect(page.locator("#result")).to_be_hidden(timeout=2000)
    sync_api.expect(page.locator("#announce")).to_have_text("")
    sync_api.expect(page.locator(".prompt h1")).to_have_text(
        "Show the QR code from your invitation")
    # The choice outlives a reload...
    page.reload()
    sync_api.expect(page.locator(".prompt h1")).to_have_text(
        "Show the QR code from your invitation")
    # ...but not the next attendee: after LANG_RESET_SECONDS idle, back to Polish.
    sync_api.expect(page.locator(".prompt h1")).to_have_text(
        "Pokaż kod QR z\u00a0zaproszenia", timeout=9000)
    assert page.locator("html").get_attribute("lang") == "pl"


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])
def test_refusals_are_readable_with_icon_and_words(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()

    kiosk.runtime.checkin.scan(token_for(kiosk.key, 3))  # Zofia: registration cancelled
    sync_api.expect(page.locator("#result-title")).to_have_text("Rejestracja anulowana")
    sync_api.expect(page.locator("#result")).to_have_class("result tone-error")
    sync_api.expect(page.locator("#result-icon")).to_have_text("✕")
    sync_api.expect(page.locator("#announce")).to_contain_text("punkt informacyjny w holu")
    inside_viewport(page, "#result-detail")
    shot(page, f"screen-{size}-error")

    # A newer scan replaces the one on screen: a long name, twice, for the longest words.
    kiosk.runtime.checkin.scan(token_for(kiosk.key, 5))
    kiosk.runtime.checkin.scan(token_for(kiosk.key, 5))
    sync_api.expect(page.locator("#result-title")).to_have_text(
        "Witaj ponownie, Katarzyna Cecuga-Nowak")
    sync_api.expect(page.locator("#result")).to_have_class("result tone-ok")
    inside_viewport(page, "#result-title")
    inside_viewport(page, "#result-detail")

    # A warning (here the room kiosk's "no seats left"), published as the check-in would.
    kiosk.runtime.bus.publish("scan", {
        "result": "full", "tone": "warn", "icon": "!", "seconds": 3, "name": "Anna Kowalska",
        "title": {"pl": "Brak wolnych miejsc", "en": "No seats left"},
        "detail": {"pl": "Warsztat: praca z rodziną: wszystkie miejsca (30) są zajęte. "
                         "Pomoc: punkt informacyjny w holu.",
                   "en": "Warsztat: praca z rodziną: all 30 seats are taken. "
                         "Help: the help desk in the hall."}})
    sync_api.expect(page.locator("#result")).to_have_class("result tone-warn")
    sync_api.expect(page.locator("#result-icon")).to_have_text("!")
    inside_viewport(page, "#result-detail")
    shot(page, f"screen-{size}-warn")


def test_handheld_scanner_types_a_code(kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()
    # A keyboard wedge sends the whole code within milliseconds. Typed from here, the keys
    # arrive as fast as that even on a loaded test machine (page.keyboard.type can leave
    # gaps over the page's 120 ms limit there, and the code would arrive cut).
    def wedge(code: str) -> None:
        page.evaluate("""code => {
            for (const key of code + "\\n") {
                document.body.dispatchEvent(new KeyboardEvent("keydown", {
                    key: key === "\\n" ? "Enter" : key, bubbles: true, cancelable: true}));
            }
        }""", code)

    wedge(token_for(kiosk.key, 4))
    sync_api.expect(page.locator("#result-title")).to_have_text("Witaj, Paweł Dąbrowski")
    scan = kiosk.runtime.store.reader.recent_scans()[0]
    assert (scan["attendee_id"], scan["source"]) == (4, "handheld")
    # Slow typing is a person at the keyboard, not a scanner: nothing is sent. Then a
    # scanner again: once its result shows, anything sent before it would be recorded.
    page.keyboard.type("ABCDEFGHI", delay=160)
    page.keyboard.press("Enter")
    wedge(token_for(kiosk.key, 1))
    sync_api.expect(page.locator("#result-title")).to_have_text("Witaj, Anna Kowalska")
    assert [s["attendee_id"] for s in kiosk.runtime.store.reader.recent_scans()] == [1, 4]


def test_camera_banner_comes_and_goes(kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()
    banner = page.locator("#camera-banner")
    sync_api.expect(banner).to_be_hidden()
    kiosk.runtime.bus.publish("camera", {"status": "unavailable", "message": "gone"},
                              sticky=True)
    sync_api.expect(banner).to_be_visible()
    sync_api.expect(banner).to_contain_text(
        "Kamera niedostępna — prosimy podejść do punktu informacyjnego")
    inside_viewport(page, "#camera-banner")
    shot(page, "screen-800x480-camera-down")
    page.locator("#lang-toggle").press("Enter")
    sync_api.expect(banner).to_contain_text("Camera unavailable — please go to the help desk")
    kiosk.runtime.bus.publish("camera", {"status": "running"}, sticky=True)
    sync_api.expect(banner).to_be_hidden()


def test_reconnecting_marker_after_the_stream_drops(
    kiosk: Kiosk, open_page: Callable[..., Any]
) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()
    marker = page.locator("#reconnecting")
    sync_api.expect(marker).to_be_hidden()
    page.route("**/events", lambda route: route.abort())  # the server "goes away"
    page.evaluate("() => window.stop()")  # drops the open stream; EventSource retries
    sync_api.expect(marker).to_be_visible()
    page.unroute("**/events")
    sync_api.expect(marker).to_be_hidden(timeout=8000)
    kiosk.runtime.checkin.scan(token_for(kiosk.key, 4))
    sync_api.expect(page.locator("#result-title")).to_have_text("Witaj, Paweł Dąbrowski")


# -- staff mode -----------------------------------------------------------------------------------


def test_staff_by_keyboard_only(kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    size = "800x480"
    page = open_page(SMALL)
    page.goto(kiosk.url + "/")
    tab_to(page, ".staff-link", limit=25, check_focus=False)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/login**")
    pin = page.locator("#pin")
    sync_api.expect(pin).to_be_focused()
    shot(page, f"staff-{size}-login")
    page.keyboard.type("1111")
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("#login-error")).to_contain_text("Nieprawidłowy PIN")
    page.locator("#pin").focus()
    page.keyboard.type(PIN)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/")

    search = page.locator("#q")
    sync_api.expect(search).to_be_focused()
    page.keyboard.type("lukasz")
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/?q=lukasz")
    sync_api.expect(page.locator("#results .name")).to_have_text(["Łukasz Wójcik"])
    shot(page, f"staff-{size}-search")

    tab_to(page, "#results button[type=submit]", limit=25, check_focus=False)
    page.keyboard.press("Enter")
    outcome = page.locator("#outcome")
    sync_api.expect(outcome).to_contain_text("Witaj, Łukasz Wójcik")
    sync_api.expect(outcome).to_be_focused()
    scans = kiosk.runtime.store.reader.recent_scans()
    assert [(s["attendee_id"], s["source"]) for s in scans] == [(2, "manual")]
    shot(page, f"staff-{size}-checked-in")

    tab_to(page, "a[href='/staff/scans']", limit=25, check_focus=False)
    page.keyboard.press("Enter")
    page.wait_for_url("**/staff/scans")
    sync_api.expect(page.locator("table.scans tbody tr")).to_have_count(1)
    sync_api.expect(page.locator("table.scans tbody")).to_contain_text("Wpuszczono")
    shot(page, f"staff-{size}-scans")

    tab_to(page, "#logout-form button", limit=25, check_focus=False)
    page.keyboard.press("Enter")
    page.wait_for_url(kiosk.url + "/")


def test_staff_search_while_typing(kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    page = open_page(LARGE)
    page.goto(kiosk.url + "/staff/")
    page.wait_for_url("**/staff/login**")
    for digit in PIN:  # the on-screen keypad, as on the touchscreen
        page.locator(f"#keypad button[data-digit='{digit}']").click()
    page.locator("form.pin-form button[type=submit]").click()  # the one "Zaloguj"
    page.wait_for_url("**/staff/")
    page.locator("#q").fill("wisniewska")
    sync_api.expect(page.locator("#results .name")).to_have_text(["Zofia Wiśniewska"])
    sync_api.expect(page.locator("#results .state")).to_have_text(["Rejestracja anulowana"])
    sync_api.expect(page.locator("#results-count")).to_have_text("Znaleziono: 1")
    shot(page, "staff-1920x1080-search")
    page.locator("#results button[type=submit]").click()
    sync_api.expect(page.locator("#outcome")).to_contain_text("Rejestracja anulowana")
    shot(page, "staff-1920x1080-refused")
    # Typed results say who is in, as the server-made page does.
    kiosk.runtime.checkin.scan(token_for(kiosk.key, 1))
    page.locator("#q").fill("kowalska")
    state = page.locator("#results .state")
    sync_api.expect(state).to_have_text([re.compile(r"^Wejście o \d\d:\d\d$")])
    sync_api.expect(state).to_have_class("state inside")


@pytest.mark.parametrize("app_config", [{"STAFF_IDLE_SECONDS": 1}], indirect=True)
def test_idle_staff_page_returns_to_the_attendee_screen(
    kiosk: Kiosk, open_page: Callable[..., Any]
) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/staff/?q=anna")
    page.locator("#pin").fill(PIN)
    page.locator("#pin").press("Enter")
    page.wait_for_url("**/staff/?q=anna")
    sync_api.expect(page.locator("#results .name")).to_have_text(["Anna Kowalska"])
    # Nobody touches it: the names leave the screen by themselves.
    page.wait_for_url(kiosk.url + "/", timeout=5000)
    sync_api.expect(page.locator(".prompt h1")).to_contain_text("Pokaż kod QR")
    page.goto(kiosk.url + "/staff/")
    page.wait_for_url("**/staff/login**")


# -- the printer and kiosk problems ---------------------------------------------------------------


class StatePrinter:
    """A started printer whose state a test sets."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.state = state

    def reprint(self, attendee_id: int) -> str:
        return "job-1"

    def stop(self) -> None: ...


PAPER_OUT = {"status": "paper_out", "queued": 2, "message": "paper_out: paper end sensor",
             "code": "paper_out"}


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])
def test_printer_fault_is_a_small_footer_line(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()
    note = page.locator("#printer-note")
    sync_api.expect(note).to_be_hidden()

    kiosk.runtime.bus.publish("printer", PAPER_OUT, sticky=True)
    sync_api.expect(note).to_be_visible()
    sync_api.expect(page.locator("#printer-text")).to_have_text(
        "Drukarka: brak papieru — identyfikator odbierzesz w\u00a0punkcie informacyjnym")
    assert "paper end sensor" not in page.locator("body").inner_text()
    for selector in ("#printer-note", ".foot", ".staff-link", ".prompt h1", "#camera"):
        inside_viewport(page, selector)
    # Discreet: footer-sized, not a banner.
    sizes = page.evaluate("""() => [getComputedStyle(document.getElementById('printer-note'))
        .fontSize, getComputedStyle(document.querySelector('.foot p')).fontSize]""")
    assert sizes[0] == sizes[1]
    shot(page, f"screen-{size}-printer-out")

    # A result covers the stage only: the line stays, and so does everything in it.
    kiosk.runtime.checkin.scan(token_for(kiosk.key, 1))
    sync_api.expect(page.locator("#result-title")).to_have_text("Witaj, Anna Kowalska")
    sync_api.expect(note).to_be_visible()
    inside_viewport(page, "#result-detail")
    inside_viewport(page, "#printer-note")
    shot(page, f"screen-{size}-printer-out-ok")

    page.locator("#lang-toggle").click()
    sync_api.expect(note).to_contain_text(
        "Printer: out of paper — collect your badge at the help desk")
    kiosk.runtime.bus.publish("printer", {"status": "ready", "queued": 0}, sticky=True)
    sync_api.expect(note).to_be_hidden()


def test_a_new_screen_learns_the_printer_state(
    kiosk: Kiosk, open_page: Callable[..., Any]
) -> None:
    kiosk.runtime.bus.publish("printer", {"status": "offline", "queued": 0}, sticky=True)
    page = open_page(SMALL)
    page.goto(kiosk.url + "/")
    sync_api.expect(page.locator("#printer-note")).to_contain_text("Drukarka: niedostępna")
    kiosk.runtime.bus.publish("printer", {"status": "cover_open", "queued": 0}, sticky=True)
    sync_api.expect(page.locator("#printer-note")).to_contain_text("Drukarka: otwarta pokrywa")


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])
def test_kiosk_error_result_renders(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    page = open_page(viewport)
    page.goto(kiosk.url + "/")
    kiosk.wait_for_page()
    sub = kiosk.runtime.bus.subscribe()
    try:
        kiosk.runtime.store.set_meta("event", None)  # the roster is gone: not ready
        assert kiosk.runtime.checkin.handle_code(token_for(kiosk.key, 1)) is None
        payload: dict[str, Any] = {}
        while payload.get("result") != "kiosk_error":
            kind, payload = sub.queue.get(timeout=5)
    finally:
        kiosk.runtime.bus.unsubscribe(sub)
    assert payload["scan_id"] is None and payload["name"] is None
    sync_api.expect(page.locator("#result-title")).to_have_text(payload["title"]["pl"])
    sync_api.expect(page.locator("#result-detail")).to_have_text(payload["detail"]["pl"])
    sync_api.expect(page.locator("#result")).to_have_class("result tone-error")
    sync_api.expect(page.locator("#result-icon")).to_have_text("✕")
    sync_api.expect(page.locator("#announce")).to_contain_text(payload["title"]["pl"])
    inside_viewport(page, "#result-title")
    inside_viewport(page, "#result-detail")
    shot(page, f"screen-{size}-kiosk-error")
    page.locator("#lang-toggle").click()
    sync_api.expect(page.locator("#result-title")).to_have_text(payload["title"]["en"])


@pytest.mark.parametrize("viewport", [SMALL, LARGE], ids=["800x480", "1920x1080"])
def test_staff_see_warnings_and_the_printer_on_top(
    kiosk: Kiosk, open_page: Callable[..., Any], viewport: dict[str, int]
) -> None:
    size = f"{viewport['width']}x{viewport['height']}"
    kiosk.runtime.printer = StatePrinter(PAPER_OUT)
    page = open_page(viewport)
    staff_log_in(page, kiosk, "/staff/?q=anna")
    printer = page.locator("#printer-state")
    sync_api.expect(printer).to_be_visible()
    sync_api.expect(printer).to_contain_text("Drukarka: brak papieru")
    sync_api.expect(printer).to_contain_text("W kolejce: 2")
    sync_api.expect(page.locator("#warnings li[data-code=default_pin]")).to_be_visible()
    # Above the page's own content, and the search still fits on the small screen.
    state_box = page.locator(".kiosk-state").bounding_box()
    heading_box = page.locator("h1").bounding_box()
    assert state_box and heading_box and state_box["y"] < heading_box["y"]
    inside_viewport(page, "#printer-state")
    inside_viewport(page, "#q")
    shot(page, f"staff-{size}-warnings")
    page.goto(kiosk.url + "/staff/scans?lang=en")
    sync_api.expect(page.locator("#printer-state")).to_contain_text("Printer: out of paper")
    sync_api.expect(page.locator("#warnings")).to_contain_text("The staff PIN is the default")


def test_staff_pages_fit_800x480_one_header_line_one_login_button(
        kiosk: Kiosk, open_page: Callable[..., Any]) -> None:
    page = open_page(SMALL)
    page.goto(kiosk.url + "/staff/login")
    buttons = page.locator("form.pin-form button[type=submit]")
    sync_api.expect(buttons).to_have_count(1)  # not "OK" on the pad and "Zaloguj" below
    sync_api.expect(buttons).to_have_text("Zaloguj")
    staff_log_in(page, kiosk)
    for token in ("tok-a", "tok-b", "tok-c"):  # a few scans, so the list has rows
        kiosk.runtime.checkin.scan(token_for(kiosk.key, 1) if token == "tok-a" else token)
    for path in ("/staff/", "/staff/scans"):
        page.goto(kiosk.url + path)
        header = page.locator("header.top").bounding_box()
        link = page.locator("header.top nav a").first.bounding_box()
        assert header is not None and link is not None
        assert header["height"] < 2 * link["height"], (path, header)  # one line, no wrap
    sync_api.expect(page.locator("table.scans tbody tr").first).to_be_visible()
    # Each row's time and its day stand on one line (the day is not pushed below).
    tops = page.evaluate("""() => [...document.querySelectorAll('table.scans tbody td:first-child')]
        .map(td => [...td.querySelectorAll('time, .day')].map(e => e.getBoundingClientRect()))
        .map(boxes => boxes.length < 2 ? 0 : Math.abs(boxes[1].bottom - boxes[0].bottom))""")
    assert tops and max(tops) < 6, tops
