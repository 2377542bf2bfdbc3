"""Across the system (issue 12 part 3): an organizer designs the badge in the admin, in
Debian's chromium, with its live preview; a real kiosk process syncing with that admin
over HTTP gets the template, and its next badge, printed on a virtual Brother QL, is the
new design: the template's length, the logo on top, the QR still scanning."""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from admin_fixtures import add_person, make_event, span_today
from admin_testkit import PASSWORD, make_user
from browser_kit import ARTIFACTS, NEEDS_CHROMIUM, admin_log_in, launched
from kiosk_process import KioskProcess
from PIL import Image
from support import served
from test_sync_e2e import scan

from admin.queries import badge_templates as q_badge
from admin.queries import events as q_events
from admin.queries import sync as q_sync
from kiosk.scanner.decoders import make_decoder
from printers.profiles import get_profile
from printers.virtual_server import make_virtual
from sync.badge_template import template_hash

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.e2e]
playwright = pytest.importorskip("playwright.sync_api")
PROFILE = get_profile("ql-62")  # 62 mm endless: the template's height decides the length


def wait_for(condition: Any, timeout: float, what: str) -> Any:
    """Poll a condition of another process until it holds (no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def decoded(image: Image.Image) -> list[str]:
    return [c.text for c in make_decoder("zxing").decode(np.asarray(image.convert("L")))]


def black_rows(image: Image.Image, columns: slice) -> np.ndarray:
    """Rows where the label is solid black across ``columns``."""
    return (np.asarray(image.convert("L"))[:, columns] < 128).all(axis=1)


@pytest.fixture
def system(app: Any, engine: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    ev = make_event(engine)
    span_today(engine, ev["id"])
    people = [add_person(engine, ev["id"], "Łukasz", "Wójcik", "GOPS w Gdowie"),
              add_person(engine, ev["id"], "Żaneta", "Ćwiąkalska", "MOPS Kraków")]
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, ev["id"], "Wejście główne", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
        tokens = [q_events.issue_token(conn, ev["id"], p, 1) for p in people]
    printer = make_virtual(PROFILE, tmp_path / "labels")
    host, port = printer.start()
    kiosk = None
    try:
        with served(app) as admin_url:
            kiosk = KioskProcess(tmp_path / "kiosk", args=("--no-camera",), env={
                "BRAMKA_PRINTER__PROFILE": PROFILE.name, "BRAMKA_PRINTER__BACKEND": "network",
                "BRAMKA_PRINTER__HOST": host, "BRAMKA_PRINTER__PORT": str(port),
                "BRAMKA_SYNC__ADMIN_URL": admin_url, "BRAMKA_SYNC__INTERVAL_SECONDS": "0.3",
                "BRAMKA_SYNC__MAX_BACKOFF_SECONDS": "1"})
            kiosk.cli("kiosk", "enroll", admin_url, code)
            kiosk.start()
            yield {"event": ev, "tokens": tokens, "admin": admin_url, "kiosk": kiosk,
                   "printer": printer, "labels": tmp_path / "labels"}
    finally:
        if kiosk is not None and kiosk.proc is not None:
            kiosk.stop()
        printer.stop()


def preview_settled(page: Any, state: str) -> None:
    """Wait until the preview shows the answer to the form's last change, in ``state``."""
    page.wait_for_function(
        "s => { const i = document.getElementById('preview-image');"
        " return i.dataset.state === s && i.dataset.version === i.dataset.asked; }",
        arg=state, timeout=30_000)


def labels(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.png"))


def test_a_badge_designed_in_the_admin_is_the_kiosks_next_badge(app, engine, system,
                                                                 tmp_path):
    ev, kiosk, printer = system["event"], system["kiosk"], system["printer"]
    wait_for(lambda: kiosk.status()["roster_size"] == 2, 30, "the first roster")
    assert kiosk.status()["badge_template"] is None
    assert scan(kiosk, system["tokens"][0])["result"] == "ok"
    assert printer.wait_for_pages(1, timeout=30)
    before = Image.open(labels(system["labels"])[0])
    assert decoded(before) == [system["tokens"][0]]
    middle = slice(PROFILE.width_dots // 2 - 40, PROFILE.width_dots // 2 + 40)
    assert not black_rows(before, middle)[:250].any()  # no logo on the default badge

    logo = tmp_path / "logo.png"
    Image.new("RGB", (600, 240), (0, 0, 0)).save(logo)
    make_user(app, "ola", "organizer")
    with launched(playwright) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        admin_log_in(page, system["admin"], "ola", PASSWORD)
        page.goto(f"{system['admin']}/events/{ev['id']}")
        page.click("nav.tabs >> text=Identyfikator")
        playwright.expect(page.locator("h1")).to_contain_text("wzór identyfikatora")
        # A bad colour: the live preview says what is wrong, in Polish.
        page.fill("#colour_speaker", "niebieski")
        preview_settled(page, "error")
        playwright.expect(page.locator("#preview-error")).to_contain_text("#rrggbb")
        page.fill("#colour_speaker", "#0055aa")
        page.set_input_files("#upload-logo", str(logo))
        page.check("#field-logo")
        page.fill("#height_mm", "90")
        page.select_option("#preview-profile", PROFILE.name)
        preview_settled(page, "ready")
        playwright.expect(page.locator("#preview-error")).to_be_hidden()
        shown = page.evaluate("document.getElementById('preview-image').src")
        assert shown.startswith("data:image/png;base64,")
        drawn = Image.open(io.BytesIO(base64.b64decode(shown.split(",", 1)[1])))
        assert drawn.size == (PROFILE.width_dots, round(90 / 25.4 * 300))
        assert black_rows(drawn, middle)[:250].any()  # the preview has the logo on top
        page.click("#save-badge")
        playwright.expect(page.locator(".flash.ok")).to_contain_text("Zapisano wzór",
                                                                      timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "badge-designer.png"), full_page=True)

    with engine.connect() as conn:
        saved = q_badge.get_template(conn, ev["id"])
    assert saved is not None and saved.logo is not None and saved.height_mm == 90
    wait_for(lambda: kiosk.status()["badge_template"] == template_hash(saved), 30,
             "the kiosk to hold the new template")

    assert scan(kiosk, system["tokens"][1])["result"] == "ok"
    assert printer.wait_for_pages(2, timeout=30)
    after = Image.open(labels(system["labels"])[1])
    assert decoded(after) == [system["tokens"][1]]
    assert after.size == (PROFILE.width_dots, round(90 / 25.4 * 300))  # the template's length
    logo_rows = black_rows(after, middle)
    assert logo_rows[:250].sum() > 80  # the logo, solid black, on top
    assert after.size != before.size
