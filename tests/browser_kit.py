"""What the browser tests share: Debian's chromium, a kiosk or an admin served on
127.0.0.1 in a thread, a preview stand-in, pages that fail on JavaScript errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support import served, token_for

from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from kiosk.scanner.demo_source import DemoSource
from kiosk.web import create_app
from sync.roster import RosterSnapshot

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SMALL = {"width": 800, "height": 480}  # the official Raspberry Pi touchscreen
LARGE = {"width": 1920, "height": 1080}
PIN = "2468"

# Without chromium these skip, or under CI fail (the ``chromium`` fixture, tests/conftest.py).
NEEDS_CHROMIUM = [pytest.mark.browser, pytest.mark.usefixtures("chromium")]


class DemoPreview:
    """A scanner stand-in for the preview: a few frames of the demo camera, in a loop."""

    def __init__(self, token: str, frames: range = range(12, 20)) -> None:
        source = DemoSource(tokens=[token], fps=10)
        source.open()
        self._jpegs = [cv2.imencode(".jpg", source.render(i))[1].tobytes() for i in frames]
        source.close()
        self.state = {"status": "running"}

    def latest_jpeg(self, max_width: int = 640) -> bytes | None:
        return self._jpegs[int(time.monotonic() * 10) % len(self._jpegs)]

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


@dataclass
class Kiosk:
    url: str
    runtime: KioskRuntime
    key: Ed25519PrivateKey

    def wait_for_page(self, pages: int = 1, timeout: float = 10.0) -> None:
        """Until that many screens listen to the event stream."""
        wait_for_screens(self.runtime, pages, timeout)


def wait_for_screens(runtime: KioskRuntime, pages: int = 1, timeout: float = 10.0) -> None:
    """Until that many screens listen to the kiosk's event stream."""
    deadline = time.monotonic() + timeout
    while runtime.bus.subscriber_count() < pages:
        if time.monotonic() > deadline:
            raise AssertionError("the page did not open its event stream")
        time.sleep(0.02)


@contextmanager
def serve_kiosk(data_dir: Path, roster: RosterSnapshot, key: Ed25519PrivateKey, *,
                result_seconds: float = 10, app_config: dict[str, Any] | None = None
                ) -> Iterator[Kiosk]:
    """A kiosk with the roster loaded and a preview, its web app served in a thread."""
    settings = load_settings(None, {"BRAMKA_KIOSK__DATA_DIR": str(data_dir),
                                    "BRAMKA_PRINTER__BACKEND": "none",
                                    "BRAMKA_KIOSK__RESULT_SECONDS": str(result_seconds)})
    runtime = KioskRuntime(settings)
    runtime.checkin.apply_roster(roster)
    runtime.scanner = DemoPreview(token_for(key, 1))
    app = create_app(runtime, {"SSE_HEARTBEAT_SECONDS": 1.0, "PREVIEW_IDLE_SECONDS": 1.0,
                               **(app_config or {})})
    try:
        with served(app) as url:
            yield Kiosk(url, runtime, key)
    finally:
        runtime.scanner = None
        runtime.stop()


@contextmanager
def launched(playwright: Any) -> Iterator[Any]:
    """Debian's chromium, launched as the tests need it."""
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def page_opener(browser: Any, **context_options: Any) -> Iterator[Callable[..., Any]]:
    """``open(viewport)`` makes a page; any JavaScript error or anything the page's
    Content-Security-Policy blocked, on any page, fails the test."""
    contexts: list[Any] = []
    errors: list[str] = []

    def _open(viewport: dict[str, int] = SMALL) -> Any:
        context = browser.new_context(viewport=viewport, locale="pl-PL", **context_options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if (
            msg.type == "error" and "Content Security Policy" in msg.text) else None)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def staff_log_in(page: Any, kiosk: Kiosk, path: str = "/staff/") -> None:
    """Into a kiosk's staff mode with the PIN, landing on ``path``."""
    page.goto(kiosk.url + path)
    page.locator("#pin").fill(PIN)
    page.locator("#pin").press("Enter")
    page.wait_for_url("**" + path)


def admin_log_in(page: Any, base: str, username: str, password: str) -> None:
    """Into the admin through its login form."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-submit")
    page.wait_for_url(lambda url: "/login" not in url)
