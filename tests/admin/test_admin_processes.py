"""The admin as several processes on one PostgreSQL (``gunicorn -w 4``, or servers behind a
reverse proxy): two real `bramka admin serve` processes, started together on an empty
schema, each with its own data directory (as on two machines); kiosks sync through a proxy
that sends each connection to the other process in turn and sometimes delivers a request
twice (to both). Every scan is stored once; the login limit counts across both. (A job
one process runs and another shows: ``test_admin_jobs.py``.)"""

from __future__ import annotations

import http.cookiejar
import itertools
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import add_person, make_event, span_today
from admin_testkit import PASSWORD
from conftest import PG_URL, pg_schema_url
from fault_proxy import FaultPlan, FaultProxy
from kiosk_process import free_port_run
from sqlalchemy import func, select
from test_sync import Kiosk, token

from admin.db import make_engine, normalize_url
from admin.queries import sync as q_sync
from admin.queries import users as q_users
from admin.schema import presence, scans

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    not PG_URL, reason="several admin processes need PostgreSQL (BRAMKA_TEST_DATABASE_URL)")]
ROOT = Path(__file__).resolve().parents[2]


class AlternatingProxy(FaultProxy):
    """A fault proxy whose every upstream connection goes to the next admin in turn (a
    duplicated request reaches both)."""

    def __init__(self, ports: list[int], **kw: Any) -> None:
        self._ports = itertools.cycle(ports)
        self._turn = threading.Lock()
        super().__init__("127.0.0.1", ports[0], **kw)

    @property  # type: ignore[override]
    def upstream(self) -> tuple[str, int]:
        with self._turn:
            return ("127.0.0.1", next(self._ports))

    @upstream.setter
    def upstream(self, value: tuple[str, int]) -> None:
        pass  # the ports given to __init__ are the upstreams


@pytest.fixture
def pg_schema() -> Iterator[str]:
    with pg_schema_url("mp_") as url:
        yield url


@pytest.fixture
def admins(pg_schema: str, tmp_path: Path) -> Iterator[list[str]]:
    """Two admin processes, started at the same moment on an empty schema."""
    port = free_port_run(2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
    procs, urls = [], []
    for n in range(2):
        config = tmp_path / f"admin-{n}.toml"
        config.write_text(f'[admin]\ndatabase_url = "{pg_schema}"\n'
                          f'data_dir = "{tmp_path / f"data-{n}"}"\nport = {port + n}\n'
                          f'secret_key = "{"s" * 48}"\n')
        out = open(tmp_path / f"admin-{n}.log", "wb")  # noqa: SIM115 (closed below)
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "bramka", "admin", "--config", str(config), "serve"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT), out))
        urls.append(f"http://127.0.0.1:{port + n}")
    try:
        for (proc, _), url, n in zip(procs, urls, range(2), strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/login", timeout=2):
                        break
                except OSError:
                    log = (tmp_path / f"admin-{n}.log").read_text(errors="replace")
                    assert proc.poll() is None and time.monotonic() < deadline, log[-3000:]
                    time.sleep(0.2)
        yield urls
    finally:
        for proc, out in procs:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()


def test_kiosks_syncing_through_two_admin_processes_store_every_scan_once(
        admins: list[str], pg_schema: str, tmp_path: Path) -> None:
    engine = make_engine(normalize_url(pg_schema))
    try:
        ev = make_event(engine)
        span_today(engine, ev["id"])
        people = [add_person(engine, ev["id"], f"Osoba{n}", f"Nazwisko{n}") for n in range(30)]
        proxy = AlternatingProxy([int(u.rsplit(":", 1)[1]) for u in admins], seed=7,
                                 plan=FaultPlan(duplicate=0.3, cut_response=0.1))
        proxy.start()
        kiosks = []
        try:
            for n in range(3):
                with engine.begin() as conn:
                    kiosk_id = q_sync.create_kiosk(conn, ev["id"], f"Wejście {n}", "entrance", "")
                    code = q_sync.new_enrollment(conn, kiosk_id)
                kiosk = Kiosk(tmp_path / f"kiosk-{n}", proxy.base_url)
                kiosks.append(kiosk)
                _retry(lambda k=kiosk, c=code: k.client.enroll(proxy.base_url, c))
            scanned = []
            for n, person in enumerate(people):
                kiosk = kiosks[n % 3]
                if n < 3:
                    _retry(kiosk.client.contact)  # the roster, through either process
                outcome = kiosk.checkin.scan(token(engine, ev["id"], person))
                assert outcome.scan.result == "ok", outcome.scan
                scanned.append(outcome.scan.id)
                if n % 4 == 0:
                    _retry(kiosk.client.contact)
            for kiosk in kiosks:
                deadline = time.monotonic() + 60
                while kiosk.store.reader.outbox_size():
                    assert time.monotonic() < deadline, "the outbox did not empty"
                    _retry(kiosk.client.contact)
            assert proxy.stats["duplicated"] > 0  # some requests did reach both processes
        finally:
            for kiosk in kiosks:
                kiosk.close()
            proxy.stop()
        with engine.connect() as conn:
            stored = [r.id for r in conn.execute(select(scans.c.id))]
            inside = conn.execute(select(func.count()).select_from(presence)).scalar_one()
        assert sorted(stored) == sorted(scanned)  # each once: none lost, none doubled
        assert inside == len(people)
    finally:
        engine.dispose()


def _retry(call: Any, attempts: int = 20) -> Any:
    """A kiosk's own patience, squeezed: the proxy cuts some replies on purpose."""
    from sync.transport import TransportError

    for attempt in range(attempts):
        try:
            return call()
        except TransportError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)
    return None


def _browser() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kw: Any) -> None:
            return None

    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                       NoRedirect()), jar


def _post_login(opener: Any, url: str, username: str, password: str) -> int:
    with opener.open(f"{url}/login", timeout=10) as page:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
    assert csrf is not None
    body = urllib.parse.urlencode({"csrf_token": csrf.group(1), "username": username,
                                   "password": password}).encode()
    try:
        with opener.open(f"{url}/login", data=body, timeout=10) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        with exc:
            return int(exc.code)


def test_the_login_limit_counts_across_processes(admins: list[str], pg_schema: str) -> None:
    engine = make_engine(normalize_url(pg_schema))
    try:
        with engine.begin() as conn:
            q_users.create_user(conn, "ola", PASSWORD, "organizer")
    finally:
        engine.dispose()
    opener, _jar = _browser()
    # Five wrong passwords, spread over both processes: each says "wrong" (401).
    codes = [_post_login(opener, admins[n % 2], "ola", "wrong password") for n in range(5)]
    assert codes == [401] * 5, codes
    # The sixth attempt must wait, whichever process it reaches, the right password too.
    assert _post_login(opener, admins[1], "ola", PASSWORD) == 429
    assert _post_login(opener, admins[0], "ola", PASSWORD) == 429
