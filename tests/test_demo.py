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

import pytest
from kiosk_process import free_port_run

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
