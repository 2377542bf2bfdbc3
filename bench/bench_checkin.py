"""Decide + durable record: one scan through CheckinService onto a real SQLite file.

Target: p99 <= 5 ms. Every scan is committed with synchronous=FULL (an fsync) before
the result is published, so this is dominated by the disk's flush time.

    .venv/bin/python bench/bench_checkin.py [--scans 2000]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import summary_ms, write_result  # noqa: E402
from bramka.config import KioskSettings  # noqa: E402
from bramka.demodata import demo_badges, generate_congress  # noqa: E402
from kiosk.checkin import CheckinService  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from sync import token as tokens  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scans", type=int, default=2000)
    ap.add_argument("--dir", type=Path, default=None,
                    help="where the database goes (default: a temp dir on the work disk)")
    args = ap.parse_args()
    key = tokens.generate_key()
    congress = generate_congress(attendees=520)
    badges = demo_badges(congress, key, forged=20, revoked=10)
    codes = [b.token for b in badges]
    # On the work disk, not /tmp (often tmpfs, where fsync costs nothing); removed after.
    base = args.dir or Path(tempfile.mkdtemp(prefix="bramka-bench-", dir="."))
    try:
        results = run(base, args.scans, congress, key, codes)
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    out = write_result("checkin", {"target": "p99 <= 5 ms", "results": results,
                                   "roster": len(congress.people)})
    for mode, r in results.items():
        print(f"decide+record ({mode}): median {r['median_ms']} ms, p95 {r['p95_ms']} ms, "
              f"p99 {r['p99_ms']} ms over {r['n']} scans")
    print(f"-> {out}")


def run(base: Path, scans: int, congress: Any, key: Any, codes: list[str]
        ) -> dict[str, dict]:
    store = open_store(base / "kiosk")
    store.apply_roster(congress.to_snapshot([tokens.public_key_text(key)]))
    results: dict[str, dict] = {}
    for mode, kw in (("entrance", {}), ("room", {"mode": "room",
                                                 "room": congress.sessions[0].room})):
        svc = CheckinService(store, KioskSettings(id=f"bench-{mode}", **kw))
        rng = random.Random(1)
        samples = []
        for _ in range(scans):
            code = rng.choice(codes)
            t0 = time.perf_counter()
            svc.scan(code)
            samples.append(time.perf_counter() - t0)
        results[mode] = summary_ms(samples)
    store.close()
    return results


if __name__ == "__main__":
    main()
