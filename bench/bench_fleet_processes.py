"""1 000 kiosks polling every 5 s against 4 admin processes on one PostgreSQL.

    .venv/bin/python bench/bench_fleet_processes.py --database-url postgresql://postgres@127.0.0.1/test

The deployment the README describes for organizers who outgrow one process: four
``bramka admin serve`` processes (waitress) on one PostgreSQL schema, kiosks spread over
them as a reverse proxy would (kiosk *i* talks to process *i mod 4*). Each kiosk's contact
is what an idle kiosk's ``SyncClient.contact`` sends: the roster poll with its current
cursor (unchanged: nothing to download) and the heartbeat with its clock sample and health.
Kiosks are enrolled in the database (a token hash per kiosk), and their contacts come from
a pool of threads in this process with one keep-alive connection per admin and thread, so
the load generator costs little beside the admins. Measured over 30 s: the four
processes' CPU (share of one core, summed) and the contact latency (roster poll +
heartbeat), target p95 <= 50 ms. On this 2-core machine the admins, PostgreSQL and the
load generator share the two cores: the figures are what such a box manages, not a bound.
"""

from __future__ import annotations

import argparse
import heapq
import http.client
import json
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from admin.db import make_engine, migrate  # noqa: E402
from admin.queries import events as q_events  # noqa: E402
from admin.queries import people as q_people  # noqa: E402
from admin.queries import sync as q_sync  # noqa: E402
from admin.schema import kiosks as kiosks_table  # noqa: E402
from admin.sync_api import hash_token  # noqa: E402
from admin.sync_roster import RosterVersions  # noqa: E402
from bench.bench_sync import AdminProcess  # noqa: E402
from bench.common import database_url, summary_ms, write_result  # noqa: E402
from sync.wire import BASE_PATH, PROTOCOL  # noqa: E402

KIOSKS, PROCESSES, INTERVAL_S, DURATION_S, PEOPLE = 1000, 4, 5.0, 30.0, 2000
WORKERS = 48
TARGET_P95_MS = 50.0


def setup(engine: Any) -> tuple[int, str]:
    today = datetime.now(UTC).date()
    with engine.begin() as conn:
        event_id = q_events.create_event(conn, "Kongres", today - timedelta(days=1),
                                         today + timedelta(days=1))
        for n in range(PEOPLE):
            q_people.create_walk_in(conn, event_id, {"first_name": f"Osoba{n}",
                                                     "last_name": f"Nazwisko{n}"}, "bench")
    return event_id, date.today().isoformat()


def enroll_fleet(engine: Any, event_id: int) -> list[str]:
    """Kiosks as enrollment leaves them, straight in the database: their tokens."""
    tokens = []
    with engine.begin() as conn:
        for i in range(KIOSKS):
            kiosk_id = q_sync.create_kiosk(conn, event_id, f"Kiosk {i + 1:04d}", "entrance", "")
            token = secrets.token_urlsafe(32)
            conn.execute(update(kiosks_table).where(kiosks_table.c.id == kiosk_id).values(
                token_hash=hash_token(token), enrolled_at=datetime.now(UTC)))
            tokens.append(token)
    return tokens


class Contacts:
    """The kiosks' contacts, due every INTERVAL_S each, spread evenly, from WORKERS threads."""

    def __init__(self, ports: list[int], tokens: list[str], cursor: str, boot: float) -> None:
        self.ports, self.tokens, self.cursor, self.boot = ports, tokens, cursor, boot
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()
        start = time.monotonic() + 1.0
        self.end = start + DURATION_S
        self.due = [(start + i * INTERVAL_S / KIOSKS, i) for i in range(KIOSKS)]
        heapq.heapify(self.due)

    def _next(self) -> tuple[float, int] | None:
        with self.lock:
            if not self.due or self.due[0][0] >= self.end:
                return None
            at, i = heapq.heappop(self.due)
            heapq.heappush(self.due, (at + INTERVAL_S, i))
            return at, i

    def _contact(self, conns: dict[int, http.client.HTTPConnection], i: int) -> None:
        port = self.ports[i % len(self.ports)]
        conn = conns.get(port)
        if conn is None:
            conn = conns[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        auth = {"Authorization": f"Bearer {self.tokens[i]}"}
        conn.request("GET", f"{BASE_PATH}/roster?cursor={self.cursor}", headers=auth)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"roster {resp.status}: {body[:120]!r}")
        now = datetime.now(UTC).isoformat()
        heartbeat = json.dumps({
            "protocol": PROTOCOL,
            "clock": {"boot_id": f"bench-{i}", "wall_time": now,
                      "monotonic_ns": int((time.monotonic() - self.boot + 60) * 1e9)},
            "health": {"camera": "running", "printer": "ready", "software": "bench",
                       "roster_cursor": self.cursor}}).encode()
        conn.request("POST", f"{BASE_PATH}/heartbeat", body=heartbeat,
                     headers={**auth, "Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError(f"heartbeat {resp.status}: {body[:120]!r}")

    def worker(self) -> None:
        conns: dict[int, http.client.HTTPConnection] = {}
        while (job := self._next()) is not None:
            at, i = job
            time.sleep(max(0.0, at - time.monotonic()))
            t0 = time.perf_counter()
            try:
                self._contact(conns, i)
            except Exception as exc:  # counted; the next contact opens a new connection
                for c in conns.values():
                    c.close()
                conns.clear()
                with self.lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
            else:
                with self.lock:
                    self.latencies.append(time.perf_counter() - t0)
        for c in conns.values():
            c.close()


def run(url: str, tmp: Path) -> dict[str, Any]:
    engine = make_engine(url)
    migrate(engine)
    event_id, _ = setup(engine)
    tokens = enroll_fleet(engine, event_id)
    with engine.connect() as conn:
        cursor = RosterVersions(tmp / "cursor-probe").current(conn, event_id).cursor
    admins = []
    for n in range(PROCESSES):
        folder = tmp / f"admin-{n}"
        folder.mkdir()
        admins.append(AdminProcess(url, folder))
    try:
        contacts = Contacts([a.port for a in admins], tokens, cursor, time.monotonic())
        threads = [threading.Thread(target=contacts.worker, daemon=True)
                   for _ in range(WORKERS)]
        cpu0 = sum(a.cpu_seconds() for a in admins)
        own0, wall0 = os.times(), time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu1 = sum(a.cpu_seconds() for a in admins)
        own1, wall1 = os.times(), time.monotonic()
        rss = [a.rss_mb() for a in admins]
    finally:
        for a in admins:
            a.stop()
        engine.dispose()
    elapsed = wall1 - wall0
    done = len(contacts.latencies) + len(contacts.errors)
    return {
        "kiosks": KIOSKS, "processes": PROCESSES, "interval_s": INTERVAL_S,
        "seconds": round(elapsed, 1), "contacts": done,
        "contacts_per_s": round(done / elapsed, 1), "errors": len(contacts.errors),
        "error_examples": sorted(set(contacts.errors))[:3],
        "admin_cpu_share": round((cpu1 - cpu0) / elapsed, 3),
        "admin_rss_mb": rss,
        "load_generator_cpu_share": round((own1.user + own1.system - own0.user - own0.system)
                                          / elapsed, 3),
        "latency": summary_ms(contacts.latencies),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get(
        "BRAMKA_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bramka-bench-fleet-"))
    try:
        with database_url(args.database_url, tmp) as (url, _label):
            result = run(url, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{result['contacts']} contacts ({result['contacts_per_s']}/s) over "
          f"{PROCESSES} processes: admin CPU {result['admin_cpu_share'] * 100:.0f} % of a core, "
          f"contact p95 {result['latency']['p95_ms']} ms, errors {result['errors']}")
    path = write_result("fleet_processes", {**result, "target_p95_ms": TARGET_P95_MS,
                                            "met": result["latency"]["p95_ms"] <= TARGET_P95_MS
                                            and result["errors"] == 0})
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
