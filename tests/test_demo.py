"""The README's demo command: starts, scans and prints on its own, stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from kiosk_process import free_port_pair

pytestmark = pytest.mark.e2e


def status(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=2) as resp:
        return json.load(resp)


def test_demo_runs_scans_prints_and_stops(tmp_path):
    port = free_port_pair()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
    out = open(tmp_path / "demo.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "bramka", "demo", "--dir",
                             str(tmp_path / "demo"), "--port", str(port)],
                            env=env, stdout=out, stderr=out, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        entrance = room = {}
        while time.monotonic() < deadline:
            try:
                entrance, room = status(port), status(port + 1)
            except OSError:
                time.sleep(0.3)
                continue
            printed = list((tmp_path / "demo" / "printed-badges").glob("*.png"))
            if entrance["scans_total"] >= 2 and room["scans_total"] >= 2 and printed:
                break
            time.sleep(0.3)
        log = (tmp_path / "demo.log").read_text(errors="replace")
        assert entrance.get("scans_total", 0) >= 2, log
        assert room.get("scans_total", 0) >= 2, log
        assert entrance["roster_size"] > 500 and entrance["camera"]["status"] == "running"
        assert room["kiosk"]["mode"] == "room" and room["session_override"] is not None
        assert printed, "no badge printed"
        assert "PIN 2468" in log and f"http://127.0.0.1:{port}/" in log
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()
    assert code == 0
    assert "Demo stopped." in (tmp_path / "demo.log").read_text()
