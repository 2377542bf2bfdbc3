"""Self-service lookup on a kiosk (issue 14): keystroke -> results, 20 000-person roster.

A kiosk's real web app (threaded werkzeug on 127.0.0.1, as ``bramka kiosk serve``) holds
a roster of 20 000 generated participants (Polish names, ``bramka.demodata``) with
self-service on and a seal for everyone. A person types a surname letter by letter; each
keystroke is one ``GET /self/lookup.json`` over HTTP, as the page's script sends it, until
the whole surname is typed. Measured: every keystroke's round trip (p95 target <= 50 ms),
and the first lookup after the roster arrived, which builds the surname index.

    .venv/bin/python bench/bench_self_service.py [--people 20000] [--surnames 300]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support import served, with_self_service  # noqa: E402

from bench.common import summary_ms, write_result  # noqa: E402
from bramka.config import load_settings  # noqa: E402
from bramka.demodata import generate_congress  # noqa: E402
from kiosk.runtime import KioskRuntime  # noqa: E402
from kiosk.web import create_app  # noqa: E402
from sync import token as tokens  # noqa: E402

TARGET_P95_MS = 50.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=20_000)
    ap.add_argument("--surnames", type=int, default=300, help="surnames typed")
    args = ap.parse_args()
    key = tokens.generate_key()
    congress = generate_congress(attendees=args.people)
    roster = with_self_service(congress.to_snapshot([tokens.public_key_text(key)]), key,
                               secret=os.urandom(32))
    rng = random.Random(14)
    typed = [rng.choice(roster.attendees).last_name for _ in range(args.surnames)]
    with tempfile.TemporaryDirectory(prefix="bramka-bench-self-") as tmp:
        runtime = KioskRuntime(load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": tmp, "BRAMKA_PRINTER__BACKEND": "none"}))
        runtime.checkin.apply_roster(roster)
        try:
            with served(create_app(runtime)) as url:
                host, port = urllib.parse.urlsplit(url).netloc.split(":")
                conn = http.client.HTTPConnection(host, int(port), timeout=10)

                def ask(text: str) -> dict[str, object]:
                    conn.request("GET", "/self/lookup.json?" + urllib.parse.urlencode(
                        {"surname": text}), headers={"Accept": "application/json"})
                    resp = conn.getresponse()
                    body = resp.read()
                    assert resp.status == 200, body
                    return json.loads(body)

                started = time.perf_counter()
                ask(typed[0])  # builds the index
                first = time.perf_counter() - started
                samples, found = [], 0
                for surname in typed:
                    for end in range(1, len(surname) + 1):
                        started = time.perf_counter()
                        answer = ask(surname[:end])
                        samples.append(time.perf_counter() - started)
                    found += bool(answer["matches"]) or bool(answer["too_many"])
                conn.close()
        finally:
            runtime.stop()
    result = {"people": args.people, "surnames": args.surnames, "keystrokes": len(samples),
              "found_whole_surname": found, "first_lookup_s": round(first, 3),
              "keystroke": summary_ms(samples), "target_p95_ms": TARGET_P95_MS}
    path = write_result("self_service", result)
    print(f"{len(samples)} keystrokes on {args.people} people: median "
          f"{result['keystroke']['median_ms']} ms, p95 {result['keystroke']['p95_ms']} ms; "
          f"first lookup {first:.3f} s; whole surname found {found}/{args.surnames} -> {path}")
    return 0 if result["keystroke"]["p95_ms"] <= TARGET_P95_MS else 1


if __name__ == "__main__":
    sys.exit(main())
