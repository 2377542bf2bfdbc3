"""End to end: a real kiosk process, a replayed camera clip, the page's event stream."""

from __future__ import annotations

import http.client
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from kiosk_process import KioskProcess
from scanner_clips import make_badge_clip
from support import token_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def roster_file(tmp_path, roster):
    path = tmp_path / "roster.json"
    path.write_text(roster.model_dump_json())
    return path


def test_badge_moving_into_view_is_checked_in_exactly_once(tmp_path, event_key, roster_file):
    made = make_badge_clip(tmp_path / "made.avi", token_for(event_key, 1), seconds=4.0,
                           lead_seconds=1.0, enter_seconds=0.6, noise=4.0, blur=0.8)
    clip = tmp_path / "camera.avi"  # absent at first: the camera is "unavailable"
    kiosk = KioskProcess(tmp_path / "kiosk", env={
        "BRAMKA_CAMERA__SOURCE": "video", "BRAMKA_CAMERA__PATH": str(clip),
        "BRAMKA_CAMERA__RETRY_SECONDS": "0.5",
    })
    loaded = kiosk.cli("kiosk", "load-roster", str(roster_file))
    assert "Loaded 5 attendees" in loaded.stdout
    events: list[tuple[str, dict]] = []

    def listen() -> None:
        played = False
        for kind, data in kiosk.events(timeout=30):
            events.append((kind, data))
            if kind != "camera":
                continue
            if data.get("status") == "unavailable" and not played and not clip.exists():
                made.rename(clip)  # the page is listening: now the badge comes into view
            elif data.get("status") == "running":
                played = True
            elif data.get("status") == "unavailable" and played:
                clip.unlink()  # the clip has ended: play it only once
                return

    kiosk.start()
    try:
        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        listener.join(timeout=40)
        assert not listener.is_alive(), f"clip did not play and end; events: {events}"
    finally:
        assert kiosk.stop() == 0
    scans = [d for k, d in events if k == "scan"]
    assert [(s["result"], s["name"]) for s in scans] == [("ok", "Anna Kowalska")]
    assert scans[0]["title"]["pl"] == "Witaj, Anna Kowalska"
    db = sqlite3.connect(tmp_path / "kiosk" / "kiosk.db")
    try:
        rows = db.execute("SELECT id, result, attendee_id FROM scans").fetchall()
    finally:
        db.close()
    assert rows == [(scans[0]["scan_id"], "ok", 1)]


def test_kill_9_mid_burst_loses_no_accepted_scan(tmp_path, event_key, roster_file):
    kiosk = KioskProcess(tmp_path / "kiosk", args=("--no-camera",))
    kiosk.cli("kiosk", "load-roster", str(roster_file))
    kiosk.start()
    try:
        reported = _burst_then_kill(kiosk, event_key)
    finally:
        kiosk.stop()
    _check_after_crash(tmp_path, kiosk, reported)


def _burst_then_kill(kiosk: KioskProcess, event_key) -> set[str]:
    """Four clients post scans as fast as they can; kill -9 once 300 were accepted."""
    codes = [token_for(event_key, i) for i in (1, 3, 4, 5, 99)] + ["FORGED", "x" * 300]
    accepted: list[str] = []
    refused: list[tuple[int, dict]] = []
    lock = threading.Lock()
    enough = threading.Event()

    def burst(worker: int) -> None:
        conn = kiosk.connection(timeout=5)
        i = worker
        try:
            while True:
                body = json.dumps({"code": codes[i % len(codes)]})
                i += 1
                conn.request("POST", "/api/scan", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = json.loads(resp.read())
                if resp.status != 200:
                    refused.append((resp.status, data))
                    enough.set()
                    return
                with lock:
                    accepted.append(data["scan_id"])
                    if len(accepted) >= 300:
                        enough.set()
        except (OSError, ValueError, http.client.HTTPException):
            return  # the kiosk died under us: expected
        finally:
            conn.close()

    workers = [threading.Thread(target=burst, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    assert enough.wait(timeout=60), "the burst did not get going"
    assert not refused, refused
    kiosk.kill9()
    for w in workers:
        w.join(timeout=10)
    with lock:
        reported = set(accepted)
    assert len(reported) >= 300
    return reported


def _check_after_crash(tmp_path, kiosk: KioskProcess, reported: set[str]) -> None:
    db = sqlite3.connect(tmp_path / "kiosk" / "kiosk.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in db.execute("SELECT id FROM scans")}
        queued = {r[0] for r in db.execute("SELECT scan_id FROM outbox")}
    finally:
        db.close()
    assert reported <= stored, f"{len(reported - stored)} accepted scans lost"
    assert reported <= queued

    kiosk.start()  # a restart after the crash serves again, with everything there
    try:
        status = kiosk.status()
        assert status["scans_total"] == len(stored) and status["unsent_scans"] == len(stored)
        time.sleep(0.2)
    finally:
        assert kiosk.stop() == 0


def test_status_polling_does_not_leak_connections(tmp_path, roster_file):
    """Each request runs on a new server thread; its SQLite reader must be closed after."""
    kiosk = KioskProcess(tmp_path / "kiosk", args=("--no-camera",))
    kiosk.cli("kiosk", "load-roster", str(roster_file))
    kiosk.start()
    try:
        def open_files() -> int:
            return len(list(Path(f"/proc/{kiosk.proc.pid}/fd").iterdir()))

        for _ in range(20):
            kiosk.status()
        before = open_files()
        for _ in range(200):
            assert kiosk.get("/staff/login")[0] == 200
            kiosk.status()
        assert open_files() <= before + 5
    finally:
        assert kiosk.stop() == 0
