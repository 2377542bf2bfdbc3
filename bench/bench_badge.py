"""Badge printing speed: render + ESC/POS encode one badge, and enqueue -> last byte printed.

Targets: render + encode median <= 50 ms; enqueue -> last byte at the virtual
printer p95 <= 150 ms (the kiosk engineer measures scan -> last byte on top).

    .venv/bin/python bench/bench_badge.py [--badges 300] [--jobs 60]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlite_utils  # noqa: E402

from bench.common import summary_ms, write_result  # noqa: E402
from bramka.config import BadgeSettings, PrinterSettings  # noqa: E402
from bramka.demodata import generate_congress  # noqa: E402
from kiosk.print_queue import PrintWorker, enqueue  # noqa: E402
from kiosk.store_schema import migrate  # noqa: E402
from printers.backends import make_printer  # noqa: E402
from printers.escpos_encode import encode_image  # noqa: E402
from printers.layout import BadgeData, BadgeRenderer, format_event_dates  # noqa: E402
from printers.virtual import VirtualPrinter  # noqa: E402
from sync import token as tokens  # noqa: E402


def demo_badges(count: int) -> list[BadgeData]:
    congress = generate_congress(attendees=max(count, 20))
    key = tokens.generate_key()
    dates = format_event_dates(congress.starts_on, congress.ends_on)
    return [
        BadgeData(
            f"{p.first_name} {p.last_name}",
            p.institution,
            p.role,
            tokens.issue(key, congress.event_id, p.id, p.badge_revision),
            congress.name,
            dates,
        )
        for p in congress.people[:count]
    ]


def bench_render_encode(badges: list[BadgeData], paper_width: int) -> dict[str, object]:
    renderer = BadgeRenderer(BadgeSettings(), paper_width)
    encode_image(renderer.render(badges[0]), paper_width)  # imports, font loading
    samples, sizes = [], []
    for badge in badges:
        started = time.perf_counter()
        data = encode_image(renderer.render(badge), paper_width)
        samples.append(time.perf_counter() - started)
        sizes.append(len(data))
    return {**summary_ms(samples), "median_bytes": int(statistics.median(sizes))}


def measure_enqueue_to_last_byte(badges: list[BadgeData], paper_width: int = 576) -> dict:
    """Enqueue a job (one INSERT + notify) and time until the virtual printer has the
    job's cut, i.e. its last byte, with the real PrintWorker in between. One job at a
    time, so queueing behind earlier jobs is not counted."""
    with tempfile.TemporaryDirectory(prefix="bramka-bench-print-") as tmp:
        base = Path(tmp)
        db = sqlite_utils.Database(base / "kiosk.db")
        db.enable_wal()
        db.execute("PRAGMA synchronous=FULL")
        migrate(db)
        with VirtualPrinter(base / "pages", paper_width=paper_width) as virtual:
            settings = PrinterSettings(
                backend="virtual", port=virtual.port, paper_width=paper_width
            )
            worker = PrintWorker(
                base / "kiosk.db",
                make_printer(settings),
                printer_settings=settings,
                badge_settings=BadgeSettings(),
            )
            worker.start()
            samples = []
            try:
                for number, badge in enumerate(badges, start=1):
                    started = time.monotonic()
                    enqueue(db, badge, attendee_id=number, reason="checkin")
                    worker.notify()
                    if not virtual.wait_for_pages(number, timeout=10):
                        raise RuntimeError(f"job {number} never printed")
                    samples.append(virtual.page_times[number - 1] - started)
            finally:
                worker.stop()
                db.close()
    return summary_ms(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--badges", type=int, default=300)
    ap.add_argument("--jobs", type=int, default=60)
    args = ap.parse_args()
    badges = demo_badges(args.badges)
    result = {
        "render_encode_576": bench_render_encode(badges, 576),
        "render_encode_384": bench_render_encode(badges, 384),
        "enqueue_to_last_byte_576": measure_enqueue_to_last_byte(badges[: args.jobs]),
        "targets": {"render_encode_median_ms": 50, "enqueue_to_last_byte_p95_ms": 150},
    }
    path = write_result("badge", result)
    for name in ("render_encode_576", "render_encode_384", "enqueue_to_last_byte_576"):
        print(f"{name}: {result[name]}")
    print(f"-> {path}")


if __name__ == "__main__":
    main()
