"""`bramka kiosk enroll` over a failing network: it says "enrolled" only when the kiosk
holds a token the admin accepts, and the kiosk's sync finishes what the network cut.

The real admin on 127.0.0.1; the kiosk's CLI in this process (CliRunner); faults from
tests/fault_proxy.py, or injected into the kiosk's transport where a fault must hit one
exact request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import add_person, make_event
from click.testing import CliRunner, Result
from fault_proxy import FaultPlan, FaultProxy
from support import served as serve_app

import kiosk.sync_client as client_module
from admin.queries import kiosks as q_kiosks
from admin.queries import sync as q_sync
from bramka.config import load_settings
from kiosk.checkin import CheckinService
from kiosk.cli import kiosk_group
from kiosk.events import EventBus
from kiosk.store import open_store
from kiosk.sync_client import SyncClient
from sync import transport
from sync.transport import TransportError


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    with serve_app(app) as url:
        yield url


@pytest.fixture
def proxy(served: str) -> Iterator[FaultProxy]:
    port = int(served.rsplit(":", 1)[1])
    with FaultProxy("127.0.0.1", port, seed=11) as fault_proxy:
        yield fault_proxy


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_module, "ENROLL_RETRY_SECONDS", 0.01)


@pytest.fixture
def kiosk_id(engine: Any) -> str:
    event = make_event(engine)
    add_person(engine, event["id"], "Anna", "Kowalska", "MOPS Kraków")
    with engine.begin() as conn:
        return q_sync.create_kiosk(conn, event["id"], "Wejście A", "entrance", "")


def new_code(engine: Any, kiosk_id: str) -> str:
    with engine.begin() as conn:
        return q_sync.new_enrollment(conn, kiosk_id)


ENV = {"BRAMKA_SYNC__INTERVAL_SECONDS": "0.1", "BRAMKA_SYNC__MAX_BACKOFF_SECONDS": "0.3",
       "BRAMKA_SYNC__TIMEOUT_SECONDS": "5", "BRAMKA_PRINTER__BACKEND": "none"}


def cli_enroll(tmp_path: Path, url: str, code: str) -> Result:
    config = tmp_path / "kiosk.toml"
    config.write_text("# defaults\n")
    env = {**ENV, "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk")}
    return CliRunner().invoke(kiosk_group, ["--config", str(config), "enroll", url, code],
                              env=env)


class KioskSync:
    """The kiosk's store and sync thread as `bramka kiosk serve` runs them."""

    def __init__(self, tmp_path: Path) -> None:
        settings = load_settings(None, {**ENV, "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk")})
        self.store = open_store(settings.kiosk.data_dir)
        self.bus = EventBus()
        self.events = self.bus.subscribe()
        self.client = SyncClient(self.store, settings,
                                 checkin=CheckinService(self.store, settings.kiosk, bus=self.bus))

    def wait_for_roster(self, timeout: float = 20) -> int:
        """Block until the sync thread applies a roster; its size."""
        while True:
            kind, data = self.events.queue.get(timeout=timeout)  # queue.Empty: never came
            if kind == "roster" and data["size"] > 0:
                return int(data["size"])

    def close(self) -> None:
        self.client.stop()
        self.store.close()


@pytest.fixture
def kiosk_sync(tmp_path: Path) -> Iterator[Callable[[], KioskSync]]:
    made: list[KioskSync] = []

    def make() -> KioskSync:
        made.append(KioskSync(tmp_path))
        return made[-1]

    yield make
    for k in made:
        k.close()


def test_enrolled_means_a_token_the_admin_accepts(engine: Any, kiosk_id: str, tmp_path: Path,
                                                 proxy: FaultProxy, kiosk_sync: Any) -> None:
    result = cli_enroll(tmp_path, proxy.base_url, new_code(engine, kiosk_id))
    assert result.exit_code == 0, result.output
    assert "Zarejestrowano jako kiosk" in result.output and "Enrolled as kiosk" in result.output
    kiosk = kiosk_sync()
    assert kiosk.store.reader.roster_size() == 1
    assert kiosk.client.contact().pushed == 0  # its token works


def test_a_heartbeat_lost_after_the_exchange_leaves_it_to_the_kiosk_service(
        engine: Any, kiosk_id: str, tmp_path: Path, served: str, kiosk_sync: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_call = transport.call
    lose = {"/heartbeat": 1}

    def heartbeat_lost(url: str, method: str, path: str, reply: Any, **kw: Any) -> Any:
        if lose.get(path):
            lose[path] -= 1
            raise TransportError("connection reset (injected)")
        return real_call(url, method, path, reply, **kw)

    monkeypatch.setattr(transport, "call", heartbeat_lost)
    result = cli_enroll(tmp_path, served, new_code(engine, kiosk_id))
    assert result.exit_code != 0
    assert "Rejestracja niedokończona" in result.output
    assert "Enrollment not finished" in result.output
    kiosk = kiosk_sync()
    assert kiosk.client.token is not None and kiosk.store.reader.roster_size() == 0
    kiosk.client.start()
    assert kiosk.wait_for_roster() == 1


def test_a_duplicated_enrollment_request_does_not_leave_a_dead_token(
        engine: Any, kiosk_id: str, tmp_path: Path, served: str, kiosk_sync: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The network delivers the first enrollment twice; the kiosk gets the first answer,
    # the admin answers the copy with the same token (sync_api.enrollment_token).
    real_call, sent = transport.call, []

    def duplicating(url: str, method: str, path: str, reply: Any, **kw: Any) -> Any:
        answer = real_call(url, method, path, reply, **kw)
        sent.append(path)
        if path == "/enroll" and sent.count("/enroll") == 1:
            real_call(url, method, path, reply, **kw)  # the copy, answered into the void
        return answer

    monkeypatch.setattr(transport, "call", duplicating)
    result = cli_enroll(tmp_path, served, new_code(engine, kiosk_id))
    assert result.exit_code == 0, result.output
    assert sent.count("/enroll") == 1  # its copy carried the same token: nothing redone
    kiosk = kiosk_sync()
    assert kiosk.store.reader.roster_size() == 1
    kiosk.client.contact()  # and the token it kept works


def test_a_network_that_always_duplicates_still_enrolls(
        engine: Any, kiosk_id: str, tmp_path: Path, proxy: FaultProxy, kiosk_sync: Any) -> None:
    proxy.plan = FaultPlan(duplicate=1.0)
    result = cli_enroll(tmp_path, proxy.base_url, new_code(engine, kiosk_id))
    assert result.exit_code == 0, result.output
    kiosk = kiosk_sync()
    assert kiosk.client.token is not None
    proxy.plan = FaultPlan()
    kiosk.client.contact()
    assert kiosk.client.state.status == "ok"  # the token both copies carried works


def test_no_admin_no_enrollment(tmp_path: Path, proxy: FaultProxy, kiosk_sync: Any) -> None:
    proxy.down = True
    result = cli_enroll(tmp_path, proxy.base_url, "ABCD-EFGH")
    assert result.exit_code != 0
    assert "nie odpowiada" in result.output and "cannot be reached" in result.output
    assert kiosk_sync().client.token is None


def test_when_every_answer_is_lost_the_kiosk_finishes_the_enrollment_itself(
        engine: Any, kiosk_id: str, tmp_path: Path, proxy: FaultProxy, kiosk_sync: Any) -> None:
    proxy.plan = FaultPlan(drop=1.0)  # the admin acts on each request; no answer comes back
    result = cli_enroll(tmp_path, proxy.base_url, new_code(engine, kiosk_id))
    assert result.exit_code != 0 and "Not enrolled" in result.output
    with engine.connect() as conn:
        assert q_kiosks.get_kiosk(conn, kiosk_id)["enrolled_at"] is not None  # it was, there
    proxy.plan = FaultPlan()
    kiosk = kiosk_sync()
    kiosk.client.start()  # what `bramka kiosk serve` runs
    assert kiosk.wait_for_roster() == 1
    assert kiosk.client.token is not None


def test_the_same_code_again_finishes_an_enrollment_whose_answers_were_lost(
        engine: Any, kiosk_id: str, tmp_path: Path, proxy: FaultProxy) -> None:
    code = new_code(engine, kiosk_id)
    proxy.plan = FaultPlan(drop=1.0)
    assert cli_enroll(tmp_path, proxy.base_url, code).exit_code != 0
    proxy.plan = FaultPlan()
    result = cli_enroll(tmp_path, proxy.base_url, code)
    assert result.exit_code == 0, result.output


def test_serve_retries_the_first_roster_download_until_it_comes(
        engine: Any, kiosk_id: str, tmp_path: Path, served: str, kiosk_sync: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_request, failures = transport.request, []

    def roster_fails_four_times(url: str, method: str, path: str, **kw: Any) -> bytes:
        if path == "/roster" and len(failures) < 4:
            failures.append(path)
            raise TransportError("connection reset (injected)")
        return real_request(url, method, path, **kw)

    monkeypatch.setattr(transport, "request", roster_fails_four_times)
    result = cli_enroll(tmp_path, served, new_code(engine, kiosk_id))
    assert result.exit_code == 0, result.output  # enrolled: the admin accepted the token
    assert "Pierwsza synchronizacja nie zakończyła się" in result.output
    assert "The first sync did not finish" in result.output
    kiosk = kiosk_sync()
    assert kiosk.store.reader.roster_size() == 0
    kiosk.client.start()
    assert kiosk.wait_for_roster() == 1
    assert len(failures) == 4
