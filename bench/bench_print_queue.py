"""The print queue never slows a check-in: timings the tests used to assert, measured here.

Three figures, each on a real SQLite file on the work disk (not /tmp, often tmpfs, where
an fsync costs nothing):

- enqueue: one badge queued and committed (synchronous=FULL), as the check-in path does;
  target median <= 50 ms (tests/test_print_queue.py asserted 50 ms before).
- enqueue while the worker prints a slow badge (a virtual printer taking 40 000 bytes/s):
  target max <= 200 ms (the worker never holds the write lock while it prints).
- an admitted entrance check-in with the printer out of paper, through KioskRuntime
  (decide + record + queue the badge): target p99 <= 50 ms (tests/test_kiosk_printing.py
  asserted 3 check-ins in 2 s).

    .venv/bin/python bench/bench_print_queue.py [--jobs 200]

Exit code 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlite_utils  # noqa: E402

from bench.bench_badge import demo_badges as badge_data  # noqa: E402
from bench.common import summary_ms, write_result  # noqa: E402
from bramka.config import BadgeSettings, PrinterSettings, load_settings  # noqa: E402
from bramka.demodata import demo_badges, generate_congress  # noqa: E402
from kiosk.print_queue import PrintWorker, enqueue  # noqa: E402
from kiosk.runtime import KioskRuntime  # noqa: E402
from kiosk.store_schema import migrate  # noqa: E402
from printers.backends import make_printer  # noqa: E402
from printers.virtual import VirtualPrinter  # noqa: E402
from sync import token as tokens  # noqa: E402

TARGETS = {"enqueue_median_ms": 50.0, "enqueue_while_printing_max_ms": 200.0,
           "checkin_paper_out_p99_ms": 50.0}


def _queue_db(path: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db.execute("PRAGMA synchronous=FULL")
    migrate(db)
    return db


def bench_enqueue(base: Path, jobs: int) -> dict[str, Any]:
    db = _queue_db(base / "enqueue.db")
    badges = badge_data(jobs)
    samples = []
    try:
        for n, badge in enumerate(badges):
            started = time.perf_counter()
            with db.atomic():
                enqueue(db, badge, attendee_id=n, reason="checkin")
            samples.append(time.perf_counter() - started)
    finally:
        db.close()
    return summary_ms(samples)


def bench_enqueue_while_printing(base: Path, jobs: int) -> dict[str, Any]:
    path = base / "printing.db"
    db = _queue_db(path)
    badges = badge_data(jobs + 3)
    samples = []
    with VirtualPrinter(base / "pages", paper_width=384) as virtual:
        settings = PrinterSettings(backend="virtual", port=virtual.port, paper_width=384,
                                   timeout_seconds=30, retry_max_seconds=0.3)
        for n in range(3):
            with db.atomic():
                enqueue(db, badges[n], attendee_id=n, reason="checkin")
        virtual.set_fault("slow 40000")
        worker = PrintWorker(path, make_printer(settings), printer_settings=settings,
                             badge_settings=BadgeSettings(fields=["name", "qr"]),
                             poll_seconds=0.05)
        worker.start()
        try:
            deadline = time.monotonic() + 30
            while virtual.bytes_received < 2000:
                if time.monotonic() > deadline:
                    raise RuntimeError("the worker never started printing")
                time.sleep(0.01)
            for n in range(3, jobs + 3):
                started = time.perf_counter()
                with db.atomic():
                    enqueue(db, badges[n], attendee_id=n, reason="reprint")
                samples.append(time.perf_counter() - started)
            mid_job = virtual.bytes_received
        finally:
            virtual.clear_fault()
            worker.stop()
            db.close()
    return {**summary_ms(samples), "printer_bytes_when_done": mid_job}


def bench_checkin_paper_out(base: Path, scans: int) -> dict[str, Any]:
    key = tokens.generate_key()
    congress = generate_congress(attendees=max(scans + 40, 100))
    codes = [b.token for b in demo_badges(congress, key, forged=0, revoked=0)
             if b.expected == "valid"][:scans]
    with VirtualPrinter(base / "paper-out") as virtual:
        virtual.set_fault("paper_out")
        host, port = virtual.address
        settings = load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": str(base / "kiosk"),
            "BRAMKA_PRINTER__BACKEND": "virtual", "BRAMKA_PRINTER__HOST": host,
            "BRAMKA_PRINTER__PORT": str(port), "BRAMKA_PRINTER__RETRY_MAX_SECONDS": "0.5"})
        runtime = KioskRuntime(settings)
        try:
            runtime.checkin.apply_roster(congress.to_snapshot([tokens.public_key_text(key)]))
            runtime.start_devices(camera=False)
            samples, admitted = [], 0
            for code in codes:
                started = time.perf_counter()
                outcome = runtime.checkin.scan(code)
                samples.append(time.perf_counter() - started)
                admitted += bool(outcome.scan.admitted)
        finally:
            runtime.stop()
    return {**summary_ms(samples), "admitted": admitted}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=200)
    ap.add_argument("--dir", type=Path, default=None,
                    help="where the databases go (default: a temp dir on the work disk)")
    args = ap.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="bramka-bench-", dir="."))
    try:
        results = {
            "enqueue": bench_enqueue(base, args.jobs),
            "enqueue_while_printing": bench_enqueue_while_printing(base, min(args.jobs, 50)),
            "checkin_paper_out": bench_checkin_paper_out(base, min(args.jobs, 100)),
        }
    finally:
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)
    figures = {"enqueue_median_ms": results["enqueue"]["median_ms"],
               "enqueue_while_printing_max_ms": results["enqueue_while_printing"]["max_ms"],
               "checkin_paper_out_p99_ms": results["checkin_paper_out"]["p99_ms"]}
    missed = [k for k, target in TARGETS.items() if figures[k] > target]
    out = write_result("print_queue", {"targets": TARGETS, "results": results,
                                       "missed": missed})
    for name, value in figures.items():
        print(f"{name:32} {value:9.3f} (target <= {TARGETS[name]:g})"
              f"{'  MISSED' if name in missed else '  ok'}")
    print(f"-> {out}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
