"""Sync benchmark: the kiosk's real SyncClient against a real admin served over HTTP.

    .venv/bin/python bench/bench_sync.py                      # SQLite in a temp dir
    .venv/bin/python bench/bench_sync.py --database-url postgresql://postgres@127.0.0.1/test

The admin runs as its own process (``python -m bramka admin serve``, waitress) on
127.0.0.1, with an event of 20 000 people (imported from a registration sheet, with
workshop registrations). Measured:

1. Backlog: 10 000 offline scans in one kiosk's outbox reach the admin (``_push`` until
   the outbox is empty: kiosk outbox -> admin commit -> kiosk marks them sent).
   Target >= 10 000 scans/s.
2. Roster: the first download of 20 000 attendees into an empty kiosk, applied (``_pull``),
   target <= 2 s; the bytes on the wire (gzip) per attendee, target <= 100; an idle poll
   (cursor unchanged), median of 50, target <= 20 ms.
3. Fleet: 100 kiosks contacting every 5 s (20 contacts/s: roster poll with an unchanged
   cursor + heartbeat; the empty scan upload is skipped) for 20 s: the admin process's CPU
   share of one core and the contacts' latency.

On PostgreSQL a fresh schema is created and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from admin import sample_data  # noqa: E402
from admin.db import make_engine, migrate  # noqa: E402
from admin.queries import events as q_events  # noqa: E402
from admin.queries import program as q_program  # noqa: E402
from admin.queries import sync as q_sync  # noqa: E402
from admin.queries.importing import run_import  # noqa: E402
from admin.schema import scan_quarantine  # noqa: E402
from admin.schema import scans as scans_table  # noqa: E402
from bench.common import RESULTS, database_url, summary_ms, write_result  # noqa: E402
from bramka.config import load_settings  # noqa: E402
from kiosk.checkin import CheckinService, boot_id  # noqa: E402
from kiosk.events import EventBus  # noqa: E402
from kiosk.store import open_store  # noqa: E402
from kiosk.sync_client import SyncClient  # noqa: E402
from sync import token as tokens  # noqa: E402
from sync import transport  # noqa: E402
from sync.roster import parse_snapshot  # noqa: E402
from sync.scans import ScanRecord  # noqa: E402
from sync.wire import BASE_PATH  # noqa: E402

PEOPLE = 20_000
BACKLOG = 10_000
KIOSKS, INTERVAL_S, FLEET_S = 100, 5.0, 20.0
TARGETS = {"backlog_scans_per_s": 10_000, "roster_first_s": 2.0, "roster_bytes_per_attendee": 100,
           "idle_poll_median_ms": 20.0}


# -- the admin ----------------------------------------------------------------------------------


def setup_admin(engine: Engine) -> dict[str, Any]:
    """An event with a program, two workshops and 20 000 people imported from a sheet."""
    with engine.begin() as conn:
        # The event spans today: the backlog's scans are placed on the admin's clock and
        # a scan outside the event's dates is held in quarantine (sync.rules).
        today = datetime.now(UTC).date()
        event_id = q_events.create_event(conn, "Małopolski Kongres Polityki Społecznej",
                                         min(date(2026, 6, 15), today - timedelta(days=1)),
                                         max(date(2026, 6, 17), today + timedelta(days=1)))
        venue = q_program.add_venue(conn, event_id, "Auditorium Maximum", "ul. Krupnicza 33")
        rooms = [q_program.add_room(conn, venue, name, cap) for name, cap in
                 (("Aula", 1200), ("Sala 101", 600), ("Sala 102", 80), ("Sala 103", 80))]
        for day in range(3):
            base = datetime(2026, 6, 15 + day, 7, 0, tzinfo=UTC)
            for slot in range(2):
                for r, room in enumerate(rooms[:2]):
                    q_program.add_session(conn, event_id, {
                        "title": f"Dzień {day + 1}, blok {slot + 1}, sala {r + 1}",
                        "room_id": room, "starts_at": base + timedelta(hours=3 * slot),
                        "ends_at": base + timedelta(hours=3 * slot + 2), "capacity": None})
        for i, title in enumerate(sample_data.WORKSHOPS):  # the sheet registers for these
            q_program.add_session(conn, event_id, {
                "title": title, "kind": "session" if i == 0 else "side_event",
                "room_id": rooms[2 + i], "starts_at": datetime(2026, 6, 16, 11, 0, tzinfo=UTC),
                "ends_at": datetime(2026, 6, 16, 13, 0, tzinfo=UTC), "capacity": None,
                "registration_required": True})
    csv_bytes = sample_data.polish_excel_csv(sample_data.registrants(PEOPLE))
    with engine.begin() as conn:
        imported = run_import(conn, event_id, csv_bytes, "rejestracja.csv")
        key = q_events.signing_key(conn, event_id)
    summary = imported.summary()
    assert summary["created"] == PEOPLE, summary
    return {"id": event_id, "people": imported.created_ids, "key": key,
            "registrations": summary.get("registrations", 0)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AdminProcess:
    """``python -m bramka admin serve`` (waitress) in its own process."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
        env.update({"BRAMKA_ADMIN__DATABASE_URL": database_url,
                    "BRAMKA_ADMIN__DATA_DIR": str(data_dir),
                    "BRAMKA_CONFIG": str(data_dir / "config.toml")})
        (data_dir / "config.toml").write_text("")
        self.log = open(data_dir / "admin.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bramka", "admin", "serve", "--host", "127.0.0.1",
             "--port", str(self.port)], cwd=data_dir, env=env, stdout=self.log,
            stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{self.url}{BASE_PATH}/roster", timeout=2)  # noqa: S310
            except urllib.error.HTTPError as exc:
                exc.close()
                if exc.code == 401:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the admin did not start: see {data_dir / 'admin.log'}")
            time.sleep(0.1)

    def cpu_seconds(self) -> float:
        """utime + stime of the admin process (all its threads), in seconds."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


# -- kiosks -------------------------------------------------------------------------------------


class Kiosk:
    """A kiosk's store, check-in service and sync client, as the runtime builds them."""

    def __init__(self, data_dir: Path, url: str) -> None:
        self.settings = load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": str(data_dir), "BRAMKA_SYNC__ADMIN_URL": url,
            "BRAMKA_PRINTER__BACKEND": "none"})
        self.store = open_store(data_dir)
        self.checkin = CheckinService(self.store, self.settings.kiosk, bus=EventBus())
        self.client = SyncClient(self.store, self.settings, checkin=self.checkin)
        self.url = url

    @property
    def token(self) -> str:
        token = self.client.token
        assert token
        return token

    def close(self) -> None:
        self.store.close()


def enroll(engine: Engine, url: str, event_id: int, folder: Path, name: str) -> Kiosk:
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event_id, name, "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
    kiosk = Kiosk(folder / kiosk_id, url)
    kiosk.client.enroll(url, code)
    return kiosk


# -- 2. roster ----------------------------------------------------------------------------------


def bench_roster(engine: Engine, url: str, event: dict[str, Any], tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    timings = {}
    for label in ("cold", "warm"):  # cold: the admin builds the snapshot for this request
        kiosk = enroll(engine, url, event["id"], tmp, f"Rejestracja {label}")
        started = time.perf_counter()
        assert kiosk.client._pull(kiosk.url, kiosk.token)
        timings[label] = time.perf_counter() - started
        assert kiosk.store.reader.roster_size() == PEOPLE
        person = event["people"][PEOPLE // 2]
        outcome = kiosk.checkin.scan(tokens.issue(event["key"], event["id"], person))
        assert outcome.scan.result == "ok" and outcome.scan.attendee_id == person  # usable
        assert kiosk.store.reader.search("kowalska", limit=5)
        if label == "warm":
            idle = []
            for _ in range(50):
                started = time.perf_counter()
                assert not kiosk.client._pull(kiosk.url, kiosk.token)
                idle.append(time.perf_counter() - started)
            out["idle_poll"] = summary_ms(idle)
            token = kiosk.token
        kiosk.close()
    out["first_download_cold_s"] = round(timings["cold"], 3)
    out["first_download_warm_s"] = round(timings["warm"], 3)

    # Where the time of one first download goes, and the bytes on the wire.
    req = urllib.request.Request(f"{url}{BASE_PATH}/roster?cursor=", headers={
        "Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310
        wire = resp.read()
        assert resp.headers.get("Content-Encoding") == "gzip"
    fetch_s = time.perf_counter() - started
    kiosk = enroll(engine, url, event["id"], tmp, "Rejestracja podział")
    started = time.perf_counter()
    raw = transport.request(url, "GET", "/roster", token=kiosk.token, query={"cursor": ""},
                            timeout=60)
    request_s = time.perf_counter() - started
    started = time.perf_counter()
    snapshot = parse_snapshot(raw)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    kiosk.checkin.apply_roster(snapshot)
    apply_s = time.perf_counter() - started
    kiosk.close()
    out.update({
        "attendees": len(snapshot.attendees), "sessions": len(snapshot.sessions),
        "registrations": len(snapshot.registrations),
        "gzip_bytes": len(wire), "json_bytes": len(raw),
        "bytes_per_attendee": round(len(wire) / PEOPLE, 1),
        "breakdown_s": {"http_fetch_only": round(fetch_s, 3),
                        "request_and_gunzip": round(request_s, 3),
                        "parse_validate": round(parse_s, 3), "apply_sqlite": round(apply_s, 3)},
    })
    return out


# -- 1. backlog ---------------------------------------------------------------------------------


def backlog_scans(kiosk_id: str, event: dict[str, Any]) -> list[ScanRecord]:
    """A morning at one entrance, offline: 9 000 first check-ins, 700 repeats, 300 refused."""
    rnd = random.Random(11)
    people = rnd.sample(event["people"], 9_000)
    kinds = ["ok"] * 9_000 + ["again"] * 700 + ["unknown"] * 200 + ["invalid"] * 100
    mono_now, wall_now = time.monotonic_ns(), datetime.now(UTC)
    step_ns = min(1_000_000_000, mono_now // (BACKLOG + 1))  # within this boot
    boot, out = boot_id(), []
    admitted: list[int] = []
    for i, kind in enumerate(kinds[:BACKLOG]):
        back_ns = (BACKLOG - i) * step_ns
        wall = wall_now - timedelta(microseconds=back_ns // 1000)
        person: int | None
        if kind == "ok":
            person = people[i]
            admitted.append(person)
        elif kind == "again":
            person = rnd.choice(admitted)
        elif kind == "unknown":
            person = max(event["people"]) + 1 + i
        else:
            person = None
        raw = ("GARBAGE" + uuid.uuid4().hex if person is None
               else tokens.issue(event["key"], event["id"], person))
        result = {"ok": "ok", "again": "already_checked_in", "unknown": "unknown",
                  "invalid": "invalid"}[kind]
        out.append(ScanRecord(
            id=uuid.UUID(int=rnd.getrandbits(128)).hex, kiosk_id=kiosk_id,
            event_id=None if person is None else event["id"], attendee_id=person,
            badge_revision=None if person is None else 1, result=result,
            admitted=kind in ("ok", "again"), source="camera", wall_time=wall,
            monotonic_ns=mono_now - back_ns, boot_id=boot, raw=raw))
    order = sorted(range(len(out)), key=lambda j: rnd.random())  # repeats come later
    mixed = sorted((out[j] for j in order), key=lambda s: s.monotonic_ns)
    return mixed


def bench_backlog(engine: Engine, url: str, event: dict[str, Any], tmp: Path) -> dict[str, Any]:
    kiosk = enroll(engine, url, event["id"], tmp, "Wejście A")
    try:
        assert kiosk.client._pull(kiosk.url, kiosk.token)
        kiosk_id = kiosk.store.reader.get_meta("sync_kiosk_id") or ""
        records = backlog_scans(kiosk_id, event)
        local_day = date.today()
        started = time.perf_counter()
        with kiosk.store.write() as db:
            for scan in records:
                kiosk.store.insert_scan(db, scan, local_day)
        insert_s = time.perf_counter() - started
        assert kiosk.store.reader.outbox_size() == BACKLOG
        with engine.connect() as conn:
            before = conn.execute(select(func.count()).select_from(scans_table)).scalar()
        started = time.perf_counter()
        pushed = kiosk.client._push(kiosk.url, kiosk.token)
        seconds = time.perf_counter() - started
        assert pushed == BACKLOG and kiosk.store.reader.outbox_size() == 0, pushed
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(scans_table)).scalar()
            held = conn.execute(select(func.count()).select_from(scan_quarantine)).scalar()
        # Every scan is judged (sync.rules): the 200 of people the admin does not know are
        # held in quarantine, the rest stored as facts.
        assert (stored - before, held) == (BACKLOG - 200, 200), (stored, before, held)
    finally:
        kiosk.close()
    return {"scans": BACKLOG, "quarantined": held,
            "batches": -(-BACKLOG // kiosk.settings.sync.batch_size),
            "seconds": round(seconds, 3), "scans_per_s": round(BACKLOG / seconds),
            "kiosk_insert_s": round(insert_s, 3)}


# -- 3. fleet -----------------------------------------------------------------------------------


def bench_fleet(engine: Engine, admin: AdminProcess, event: dict[str, Any], tmp: Path
                ) -> dict[str, Any]:
    from admin.sync_roster import RosterVersions

    with engine.connect() as conn:  # the admin's own cursor: the same content, the same hash
        cursor = RosterVersions(tmp / "cursor-probe").current(conn, event["id"]).cursor
    fleet = []
    for i in range(KIOSKS):
        kiosk = enroll(engine, admin.url, event["id"], tmp / "fleet", f"Kiosk {i + 1:03d}")
        kiosk.store.set_meta("cursor", cursor)  # holds the current roster: polls are idle
        fleet.append(kiosk)
    for kiosk in fleet:  # warm-up: every kiosk's first contact, before measuring
        report = kiosk.client.contact()
        assert report.pushed == 0 and not report.roster_applied
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.monotonic() + 0.5
    end = start + FLEET_S

    def run(i: int, kiosk: Kiosk) -> None:
        due = start + i * INTERVAL_S / KIOSKS  # evenly spread, as jitter would spread them
        try:
            while due < end:
                time.sleep(max(0.0, due - time.monotonic()))
                t0 = time.perf_counter()
                try:
                    kiosk.client.contact()
                except Exception as exc:  # counted, the kiosk goes on
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}")
                else:
                    with lock:
                        latencies.append(time.perf_counter() - t0)
                due += INTERVAL_S
        finally:
            kiosk.store.release_reader()

    threads = [threading.Thread(target=run, args=(i, k), daemon=True)
               for i, k in enumerate(fleet)]
    time.sleep(max(0.0, start - 0.2 - time.monotonic()))
    cpu0, wall0, own0 = admin.cpu_seconds(), time.monotonic(), os.times()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cpu1, wall1, own1 = admin.cpu_seconds(), time.monotonic(), os.times()
    for kiosk in fleet:
        kiosk.close()
    elapsed = wall1 - wall0
    contacts = len(latencies) + len(errors)
    return {
        "kiosks": KIOSKS, "interval_s": INTERVAL_S, "seconds": round(elapsed, 2),
        "contacts": contacts, "contacts_per_s": round(contacts / elapsed, 2),
        "errors": len(errors), "error_examples": sorted(set(errors))[:3],
        "admin_cpu_share": round((cpu1 - cpu0) / elapsed, 4),
        "admin_rss_mb": admin.rss_mb(),
        "kiosk_side_cpu_share": round((own1.user + own1.system - own0.user - own0.system)
                                      / elapsed, 4),
        "latency": summary_ms(latencies),
    }


# -- main ---------------------------------------------------------------------------------------


def run(database_url: str, tmp: Path) -> dict[str, Any]:
    data_dir = tmp / "admin"
    data_dir.mkdir()
    engine = make_engine(database_url)
    migrate(engine)
    started = time.perf_counter()
    event = setup_admin(engine)
    print(f"admin set up: {PEOPLE} people, {event['registrations']} registrations "
          f"({time.perf_counter() - started:.1f} s)", flush=True)
    admin = AdminProcess(database_url, data_dir)
    try:
        roster = bench_roster(engine, admin.url, event, tmp / "kiosks")
        print(f"roster: first download {roster['first_download_cold_s']} s cold / "
              f"{roster['first_download_warm_s']} s warm, {roster['bytes_per_attendee']} "
              f"B/attendee, idle poll median {roster['idle_poll']['median_ms']} ms", flush=True)
        backlog = bench_backlog(engine, admin.url, event, tmp / "kiosks")
        print(f"backlog: {backlog['scans']} scans in {backlog['seconds']} s = "
              f"{backlog['scans_per_s']} scans/s", flush=True)
        fleet = bench_fleet(engine, admin, event, tmp / "kiosks")
        print(f"fleet: {fleet['contacts']} contacts ({fleet['contacts_per_s']}/s), admin CPU "
              f"{fleet['admin_cpu_share'] * 100:.1f} % of a core, p95 "
              f"{fleet['latency']['p95_ms']} ms, errors {fleet['errors']}", flush=True)
    finally:
        admin.stop()
        engine.dispose()
    return {"backlog": backlog, "roster": roster, "fleet": fleet}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="",
                        help="PostgreSQL URL (a fresh schema is used); default SQLite")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bramka-bench-sync-"))
    try:
        with database_url(args.database_url, tmp) as (url, label):
            results = run(url, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    b, r = results["backlog"], results["roster"]
    missed = [f"{label} {name}" for name, ok in (
        ("backlog_scans_per_s", b["scans_per_s"] >= TARGETS["backlog_scans_per_s"]),
        ("roster_first_s", r["first_download_cold_s"] <= TARGETS["roster_first_s"]),
        ("roster_bytes_per_attendee",
         r["bytes_per_attendee"] <= TARGETS["roster_bytes_per_attendee"]),
        ("idle_poll_median_ms",
         r["idle_poll"]["median_ms"] <= TARGETS["idle_poll_median_ms"])) if not ok]
    # One database a run; the other database's last results are kept beside it.
    previous: dict[str, Any] = {}
    if (RESULTS / "sync.json").exists():
        previous = json.loads((RESULTS / "sync.json").read_text())
    kept = {db: res for db, res in previous.get("results", {}).items() if db != label}
    missed += [m for m in previous.get("missed", []) if not m.startswith(f"{label} ")
               and m.split(" ", 1)[0] in kept]
    path = write_result("sync", {
        "people": PEOPLE, "backlog_scans": BACKLOG, "targets": TARGETS,
        "results": {**kept, label: results}, "missed": missed})
    print(f"written to {path}" + (f"; missed: {', '.join(missed)}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
