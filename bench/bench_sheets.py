"""A4 badge sheets (8 A7 badges a page) for a roster of 500: target <= 10 s.

.venv/bin/python bench/bench_sheets.py [--attendees 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_badge import demo_badges  # noqa: E402
from bench.common import write_result  # noqa: E402
from bramka.config import BadgeSettings  # noqa: E402
from printers.sheets import write_sheets  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--attendees", type=int, default=500)
    args = ap.parse_args()
    badges = demo_badges(args.attendees)
    with tempfile.TemporaryDirectory(prefix="bramka-bench-sheets-") as tmp:
        out = Path(tmp) / "sheets.pdf"
        started = time.perf_counter()
        pages = write_sheets(badges, BadgeSettings(), out)
        seconds = time.perf_counter() - started
        size = out.stat().st_size
    result = {
        "attendees": len(badges),
        "pages": pages,
        "seconds": round(seconds, 3),
        "pdf_bytes": size,
        "target_seconds": 10,
    }
    path = write_result("sheets", result)
    print(f"{len(badges)} badges, {pages} pages, {seconds:.2f} s, {size / 1e6:.1f} MB -> {path}")


if __name__ == "__main__":
    main()
