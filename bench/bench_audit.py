"""Audit benchmark: ``bramka admin audit verify`` over 200 000 stored scans.

    .venv/bin/python bench/bench_audit.py                      # SQLite in a temp dir
    .venv/bin/python bench/bench_audit.py --database-url postgresql://postgres@127.0.0.1/test

Four kiosks' chains of 50 000 scans each (``sync.chain``), stored as the upload path
stores them, with a signed head every 500 scans; then ``admin.scan_chain.audit`` reads
every scan back, recomputes every link and checks every signature. Target <= 5 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from admin.bulk import insert_many  # noqa: E402
from admin.db import make_engine, migrate  # noqa: E402
from admin.queries import events as q_events  # noqa: E402
from admin.queries import sync as q_sync  # noqa: E402
from admin.scan_chain import audit  # noqa: E402
from admin.schema import kiosk_chain_heads, kiosks, scans  # noqa: E402
from bench.common import database_url, write_result  # noqa: E402
from sync.chain import GENESIS, chained, public_key_text, sign_head  # noqa: E402
from sync.scans import ScanRecord  # noqa: E402

TARGET_S = 5.0
KIOSKS, PER_KIOSK, HEAD_EVERY = 4, 50_000, 500


def fill(url: str) -> int:
    engine = make_engine(url)
    migrate(engine)
    t0 = datetime(2026, 6, 16, 6, 0, tzinfo=UTC)
    with engine.begin() as conn:
        event_id = q_events.create_event(conn, "Kongres", date(2026, 6, 15), date(2026, 6, 17))
    for k in range(KIOSKS):
        key = Ed25519PrivateKey.generate()
        with engine.begin() as conn:
            kiosk_id = q_sync.create_kiosk(conn, event_id, f"Wejście {k}", "entrance", "")
            conn.execute(kiosks.update().where(kiosks.c.id == kiosk_id).values(
                public_key=public_key_text(key)))
        prev, rows, heads = GENESIS, [], []
        for i in range(PER_KIOSK):
            rec = chained(ScanRecord(
                id=uuid.uuid4().hex, kiosk_id=kiosk_id, event_id=event_id,
                attendee_id=i % 20_000 + 1, badge_revision=1, result="ok", admitted=True,
                wall_time=t0 + timedelta(milliseconds=300 * i), monotonic_ns=10**9 + i,
                boot_id="boot", raw="x" * 90), i + 1, prev)
            prev = rec.chain or ""
            when = rec.wall_time
            rows.append({
                "id": rec.id, "kiosk_id": kiosk_id, "event_id": event_id,
                "attendee_id": rec.attendee_id, "badge_revision": 1, "session_id": None,
                "direction": None, "result": "ok", "admitted": True, "source": "camera",
                "wall_time": when, "scan_time": when, "monotonic_ns": rec.monotonic_ns,
                "boot_id": "boot", "raw": rec.raw, "received_at": when,
                "time_estimated": False, "override_reason": "", "chain_seq": rec.seq,
                "chain_prev": rec.prev, "chain": rec.chain})
            if (i + 1) % HEAD_EVERY == 0:
                heads.append({"kiosk_id": kiosk_id, "seq": i + 1, "chain": prev,
                              "signature": sign_head(key, kiosk_id, i + 1, prev),
                              "public_key": public_key_text(key), "received_at": when})
        with engine.begin() as conn:
            for start in range(0, len(rows), 5000):
                insert_many(conn, scans, rows[start:start + 5000])
            insert_many(conn, kiosk_chain_heads, heads)
    engine.dispose()
    return event_id


def run(url: str) -> dict[str, float | int]:
    fill(url)
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        with engine.connect() as conn:
            reports = audit(conn)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    assert sum(r.scans for r in reports) == KIOSKS * PER_KIOSK
    assert not any(r.broken for r in reports), [r.broken for r in reports]
    return {"scans": KIOSKS * PER_KIOSK, "heads": sum(r.heads for r in reports),
            "seconds": round(seconds, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bramka-bench-audit-"))
    results = {}
    try:
        results["sqlite"] = run(f"sqlite:///{tmp / 'admin.db'}")
        print(f"sqlite: audit verify of {results['sqlite']['scans']} scans in "
              f"{results['sqlite']['seconds']} s", flush=True)
        if args.database_url:
            with database_url(args.database_url, tmp) as (url, _):
                results["postgresql"] = run(url)
            print(f"postgresql: audit verify in {results['postgresql']['seconds']} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    write_result("audit", {"targets": {"audit_verify_s": TARGET_S}, "results": results})
    return 0 if all(r["seconds"] <= TARGET_S for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
