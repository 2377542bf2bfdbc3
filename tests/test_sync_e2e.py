"""Sync end to end: a real admin, two real kiosks and a hostile network between them.

Real processes on 127.0.0.1: ``bramka admin serve`` and two ``bramka kiosk serve``, with a
fault-injecting TCP proxy between the kiosks and the admin that drops, delays, cuts
mid-response, duplicates and refuses requests; the admin is restarted twice while the
kiosks scan and the organizers change the roster. At the end the admin holds every scan
exactly once and both kiosks hold the latest roster.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fault_proxy import FaultPlan, FaultProxy
from kiosk_process import KioskProcess, free_port
from sqlalchemy import Engine, func, select

from admin.db import make_engine, migrate
from admin.queries import events as q_events
from admin.queries import people as q_people
from admin.queries import program as q_program
from admin.queries import sync as q_sync
from admin.roster_export import build_snapshot
from admin.schema import scans
from sync import token as tokens
from sync.wire import BASE_PATH

pytestmark = pytest.mark.e2e

NASTY = FaultPlan(drop=0.15, delay=0.2, delay_seconds=(0.05, 0.4), cut_response=0.15,
                  duplicate=0.15, refuse=0.05)
FAULTS = ("refused", "dropped", "delayed", "cut", "duplicated")


def wait_for(what: str, check: Callable[[], bool], timeout: float,
             interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class AdminProcess:
    """``bramka admin serve`` on a fixed port, so it can be restarted where kiosks expect it."""

    def __init__(self, tmp: Path, db_url: str) -> None:
        self.port = free_port()
        self.log = tmp / "admin.log"
        config = tmp / "admin.toml"
        config.write_text("# defaults\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
        self.env.update({
            "BRAMKA_CONFIG": str(config),
            "BRAMKA_ADMIN__DATABASE_URL": db_url,
            "BRAMKA_ADMIN__DATA_DIR": str(tmp / "admin-data"),
            "BRAMKA_ADMIN__HOST": "127.0.0.1",
            "BRAMKA_ADMIN__PORT": str(self.port),
        })
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 30) -> None:
        with open(self.log, "ab") as log:
            log.write(f"--- start {self.starts + 1} ---\n".encode())
            log.flush()
            self.proc = subprocess.Popen([sys.executable, "-m", "bramka", "admin", "serve"],
                                         env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"admin exited early:\n{self.log.read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"admin did not start:\n{self.log.read_text()}")
            time.sleep(0.1)
        self.starts += 1

    def _answers(self) -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request("GET", BASE_PATH + "/roster")
            return conn.getresponse().status == 401  # up, and refusing a token-less kiosk
        except OSError:
            return False
        finally:
            conn.close()

    def stop(self, timeout: float = 15) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# -- the admin's data, through the admin's own Python API ---------------------------------------


def make_event(engine: Engine, people: int) -> dict[str, Any]:
    today = datetime.now(ZoneInfo("Europe/Warsaw")).date()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    with engine.begin() as conn:
        event_id = q_events.create_event(conn, "Kongres e2e", today - timedelta(days=1),
                                         today + timedelta(days=1))
        venue = q_program.add_venue(conn, event_id, "Auditorium Maximum")
        aula = q_program.add_room(conn, venue, "Aula", 600)
        sala = q_program.add_room(conn, venue, "Sala 101", 40)
        plenary = q_program.add_session(conn, event_id, {
            "title": "Sesja plenarna", "room_id": aula,
            "starts_at": start, "ends_at": start + timedelta(hours=3)})
        workshop = q_program.add_session(conn, event_id, {
            "title": "Warsztat", "room_id": sala, "capacity": 20,
            "registration_required": True,
            "starts_at": start + timedelta(hours=1), "ends_at": start + timedelta(hours=2)})
        ids = [q_people.create_walk_in(conn, event_id, {
            "first_name": f"Osoba{i}", "last_name": f"Testowa{i}",
            "institution": f"MOPS {i % 7}"}, "e2e") for i in range(people)]
        for person in ids[:10]:
            q_program.register(conn, workshop, person)
        q_events.bump_people_version(conn, event_id)
        kiosks = [q_sync.create_kiosk(conn, event_id, name, "entrance", "")
                  for name in ("Wejście A", "Wejście B")]
    return {"id": event_id, "people": ids, "plenary": plenary, "workshop": workshop,
            "kiosks": kiosks}


def issue(engine: Engine, event_id: int, person_id: int) -> str:
    with engine.begin() as conn:
        revision = q_people.get_person(conn, person_id)["badge_revision"]
        return q_events.issue_token(conn, event_id, person_id, revision)


def people_version(engine: Engine, event_id: int) -> int:
    with engine.connect() as conn:
        return q_events.people_version(conn, event_id)


def enroll(kiosk: KioskProcess, engine: Engine, kiosk_id: str, url: str,
           attempts: int = 15) -> int:
    """Enroll through the faulty network as an organizer would: a lost answer may have used
    up the code on the admin, so every retry comes with a fresh code. Returns the tries."""
    outputs = []
    for attempt in range(1, attempts + 1):
        with engine.begin() as conn:
            code = q_sync.new_enrollment(conn, kiosk_id)
        result = kiosk.cli("kiosk", "enroll", url, code, check=False)
        if result.returncode == 0:
            return attempt
        outputs.append(result.stdout + result.stderr)
    raise AssertionError(f"kiosk {kiosk_id} did not enroll:\n" + "\n".join(outputs))


# -- the kiosks' data, read from their SQLite files ---------------------------------------------


def kiosk_db(kiosk: KioskProcess) -> sqlite3.Connection:
    path = Path(kiosk.env["BRAMKA_KIOSK__DATA_DIR"]) / "kiosk.db"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def kiosk_query(kiosk: KioskProcess, sql: str) -> list[tuple[Any, ...]]:
    db = kiosk_db(kiosk)
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def kiosk_cursor(kiosk: KioskProcess) -> str:
    rows = kiosk_query(kiosk, "SELECT value FROM meta WHERE key = 'cursor'")
    return rows[0][0] if rows else ""


def scan(kiosk: KioskProcess, code: str) -> dict[str, Any]:
    conn = kiosk.connection()
    try:
        conn.request("POST", "/api/scan", body=json.dumps({"code": code}),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        body = resp.read()
    finally:
        conn.close()
    assert resp.status == 200, body
    return json.loads(body)


def test_two_kiosks_and_a_restarting_admin_over_a_hostile_network(tmp_path: Path) -> None:
    began = time.monotonic()
    rng = random.Random(20260616)
    db_url = f"sqlite:///{tmp_path / 'admin.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    event = make_event(engine, people=30)
    admin = AdminProcess(tmp_path, db_url)
    proxy = FaultProxy("127.0.0.1", admin.port, seed=7, plan=NASTY)
    (tmp_path / "kiosks").mkdir()
    kiosks = [
        KioskProcess(tmp_path / "kiosks" / name, args=("--no-camera",), env={
            "BRAMKA_KIOSK__ID": name,
            "BRAMKA_SYNC__INTERVAL_SECONDS": "0.3",
            "BRAMKA_SYNC__MAX_BACKOFF_SECONDS": "1",
            "BRAMKA_SYNC__TIMEOUT_SECONDS": "5",
        })
        for name in ("gate-a", "gate-b")
    ]
    started: list[KioskProcess] = []
    made: dict[str, list[str]] = {k.env["BRAMKA_KIOSK__ID"]: [] for k in kiosks}
    try:
        admin.start()
        proxy.start()
        for kiosk in kiosks:
            kiosk.env["BRAMKA_SYNC__ADMIN_URL"] = proxy.base_url
        # Every answer to the first enrollment is lost after the admin used the code up:
        # the kiosk says it is not enrolled, and the same command again (the kiosk kept its
        # request id) finishes the enrollment; for any other kiosk the code is spent.
        proxy.plan = FaultPlan(drop=1.0)
        with engine.begin() as conn:
            spent = q_sync.new_enrollment(conn, event["kiosks"][0])
        assert kiosks[0].cli("kiosk", "enroll", proxy.base_url, spent, check=False).returncode
        proxy.plan = FaultPlan()
        assert "used or expired" in kiosks[1].cli("kiosk", "enroll", proxy.base_url, spent,
                                                  check=False).stderr
        assert kiosks[0].cli("kiosk", "enroll", proxy.base_url, spent, check=False).returncode == 0
        proxy.plan = NASTY
        proxy.reset_stats()  # count only what the nasty plan did
        tries = [enroll(k, engine, kid, proxy.base_url) for k, kid in zip(kiosks, event["kiosks"],
                                                                          strict=True)]
        for kiosk in kiosks:
            started.append(kiosk)
            kiosk.start()
        for kiosk in kiosks:
            wait_for("the first roster on each kiosk",
                     lambda k=kiosk: k.status()["roster_size"] > 0, timeout=30)

        people = list(event["people"])
        forger = tokens.generate_key()
        added: list[int] = []
        cancelled, replaced = people[3], people[4]
        old_badge = issue(engine, event["id"], replaced)

        def change_roster(step: int) -> None:
            with engine.begin() as conn:
                for i in range(3):
                    added.append(q_people.create_walk_in(conn, event["id"], {
                        "first_name": f"Nowa{step}{i}", "last_name": "Osoba"}, "e2e"))
                if step == 1:
                    q_people.update_person(conn, cancelled, {"status": "cancelled"}, "e2e")
                    q_people.replace_badge(conn, replaced, "e2e", "lost")
                else:
                    q_program.register(conn, event["workshop"], added[0])
                    q_events.bump_people_version(conn, event["id"])
                    q_people.replace_badge(conn, replaced, "e2e", "lost again")

        def restart_admin() -> None:
            admin.stop()
            time.sleep(1.5)  # kiosks keep scanning and knocking on a closed door
            admin.start()

        actions = {12: lambda: change_roster(1), 20: restart_admin,
                   30: lambda: change_roster(2), 40: restart_admin}
        for step in range(56):
            if step in actions:
                actions[step]()
            for kiosk in started:
                everyone = people + added
                if step % 9 == 4:
                    code = f"FORGED-{rng.randrange(10**6)}"
                elif step % 9 == 7:
                    code = tokens.issue(forger, event["id"], rng.choice(people), 1)
                elif step % 11 == 5:
                    code = old_badge  # the replaced badge: refused once the roster says so
                elif step % 5 == 0:
                    code = issue(engine, event["id"], people[step % 3])  # on both kiosks
                else:
                    code = issue(engine, event["id"], rng.choice(everyone))
                made[kiosk.env["BRAMKA_KIOSK__ID"]].append(scan(kiosk, code)["scan_id"])
            time.sleep(rng.uniform(0.03, 0.12))
        assert admin.starts == 3, "the admin was not restarted twice"

        faulty = proxy.stats
        proxy.plan = FaultPlan()  # the network heals
        version = str(people_version(engine, event["id"]))

        def settled() -> bool:
            return all(k.status()["unsent_scans"] == 0
                       and kiosk_cursor(k).split("-")[0] == version for k in started)

        wait_for("both kiosks to send every scan and hold the latest roster", settled,
                 timeout=60, interval=0.3)
        for kiosk in started:
            assert kiosk.stop() == 0
        started.clear()

        kiosk_scans = {}
        for kiosk in kiosks:
            rows = kiosk_query(kiosk, "SELECT id FROM scans")
            ids = [r[0] for r in rows]
            assert len(ids) == len(set(ids))
            name = kiosk.env["BRAMKA_KIOSK__ID"]
            assert sorted(ids) == sorted(made[name])  # every injected scan, and only those
            kiosk_scans[name] = set(ids)
        with engine.connect() as conn:
            admin_rows = conn.execute(select(scans.c.id, scans.c.kiosk_id)).all()
            admin_total = conn.execute(select(func.count()).select_from(scans)).scalar()
            results = dict(conn.execute(select(scans.c.result, func.count())
                                        .group_by(scans.c.result)).all())
            snapshot = build_snapshot(conn, event["id"])
        assert snapshot.cursor == version
        admin_ids = [r.id for r in admin_rows]
        assert admin_total == len(admin_ids) == len(set(admin_ids))
        assert admin_total == sum(len(ids) for ids in kiosk_scans.values())
        for name, kiosk_id in zip(kiosk_scans, event["kiosks"], strict=True):
            on_admin = {r.id for r in admin_rows if r.kiosk_id == kiosk_id}
            assert on_admin == kiosk_scans[name], f"{name}: scans missing or misplaced"
        assert results.get("invalid", 0) >= 2 * 12  # forged codes are facts too
        assert results.get("ok", 0) > 0

        want_people = sorted((a.id, a.first_name, a.last_name, a.institution, a.role,
                              a.badge_revision, a.status) for a in snapshot.attendees)
        want_sessions = sorted(s.id for s in snapshot.sessions)
        want_regs = sorted((r.session_id, r.attendee_id) for r in snapshot.registrations)
        for kiosk in kiosks:
            got_people = sorted(kiosk_query(
                kiosk, "SELECT id, first_name, last_name, institution, role, badge_revision, "
                       "status FROM attendees"))
            assert got_people == want_people
            assert sorted(r[0] for r in kiosk_query(kiosk, "SELECT id FROM sessions")) \
                == want_sessions
            assert sorted(kiosk_query(kiosk, "SELECT session_id, attendee_id FROM registrations")
                          ) == want_regs
        by_id = {a.id: a for a in snapshot.attendees}
        assert len(added) == 6 and all(i in by_id for i in added)
        assert by_id[cancelled].status == "cancelled" and by_id[replaced].badge_revision == 3

        for kind in FAULTS:
            assert faulty[kind] > 0, f"the proxy never injected '{kind}': {faulty}"
        assert faulty["upstream_failed"] > 0, f"no request met the admin down: {faulty}"
        print(f"e2e sync: {time.monotonic() - began:.1f} s, enroll tries {tries}, "
              f"scans {admin_total}, results {results}, proxy {faulty}")
    except BaseException:
        for log in [admin.log, *(k.log for k in kiosks)]:
            if log.exists():
                print(f"===== {log.name} =====\n{log.read_text()[-20000:]}")
        raise
    finally:
        for kiosk in started:
            if kiosk.proc is not None:
                with contextlib.suppress(Exception):  # stop the rest whatever happens
                    kiosk.stop()
        proxy.stop()
        admin.stop()
        engine.dispose()
