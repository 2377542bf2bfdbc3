"""Label printer faults through the kiosk's print queue: the job waits, then prints once.

For each protocol and each fault (no media, cover open, wrong media, the printer
gone, and media running out in the middle of the job) the real
:class:`~kiosk.print_queue.PrintWorker` prints to the protocol's virtual printer
over TCP. The queue must report the fault's code, keep the job, print nothing
while the fault lasts, and print the badge exactly once after it clears; pages
are decoded back to tokens, so "once" is counted on paper. Queueing the
check-in's job never waits for the printer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils
import zxingcpp
from PIL import Image

from bramka.config import BadgeSettings, PrinterSettings
from kiosk.print_queue import PrintQueueState, PrintWorker, enqueue, pending_jobs
from kiosk.store_schema import migrate
from printers.backends import PrinterStatus, make_printer
from printers.layout import BadgeData
from printers.profiles import get_profile
from printers.virtual_server import VirtualServer, make_virtual

PROFILES = ["zpl-4x3-203", "ql-62", "ql-62x100"]
FAULTS = {
    "paper_out": "paper_out",
    "cover_open": "cover_open",
    "wrong_media": "wrong_media",
    "refuse": "printer_offline",
}
TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
BADGE = BadgeData("Gość Żółć", "OPS", "participant", TOKEN, "Kongres", "12.05.2025")
WAIT = 30.0  # generous: a busy 2-core machine


class Watch:
    """The worker's published states, with an event per condition waited for."""

    def __init__(self) -> None:
        self.codes: list[str | None] = []
        self.last = PrintQueueState(PrinterStatus("unknown", "starting"), 0)
        self._changed = threading.Condition()

    def __call__(self, state: PrintQueueState) -> None:
        with self._changed:
            self.codes.append(state.last_error_code)
            self.last = state
            self._changed.notify_all()

    def wait(self, test: object, timeout: float = WAIT) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: test(self.last), timeout)  # type: ignore[operator]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.db"
    db = sqlite_utils.Database(path)
    db.enable_wal()
    migrate(db)
    db.close()
    return path


def start(db_path: Path, profile: str, virtual: VirtualServer, watch: Watch) -> PrintWorker:
    settings = PrinterSettings(
        backend="virtual",
        port=virtual.port,
        profile=profile,
        timeout_seconds=3,
        retry_max_seconds=0.3,
    )
    worker = PrintWorker(
        db_path,
        make_printer(settings),
        printer_settings=settings,
        badge_settings=BadgeSettings(fields=["name", "qr"]),
        on_state=watch,
        poll_seconds=0.05,
        status_seconds=0.2,
        backoff_base=0.05,
    )
    worker.start()
    return worker


def tokens_on(virtual: VirtualServer) -> list[str]:
    found: list[str] = []
    for page in virtual.pages:
        found += [r.text for r in zxingcpp.read_barcodes(Image.open(page).convert("L"))]
    return found


@pytest.fixture
def run(tmp_path: Path, db_path: Path) -> Iterator[object]:
    started: list[tuple[PrintWorker, VirtualServer]] = []

    def go(profile: str, fault: str) -> tuple[PrintWorker, VirtualServer, Watch]:
        virtual = make_virtual(get_profile(profile), tmp_path / "pages", fault=fault)
        virtual.start()
        watch = Watch()
        worker = start(db_path, profile, virtual, watch)
        started.append((worker, virtual))
        return worker, virtual, watch

    yield go
    for worker, virtual in started:
        worker.stop()
        virtual.stop()


def queue_one(db_path: Path, worker: PrintWorker) -> float:
    db = sqlite_utils.Database(db_path)
    try:
        began = time.monotonic()
        enqueue(db, BADGE, attendee_id=1, reason="checkin")
        took = time.monotonic() - began
    finally:
        db.close()
    worker.notify()
    return took


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("fault", list(FAULTS))
def test_the_job_waits_out_the_fault_and_prints_once(
    run, db_path: Path, profile: str, fault: str  # type: ignore[no-untyped-def]
) -> None:
    worker, virtual, watch = run(profile, fault)
    took = queue_one(db_path, worker)
    # one INSERT and an fsync; waiting on the faulted printer would take its 3 s timeout
    assert took < 2.0, f"queueing the check-in's badge took {took:.3f} s"
    code = FAULTS[fault]
    assert watch.wait(lambda s: s.last_error_code == code), watch.codes
    assert watch.last.queued == 1
    assert virtual.pages == []
    virtual.clear_fault()
    assert watch.wait(lambda s: s.queued == 0 and s.last_error_code is None), watch.codes
    worker.stop()
    virtual.stop()  # nothing can arrive any more: count what came out
    assert tokens_on(virtual) == [TOKEN]
    db = sqlite_utils.Database(db_path)
    assert pending_jobs(db) == 0
    db.close()


@pytest.mark.parametrize("profile", PROFILES)
def test_media_running_out_mid_job_prints_once_after_reloading(
    run, db_path: Path, profile: str  # type: ignore[no-untyped-def]
) -> None:
    worker, virtual, watch = run(profile, "ok")
    virtual.load_paper(0)  # the next label finds the roll empty
    queue_one(db_path, worker)
    assert watch.wait(lambda s: s.last_error_code == "paper_out"), watch.codes
    assert virtual.pages == []
    virtual.load_paper(None)
    assert watch.wait(lambda s: s.queued == 0 and s.last_error_code is None), watch.codes
    worker.stop()
    virtual.stop()
    assert tokens_on(virtual) == [TOKEN]


@pytest.mark.parametrize("profile", PROFILES)
def test_a_slow_printer_still_gets_the_whole_job_once(
    run, db_path: Path, profile: str  # type: ignore[no-untyped-def]
) -> None:
    rate = 100_000  # bytes a second: a QL badge takes a third of a second
    worker, virtual, watch = run(profile, f"slow {rate}")
    queue_one(db_path, worker)
    assert watch.wait(lambda s: s.queued == 0 and len(virtual.pages) == 1), watch.codes
    # (How slow it was is no test's business: a small label fits one read of the slow
    # printer and comes out before its pause. Whole and once is.)
    assert not any(watch.codes)  # no error on the way
    worker.stop()
    virtual.stop()
    assert tokens_on(virtual) == [TOKEN]


@pytest.mark.parametrize("profile", PROFILES)
def test_badges_queued_together_print_in_order_on_one_connection(
    run, db_path: Path, profile: str  # type: ignore[no-untyped-def]
) -> None:
    """Back to back the printer stays open between jobs (the QL's unasked messages after
    each job are read past): each badge prints once, in queue order."""
    worker, virtual, watch = run(profile, "ok")
    db = sqlite_utils.Database(db_path)
    badges = [BadgeData(f"Gość {n}", "", "participant", TOKEN[:-1] + "ABC"[n], "K", "")
              for n in range(3)]
    with db.conn:
        for n, badge in enumerate(badges):
            enqueue(db, badge, attendee_id=n + 1, reason="checkin")
    db.close()
    worker.notify()
    assert virtual.wait_for_pages(3, timeout=WAIT)
    assert watch.wait(lambda s: s.queued == 0), watch.codes
    worker.stop()
    virtual.stop()
    assert tokens_on(virtual) == [b.token for b in badges]
    assert not any(watch.codes)
    assert virtual.connections_accepted <= 2  # one for the jobs (and one status poll at most)
