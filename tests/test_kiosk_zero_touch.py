"""A freshly installed kiosk, a real admin, no keyboard (issue 13).

Real processes on 127.0.0.1: ``bramka admin serve`` and ``bramka kiosk serve`` with no
admin address and no enrollment, its camera an image folder. The kiosk's screen (Debian's
chromium) says to show the enrollment QR; the organizer's QR (the admin's own PNG) comes
into view; the kiosk enrolls, downloads its plan and roster and shows the scan prompt.
Then the organizers change its plan on the admin: the kiosk follows within one contact,
without a restart, and keeps following it with the admin down and after a restart.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from browser_kit import NEEDS_CHROMIUM, SMALL
from kiosk_process import KioskProcess
from test_sync_e2e import AdminProcess, issue, kiosk_query, make_event, scan, wait_for

from admin.db import make_engine, migrate
from admin.kiosk_views import enrollment_qr
from admin.queries import kiosk_plans
from admin.queries import kiosks as q_kiosks
from admin.queries import sync as q_sync

pytestmark = [pytest.mark.e2e, *NEEDS_CHROMIUM]


def show_to_camera(folder: Path, png_data_uri: str) -> Path:
    """The organizer holds the QR up: the image appears in the camera's folder whole."""
    staged = folder.parent / "qr.png"
    staged.write_bytes(base64.b64decode(png_data_uri.split(",", 1)[1]))
    shown = folder / "qr.png"
    staged.rename(shown)
    return shown


def test_a_fresh_kiosk_enrolls_from_the_admin_qr_and_follows_the_admin_plan(
        tmp_path: Path, open_page: Any) -> None:
    db_url = f"sqlite:///{tmp_path / 'admin.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    event = make_event(engine, people=5)
    kiosk_id = event["kiosks"][0]
    admin = AdminProcess(tmp_path, db_url)
    camera = tmp_path / "camera"
    camera.mkdir()
    (tmp_path / "kiosk").mkdir()
    kiosk = KioskProcess(tmp_path / "kiosk" / "data", env={
        "BRAMKA_CAMERA__SOURCE": "images", "BRAMKA_CAMERA__PATH": str(camera),
        "BRAMKA_CAMERA__FPS": "5", "BRAMKA_CAMERA__RETRY_SECONDS": "0.5",
        "BRAMKA_SYNC__INTERVAL_SECONDS": "0.3", "BRAMKA_SYNC__MAX_BACKOFF_SECONDS": "1",
    })
    try:
        admin.start()
        kiosk.start()
        pid = kiosk.proc.pid if kiosk.proc else 0
        assert kiosk.status()["sync"]["status"] == "not_enrolled"
        page = open_page(SMALL)
        # (the live preview is a stream: the page never "loads", its DOM is what counts)
        page.goto(f"http://127.0.0.1:{kiosk.port}/", wait_until="domcontentloaded")
        enroll = page.locator("#enroll")
        enroll.wait_for(state="visible")
        assert "Pokaż kamerze kod QR rejestracji" in enroll.inner_text()
        assert page.locator("#prompt").is_hidden()
        assert page.locator("#ready-banner").is_hidden()

        with engine.begin() as conn:
            code = q_sync.new_enrollment(conn, kiosk_id)
        shown = show_to_camera(camera, enrollment_qr(f"http://127.0.0.1:{admin.port}/",
                                                     code)[1])
        # Enrolled, then the plan and the roster arrive (a first pull that fails shows the
        # honest "not ready" banner meanwhile): the scan prompt, and no banner.
        page.locator("#prompt").wait_for(state="visible", timeout=60_000)
        page.locator("#ready-banner").wait_for(state="hidden", timeout=60_000)
        shown.unlink()  # the organizer puts the phone away
        assert enroll.is_hidden() and page.locator("#prompt").is_visible()
        wait_for("the roster on the kiosk", lambda: kiosk.status()["roster_size"] == 5,
                 timeout=30)
        status = kiosk.status()
        assert status["roster_size"] == 5 and status["sync"]["status"] == "ok"
        assert status["plan"]["source"] == "admin" and status["plan"]["revision"] == 1
        assert "plan z panelu, wersja 1" in page.locator("#plan-note").inner_text()

        with engine.begin() as conn:
            row = q_kiosks.get_kiosk(conn, kiosk_id, lock=True)
            kiosk_plans.save_plan(conn, row, kiosk_plans.PlanForm(
                mode="room", room="Aula", language="en", result_seconds="3",
                help_desk="Info desk, ground floor"))
        # Without a restart: the page loads again in the plan's language.
        page.locator("html[lang='en']").wait_for(state="attached", timeout=30_000)
        page.locator("#plan-note").wait_for(state="visible")
        assert "admin plan, revision 2" in page.locator("#plan-note").inner_text()
        assert "Info desk, ground floor" in page.locator("footer").inner_text()
        status = kiosk.status()
        assert kiosk.proc is not None and kiosk.proc.pid == pid
        assert (status["kiosk"]["mode"], status["kiosk"]["room"]) == ("room", "Aula")
        assert status["plan"]["revision"] == 2 and status["plan"]["result_seconds"] == 3
        wait_for("the admin to hear the kiosk follows revision 2",
                 lambda: _plan_seen(engine, kiosk_id) == 2, timeout=30)
        # Its decisions follow: an entry into the plenary running in the Aula.
        first = scan(kiosk, issue(engine, event["id"], event["people"][0]))
        assert first["admitted"] and first["direction"] == "in"
        assert _session_of(kiosk, first) == event["plenary"]

        with engine.begin() as conn:  # back to an entrance kiosk
            row = q_kiosks.get_kiosk(conn, kiosk_id, lock=True)
            kiosk_plans.save_plan(conn, row, kiosk_plans.PlanForm(
                mode="entrance", language="en", result_seconds="3",
                help_desk="Info desk, ground floor"))
        wait_for("the kiosk to follow revision 3",
                 lambda: kiosk.status()["plan"]["revision"] == 3, timeout=30)
        entry = scan(kiosk, issue(engine, event["id"], event["people"][1]))
        assert entry["admitted"] and _session_of(kiosk, entry) is None
        assert kiosk.status()["kiosk"]["mode"] == "entrance"
        with engine.begin() as conn:  # a room again, offline from here on
            row = q_kiosks.get_kiosk(conn, kiosk_id, lock=True)
            kiosk_plans.save_plan(conn, row, kiosk_plans.PlanForm(
                mode="room", room="Aula", language="en", result_seconds="3"))
        wait_for("the kiosk to follow revision 4",
                 lambda: kiosk.status()["plan"]["revision"] == 4, timeout=30)

        admin.stop()  # offline: the last plan stays in force, across a restart too
        assert kiosk.stop() == 0
        kiosk.start()
        status = kiosk.status()
        assert status["plan"]["source"] == "admin" and status["plan"]["revision"] == 4
        assert (status["kiosk"]["mode"], status["kiosk"]["room"]) == ("room", "Aula")
        later = scan(kiosk, issue(engine, event["id"], event["people"][2]))
        assert later["admitted"] and _session_of(kiosk, later) == event["plenary"]
        code_, html = kiosk.get("/")
        assert code_ == 200 and re.search(r'<html lang="en"', html.decode())
    finally:
        if kiosk.proc is not None:
            kiosk.stop()
        admin.stop()
        engine.dispose()


def _plan_seen(engine: Any, kiosk_id: str) -> int | None:
    with engine.connect() as conn:
        return q_kiosks.get_kiosk(conn, kiosk_id)["plan_seen"]


def _session_of(kiosk: KioskProcess, result: dict[str, Any]) -> int | None:
    """The session the kiosk recorded the scan for, read from its own SQLite file."""
    [(session_id,)] = kiosk_query(
        kiosk, f"SELECT session_id FROM scans WHERE id = '{result['scan_id']}'")
    return session_id
