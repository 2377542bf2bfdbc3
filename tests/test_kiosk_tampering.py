"""A kiosk's database edited by hand, caught at its next upload: real processes.

A real ``bramka admin serve`` and real ``bramka kiosk serve`` processes on 127.0.0.1. After
the kiosk has scanned (and, in one case, uploaded), it is stopped and its SQLite file is
edited the way someone with shell access to the Pi would: the append-only triggers
dropped, a scan deleted, or a scan's time moved. Started again, the kiosk's next upload
is refused by the admin (``chain_broken``), nothing of it is stored, the kiosk's admin
page says what is broken, and what the admin held before stays as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fault_proxy import FaultProxy
from kiosk_process import KioskProcess
from sqlalchemy import Engine, select
from test_sync_e2e import AdminProcess, enroll, issue, make_event, scan, wait_for

from admin.db import make_engine, migrate
from admin.schema import kiosks, scans

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(tmp_path: Path) -> Iterator[dict[str, Any]]:
    db_url = f"sqlite:///{tmp_path / 'admin.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    event = make_event(engine, people=6)
    admin = AdminProcess(tmp_path, db_url)
    admin.start()
    proxy = FaultProxy("127.0.0.1", admin.port).start()
    (tmp_path / "kiosks").mkdir()
    try:
        yield {"engine": engine, "event": event, "admin": admin, "proxy": proxy,
               "tmp": tmp_path}
    finally:
        proxy.stop()
        admin.stop()
        engine.dispose()


def _kiosk(world: dict[str, Any], name: str, kiosk_id: str) -> KioskProcess:
    kiosk = KioskProcess(world["tmp"] / "kiosks" / name, args=("--no-camera",), env={
        "BRAMKA_KIOSK__ID": name, "BRAMKA_SYNC__INTERVAL_SECONDS": "0.3",
        "BRAMKA_SYNC__MAX_BACKOFF_SECONDS": "1"})
    enroll(kiosk, world["engine"], kiosk_id, world["proxy"].base_url)
    return kiosk


def _stored(engine: Engine, kiosk_id: str) -> list[str]:
    with engine.connect() as conn:
        return [r.id for r in conn.execute(select(scans.c.id).where(
            scans.c.kiosk_id == kiosk_id).order_by(scans.c.chain_seq))]


def _problem(engine: Engine, kiosk_id: str) -> str:
    with engine.connect() as conn:
        return conn.execute(select(kiosks.c.chain_problem).where(
            kiosks.c.id == kiosk_id)).scalar_one() or ""


def _edit(kiosk: KioskProcess, *statements: str) -> None:
    """As a person with a shell on the Pi would: triggers out of the way, then the edit."""
    path = Path(kiosk.env["BRAMKA_KIOSK__DATA_DIR"]) / "kiosk.db"
    db = sqlite3.connect(path)
    try:
        db.execute("DROP TRIGGER IF EXISTS scans_append_only_update")
        db.execute("DROP TRIGGER IF EXISTS scans_append_only_delete")
        for sql in statements:
            db.execute(sql)
        db.commit()
    finally:
        db.close()


def _unsent(kiosk: KioskProcess) -> int:
    path = Path(kiosk.env["BRAMKA_KIOSK__DATA_DIR"]) / "kiosk.db"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(db.execute("SELECT count(*) FROM outbox").fetchone()[0])
    finally:
        db.close()


def test_an_uploaded_scan_deleted_on_the_kiosk_is_caught_at_the_next_upload(
        world: dict[str, Any]) -> None:
    engine, event = world["engine"], world["event"]
    kiosk_id = event["kiosks"][0]
    kiosk = _kiosk(world, "gate-a", kiosk_id).start()
    try:
        wait_for("the roster", lambda: kiosk.status()["roster_size"] > 0, timeout=30)
        made = [scan(kiosk, issue(engine, event["id"], p))["scan_id"]
                for p in event["people"][:2]]
        wait_for("both scans at the admin", lambda: _stored(engine, kiosk_id) == made,
                 timeout=30)
        kiosk.stop()
        _edit(kiosk, f"DELETE FROM scans WHERE id = '{made[1]}'")  # "she was never here"
        kiosk.start()
        later = scan(kiosk, issue(engine, event["id"], event["people"][2]))["scan_id"]
        wait_for("the admin to refuse the upload", lambda: _problem(engine, kiosk_id),
                 timeout=30)
        problem = _problem(engine, kiosk_id)
        assert f"seq 3 (scan {later}): unlinked" in problem, problem
        assert _stored(engine, kiosk_id) == made  # the deleted scan stays; nothing new
        assert later not in _stored(engine, kiosk_id)
        assert _unsent(kiosk) == 1  # kept on the kiosk, not dropped
    finally:
        kiosk.stop()


def test_a_time_moved_on_an_unsent_scan_is_caught_before_anything_is_stored(
        world: dict[str, Any]) -> None:
    engine, event, proxy = world["engine"], world["event"], world["proxy"]
    kiosk_id = event["kiosks"][1]
    kiosk = _kiosk(world, "gate-b", kiosk_id).start()
    try:
        wait_for("the roster", lambda: kiosk.status()["roster_size"] > 0, timeout=30)
        proxy.down = True  # the venue's network is out: scans wait on the kiosk
        made = [scan(kiosk, issue(engine, event["id"], p))["scan_id"]
                for p in event["people"][3:6]]
        kiosk.stop()
        earlier = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
        _edit(kiosk, f"UPDATE scans SET wall_time = '{earlier}' WHERE id = '{made[1]}'")
        proxy.down = False
        kiosk.start()
        wait_for("the admin to refuse the upload", lambda: _problem(engine, kiosk_id),
                 timeout=30)
        # The batch is refused whole: not even the untouched first scan is stored, so the
        # list never holds half of a doctored upload.
        assert _stored(engine, kiosk_id) == []
        assert _unsent(kiosk) == 3
        assert f"seq 2 (scan {made[1]}): edited" in _problem(engine, kiosk_id)
    finally:
        kiosk.stop()
