"""The README's demo command: the whole system starts, scans reach the admin, Ctrl-C stops it."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from browser_kit import LARGE, NEEDS_CHROMIUM, admin_log_in
from kiosk_process import free_port_run

from sync.wire import BASE_PATH

pytestmark = pytest.mark.e2e


def status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=2) as resp:
        return json.load(resp)


def admin_scans(db_path) -> dict[str, int]:
    if not db_path.exists():
        return {}
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    try:
        # Not the one scan the demo seeds for its offline second entrance.
        return dict(db.execute("SELECT kiosk_id, count(*) FROM scans "
                               "WHERE boot_id != 'demo-offline' GROUP BY kiosk_id"))
    except sqlite3.OperationalError:
        return {}
    finally:
        db.close()


def test_demo_runs_the_whole_system_and_stops_cleanly(tmp_path):
    port = free_port_run(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
    log_path = tmp_path / "demo.log"
    out = open(log_path, "wb")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen([sys.executable, "-m", "bramka", "demo", "--dir",
                             str(tmp_path / "demo"), "--port", str(port)],
                            env=env, stdout=out, stderr=out, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 90
        entrance = room = {}
        synced: dict[str, int] = {}
        printed: list = []
        while time.monotonic() < deadline:
            try:
                entrance, room = status(port + 1), status(port + 2)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login",
                                            timeout=2) as resp:
                    assert resp.status == 200
            except OSError:
                time.sleep(0.5)
                continue
            synced = admin_scans(tmp_path / "demo" / "admin" / "bramka.db")
            printed = list((tmp_path / "demo" / "printed-badges").glob("*.png"))
            if len(synced) == 2 and min(synced.values()) >= 2 and printed:
                break
            time.sleep(0.5)
        log = log_path.read_text(errors="replace")
        assert len(synced) == 2 and min(synced.values()) >= 2, (synced, log[-3000:])
        assert entrance["roster_size"] > 500 and room["roster_size"] > 500
        assert entrance["camera"]["status"] == "running"
        assert entrance["sync"]["status"] == "ok" and room["sync"]["status"] == "ok"
        assert room["kiosk"]["mode"] == "room" and room["session_override"] is not None
        assert printed, "no badge printed"
        # One double entry, the one the demo makes on purpose: a copied badge used at the
        # offline second entrance and then at the main one. Room re-entries are not.
        from admin.db import make_engine
        from admin.queries.stats import double_entry_rows

        engine = make_engine(f"sqlite:///{tmp_path / 'demo' / 'admin' / 'bramka.db'}")
        try:
            with engine.connect() as conn:
                doubles = double_entry_rows(conn, 1)
        finally:
            engine.dispose()
        assert [(d["first_kiosk"], d["kiosk"]) for d in doubles] == [
            ("Wejście B (bez sieci)", "Wejście główne")], doubles
        for text in ("organizator / demo-organizator", "wolontariusz / demo-wolontariusz",
                     f"http://127.0.0.1:{port}/", "PIN 2468"):
            assert text in log
        # The console keeps the addresses in sight: no request or migration narration
        # (both are in the demo's log file instead), nothing after the banner but warnings.
        assert "alembic" not in log and f'"POST {BASE_PATH}/' not in log, log[-3000:]
        after_banner = log.split("Press Ctrl-C to stop.", 1)[1]
        assert " INFO " not in after_banner, after_banner[-3000:]
        demo_log = (tmp_path / "demo" / "demo.log").read_text()
        assert f'"POST {BASE_PATH}/scans' in demo_log and "alembic" in demo_log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()
    assert code == 0
    assert "Demo stopped." in log_path.read_text()


@contextmanager
def running_demo(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`bramka demo` in its own process, until its admin answers; stopped with Ctrl-C."""
    port = free_port_run(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
    log_path = tmp_path / "console.log"
    with open(log_path, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bramka", "demo", "--dir",
                                 str(tmp_path / "demo"), "--port", str(port)],
                                env=env, stdout=out, stderr=out, cwd=tmp_path)
        try:
            deadline = time.monotonic() + 90
            while "Press Ctrl-C to stop." not in log_path.read_text(errors="replace"):
                assert proc.poll() is None and time.monotonic() < deadline, \
                    log_path.read_text(errors="replace")[-3000:]
                time.sleep(0.2)
            yield port, log_path
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()


WATCH = """() => {
  window.__problems = [];
  for (const id of ["offline", "expired", "render-error"]) {
    const el = document.getElementById(id);
    new MutationObserver(() => {
      if (!el.hidden) { window.__problems.push(id + ": " + el.textContent); }
    }).observe(el, { attributes: true, attributeFilter: ["hidden"] });
  }
}"""


@NEEDS_CHROMIUM[0]
@NEEDS_CHROMIUM[1]
def test_demo_dashboard_stays_live_for_30_seconds(
        tmp_path: Path, open_page: Callable[..., Any]) -> None:
    """The organizer's live view of the demo: redrawn every poll for half a minute while
    the kiosks scan, never "brak połączenia" (nor a login or drawing problem)."""
    with running_demo(tmp_path) as (port, _log):
        page = open_page(LARGE)
        admin_log_in(page, f"http://127.0.0.1:{port}", "organizator", "demo-organizator")
        page.goto(f"http://127.0.0.1:{port}/events/1/dashboard")
        expect = pytest.importorskip("playwright.sync_api").expect
        generated = page.locator("#generated")
        expect(generated).not_to_have_text("…")  # the first poll has drawn the page
        page.evaluate(WATCH)
        first_count = int(page.inner_text("#checked-in"))
        seen = [page.inner_text("#generated")]
        started = time.monotonic()
        while time.monotonic() - started < 30:
            # The next redraw: "as of" changes with every poll (3 s apart).
            expect(generated).not_to_have_text(seen[-1], timeout=20_000)
            seen.append(generated.inner_text())
        problems = page.evaluate("window.__problems")
        assert problems == [], problems
        assert len(seen) >= 6, seen  # about ten polls in 30 s; fewer would be a stall
        assert page.is_hidden("#offline") and page.is_hidden("#render-error"), (
            page.inner_text("#render-error-detail"))
        assert int(page.inner_text("#checked-in")) > first_count  # the kiosks kept scanning
        # Rooms under their venue, the venue said once and without its street address.
        venues = page.locator("#rooms tr.venue th").all_inner_texts()
        assert venues and len(venues) == len(set(venues)), venues
        assert not any("ul." in v for v in venues), venues
        assert "Sala 101" in page.locator("#rooms").inner_text()
