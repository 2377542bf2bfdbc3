"""Import preview: planning 20 000 rows of a Polish Excel CSV (read, map, validate, match).

The pure step the organizer waits for after uploading a file, before anything is
written; `bench_admin.py` times the import into the database on top. Target <= 5 s
(tests/admin/test_admin_importer.py asserted it before: speed is measured here).

    .venv/bin/python bench/bench_import_plan.py [--rows 20000] [--runs 3]

Exit code 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from admin import sample_data  # noqa: E402
from admin.importer import build_plan  # noqa: E402
from bench.common import write_result  # noqa: E402

TARGET_S = 5.0
SESSIONS = [(1, "Warsztat: piecza zastępcza"), (2, "Gra miejska po Podgórzu")]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = sample_data.polish_excel_csv(sample_data.registrants(args.rows))
    samples = []
    for _ in range(args.runs):
        started = time.perf_counter()
        _table, _mapping, plan = build_plan(data, "rejestracja.csv", [], SESSIONS)
        samples.append(time.perf_counter() - started)
        if len(plan.creates) != args.rows or plan.rejected:
            raise SystemExit(f"plan is wrong: {len(plan.creates)} creates, "
                             f"{len(plan.rejected)} rejected")
    median = round(statistics.median(samples), 3)
    out = write_result("import_plan", {"rows": args.rows, "runs": args.runs,
                                       "target_s": TARGET_S, "median_s": median,
                                       "max_s": round(max(samples), 3)})
    verdict = "ok" if median <= TARGET_S else "MISSED"
    print(f"plan of {args.rows} rows: median {median} s over {args.runs} runs "
          f"(target <= {TARGET_S:g} s) {verdict}\n-> {out}")
    return 0 if median <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
