"""Tamper-evident scans (issue 10, item 5): each kiosk's hash chain, its signed head, and
``bramka admin audit verify``.

A kiosk (its real store and sync client) uploads over real HTTP to a served admin; its
SQLite file is then edited by hand the way someone covering a mistake would (the
append-only triggers dropped first), and the next upload is refused and reported. The
admin's own database edited by hand is caught by ``audit verify``.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import test_sync
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from test_sync import enroll, token

from admin.cli import admin_group
from admin.queries import kiosks as q_kiosks
from admin.schema import kiosk_chain_heads, kiosks, scans
from sync.chain import GENESIS, chained, verify_run
from sync.scans import ScanRecord, new_scan_id
from sync.transport import SyncRejected

T0 = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)
event, served = test_sync.event, test_sync.served  # the sync tests' fixtures


def _record(i: int) -> ScanRecord:
    return ScanRecord(id=new_scan_id(), kiosk_id="k", event_id=1, attendee_id=i % 7 + 1,
                      badge_revision=1, result="ok", admitted=True,
                      wall_time=T0 + timedelta(seconds=i), monotonic_ns=10**9 + i,
                      boot_id="b", raw=f"QR{i}")


def _chain(n: int) -> list[ScanRecord]:
    out, prev = [], GENESIS
    for i in range(n):
        rec = chained(_record(i), i + 1, prev)
        out.append(rec)
        prev = rec.chain or ""
    return out


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 30), data=st.data())
def test_any_single_change_drop_duplicate_or_swap_breaks_the_chain(n, data):
    good = _chain(n)
    assert verify_run(good, 0, GENESIS) is None
    i = data.draw(st.integers(0, n - 1))
    kind = data.draw(st.sampled_from(["change", "drop", "duplicate", "swap"]))
    bad = list(good)
    if kind == "change":
        field = data.draw(st.sampled_from(["wall_time", "attendee_id", "result", "raw",
                                           "monotonic_ns", "admitted"]))
        value = {"wall_time": good[i].wall_time + timedelta(microseconds=1),
                 "attendee_id": (good[i].attendee_id or 0) + 100, "result": "unknown",
                 "raw": (good[i].raw or "") + "x", "monotonic_ns": good[i].monotonic_ns + 1,
                 "admitted": not good[i].admitted}[field]
        bad[i] = good[i].model_copy(update={field: value})
    elif kind == "drop":
        if i == n - 1:
            i = 0  # dropping the newest leaves a shorter, valid chain: its head says more
        del bad[i]
    elif kind == "duplicate":
        bad.insert(i, good[i])
    else:
        j = (i + 1) % n
        bad[i], bad[j] = bad[j], bad[i]
    assert verify_run(bad, 0, GENESIS) is not None


def _edit_kiosk_db(path: Path, sql: str, args: list[Any]) -> None:
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER IF EXISTS scans_append_only_update")
    db.execute("DROP TRIGGER IF EXISTS scans_append_only_delete")
    db.execute(sql, args)
    db.commit()
    db.close()


@pytest.mark.parametrize("edit", ["delete", "time"])
def test_a_kiosk_db_edited_by_hand_is_caught_at_the_next_upload(engine, served, event,
                                                                tmp_path, edit):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        first = kiosk.checkin.scan(token(engine, event["id"], event["anna"])).scan
        assert kiosk.client.contact().pushed == 1
        made = [kiosk.checkin.scan(token(engine, event["id"], p)).scan
                for p in (event["lukasz"], event["anna"], event["lukasz"])]
        db_path = next(Path(kiosk.settings.kiosk.data_dir).glob("*.db"))
        if edit == "delete":  # the second of the three never happened, says someone
            _edit_kiosk_db(db_path, "DELETE FROM outbox WHERE scan_id = ?", [made[1].id])
            _edit_kiosk_db(db_path, "DELETE FROM scans WHERE id = ?", [made[1].id])
        else:  # Łukasz came in earlier than he did
            _edit_kiosk_db(db_path, "UPDATE scans SET wall_time = ? WHERE id = ?",
                           [(made[0].wall_time - timedelta(hours=2)).isoformat(), made[0].id])
        with pytest.raises(SyncRejected) as refused:
            kiosk.client.contact()
        assert refused.value.code == "chain_broken"
        assert refused.value.error.detail["problem"] == ("gap" if edit == "delete"
                                                         else "edited")
        with engine.connect() as conn:
            stored = set(conn.execute(select(scans.c.id)).scalars())
            kiosk_row = q_kiosks.get_kiosk(
                conn, kiosk.client.store.reader.get_meta("sync_kiosk_id"))
        assert stored == {first.id}  # nothing of the edited upload was merged
        assert kiosk_row["chain_problem"]
        assert kiosk.store.reader.outbox_size() == (2 if edit == "delete" else 3)
    finally:
        kiosk.close()


def test_a_forged_head_signature_is_refused(engine, served, event, tmp_path, monkeypatch):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        kiosk.checkin.scan(token(engine, event["id"], event["anna"]))
        monkeypatch.setattr(kiosk.client, "_sign_head", lambda batch: "AAAA" * 22)
        with pytest.raises(SyncRejected) as refused:
            kiosk.client.contact()
        assert refused.value.error.detail["problem"] == "signature"
        monkeypatch.undo()
        assert kiosk.client.contact().pushed == 1  # the kiosk's own signature is fine
        with engine.connect() as conn:
            assert conn.execute(select(kiosks.c.chain_problem)).scalar() == ""
    finally:
        kiosk.close()


def _config(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[admin]\ndatabase_url = "{db_url}"\ndata_dir = "{tmp_path / "data"}"\n')
    return path


def test_audit_verify_finds_an_admin_db_edited_by_hand(engine, served, event, tmp_path,
                                                       db_url):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        for p in (event["anna"], event["lukasz"], event["anna"]):
            kiosk.checkin.scan(token(engine, event["id"], p))
        assert kiosk.client.contact().pushed == 3
    finally:
        kiosk.close()
    config = _config(tmp_path, db_url)
    runner = CliRunner()
    ok = runner.invoke(admin_group, ["--config", str(config), "audit", "verify",
                                     "--event", str(event["id"])])
    assert ok.exit_code == 0, ok.output
    assert "3 chained scans, 1 signed heads" in ok.output
    assert "1 of 1 kiosk chains hold" in ok.output
    with engine.begin() as conn:  # the second scan "was" an hour earlier
        second = conn.execute(select(scans.c.id).where(scans.c.chain_seq == 2)).scalar_one()
        conn.execute(update(scans).where(scans.c.id == second).values(
            wall_time=T0 - timedelta(hours=1)))
    bad = runner.invoke(admin_group, ["--config", str(config), "audit", "verify"])
    assert bad.exit_code == 1
    assert "BROKEN" in bad.output and f"seq 2 (scan {second}): changed after upload" in bad.output
    with engine.begin() as conn:  # and then deleted, to hide it
        conn.execute(scans.delete().where(scans.c.id == second))
    bad = runner.invoke(admin_group, ["--config", str(config), "audit", "verify"])
    assert bad.exit_code == 1 and "seq 2–2: missing" in bad.output
    with engine.connect() as conn:
        assert conn.execute(select(kiosk_chain_heads.c.seq)).scalar() == 3
