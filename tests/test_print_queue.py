"""The kiosk's print queue: durable jobs, one worker, every badge printed once.

Faults are the virtual printer's: paper out mid-queue, printer unreachable at
start, slow printer. Pages are decoded back to tokens, so "once" is counted on
paper, not in the database.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils
import zxingcpp
from PIL import Image

from bramka.config import BadgeSettings, PrinterSettings
from kiosk.print_queue import (
    PrintQueueState,
    PrintWorker,
    backoff_delay,
    create_tables,
    enqueue,
    pending_jobs,
)
from printers.backends import Printer, make_printer
from printers.layout import BadgeData
from printers.virtual import VirtualPrinter

BADGE_SETTINGS = BadgeSettings(fields=["name", "qr"])  # small badges keep the tests quick


def token(n: int) -> str:
    return f"{n:04d}".translate(str.maketrans("0123456789", "ABCDEFGHIJ")) + "Q" * 116


def badge(n: int, role: str = "participant") -> BadgeData:
    return BadgeData(f"Gość Nr {n} Żółć", "OPS", role, token(n), "Kongres", "12.05.2025")


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "kiosk.db"
    db = sqlite_utils.Database(path)
    db.enable_wal()
    db.execute("PRAGMA synchronous=FULL")
    create_tables(db)
    db.close()
    yield path


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite_utils.Database]:
    database = sqlite_utils.Database(db_path)
    yield database
    database.close()


@pytest.fixture
def virtual(tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(tmp_path / "pages", paper_width=384) as printer:
        yield printer


def settings_for(port: int) -> PrinterSettings:
    return PrinterSettings(
        backend="virtual", port=port, paper_width=384, timeout_seconds=2, retry_max_seconds=0.3
    )


def start_worker(
    db_path: Path,
    printer: Printer,
    settings: PrinterSettings,
    on_state: Callable[[PrintQueueState], None] | None = None,
) -> PrintWorker:
    worker = PrintWorker(
        db_path,
        printer,
        printer_settings=settings,
        badge_settings=BADGE_SETTINGS,
        on_state=on_state,
        poll_seconds=0.05,
        status_seconds=0.2,
        backoff_base=0.05,
    )
    worker.start()
    return worker


def printed_tokens(virtual: VirtualPrinter) -> list[str]:
    found = []
    for page in virtual.pages:
        found += [r.text for r in zxingcpp.read_barcodes(Image.open(page).convert("L"))]
    return found


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def states(db: sqlite_utils.Database) -> list[str]:
    return [row[0] for row in db.execute("SELECT state FROM print_jobs ORDER BY rowid")]


# -- the table and enqueue ---------------------------------------------------------------------


def test_create_tables_is_idempotent_and_enqueue_stores_the_badge(
    db: sqlite_utils.Database,
) -> None:
    create_tables(db)
    create_tables(db)
    job_id = enqueue(db, badge(1), attendee_id=1, reason="checkin", scan_id="s-1")
    row = db["print_jobs"].get(job_id)
    assert len(job_id) == 32 and row["state"] == "queued" and row["attempts"] == 0
    assert BadgeData.from_dict(__import__("json").loads(row["badge"])) == badge(1)
    assert row["scan_id"] == "s-1" and row["reason"] == "checkin"
    assert row["created_at"].endswith("+00:00")
    assert pending_jobs(db) == 1
    with pytest.raises(ValueError):
        enqueue(db, badge(2), attendee_id=2, reason="lost")  # type: ignore[arg-type]


def test_enqueue_joins_the_callers_transaction(db: sqlite_utils.Database) -> None:
    with pytest.raises(RuntimeError), db.atomic():
        enqueue(db, badge(1), attendee_id=1, reason="checkin")
        raise RuntimeError("the check-in failed after queueing")
    assert pending_jobs(db) == 0  # rolled back with the scan
    with db.atomic():
        enqueue(db, badge(2), attendee_id=2, reason="reprint")
    assert pending_jobs(db) == 1


def test_enqueue_is_fast(db: sqlite_utils.Database) -> None:
    started = time.perf_counter()
    for n in range(50):
        enqueue(db, badge(n), attendee_id=n, reason="checkin")
    assert (time.perf_counter() - started) / 50 < 0.05


def test_backoff_grows_with_jitter_and_respects_the_cap() -> None:
    delays = [backoff_delay(n, cap=30, base=0.5) for n in range(1, 12)]
    assert all(0 < d <= 30 for d in delays)
    assert delays[0] <= 0.5 and delays[-1] >= 15
    assert len({backoff_delay(3, cap=30) for _ in range(20)}) > 1


# -- the worker --------------------------------------------------------------------------------


def test_jobs_print_oldest_first_each_once(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    settings = settings_for(virtual.port)
    for n in range(4):
        enqueue(db, badge(n), attendee_id=n, reason="checkin")
    worker = start_worker(db_path, make_printer(settings), settings)
    try:
        assert virtual.wait_for_pages(4)
        wait_until(lambda: states(db) == ["done"] * 4)
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(n) for n in range(4)]
    assert worker.state.queued == 0 and worker.state.last_error is None


def test_paper_out_mid_queue_then_every_job_prints_once(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    settings = settings_for(virtual.port)
    seen: list[PrintQueueState] = []
    virtual.load_paper(2)  # the roll ends inside the third badge
    for n in range(5):
        enqueue(db, badge(n), attendee_id=n, reason="checkin")
    worker = start_worker(db_path, make_printer(settings), settings, on_state=seen.append)
    try:
        wait_until(lambda: worker.state.printer.state == "paper_out")
        time.sleep(0.5)  # several retries meet the empty printer
        assert len(virtual.pages) == 2
        assert worker.state.last_error_code == "paper_out" and worker.state.queued == 3
        row = db.execute("SELECT attempts, last_error FROM print_jobs ORDER BY rowid").fetchall()
        assert row[2][0] >= 2 and row[2][1].startswith("paper_out")
        virtual.load_paper()
        assert virtual.wait_for_pages(5)
        wait_until(lambda: worker.state.queued == 0)
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(n) for n in range(5)]
    assert virtual.lost_pages == 1
    assert states(db) == ["done"] * 5
    assert any(s.printer.state == "paper_out" for s in seen)
    assert seen[-1].queued == 0 and seen[-1].last_error is None


def test_printer_unreachable_at_start(
    db: sqlite_utils.Database, db_path: Path, tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_for(port)
    worker = start_worker(db_path, make_printer(settings), settings)
    try:
        for n in range(3):
            enqueue(db, badge(n), attendee_id=n, reason="checkin")
            worker.notify()
        wait_until(
            lambda: worker.state.last_error_code == "printer_offline" and worker.state.queued == 3
        )
        assert worker.state.printer.state == "offline"
        with VirtualPrinter(tmp_path / "late", port=port, paper_width=384) as virtual:
            assert virtual.wait_for_pages(3)
            wait_until(lambda: worker.state.queued == 0)
            tokens = printed_tokens(virtual)
    finally:
        worker.stop()
    assert tokens == [token(n) for n in range(3)]


def test_slow_printer_prints_everything_once_and_never_blocks_check_in(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    settings = settings_for(virtual.port)
    virtual.set_fault("slow 40000")
    for n in range(3):
        enqueue(db, badge(n), attendee_id=n, reason="checkin")
    worker = start_worker(db_path, make_printer(settings), settings)
    try:
        wait_until(lambda: virtual.bytes_received > 2000)
        # mid-job: the check-in path can take the write lock at once
        other = sqlite3.connect(db_path, timeout=0)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
        started = time.perf_counter()
        enqueue(db, badge(3), attendee_id=3, reason="reprint")
        assert time.perf_counter() - started < 0.2
        worker.notify()
        assert virtual.wait_for_pages(4, timeout=15)
        wait_until(lambda: worker.state.queued == 0)
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(n) for n in range(4)]


def test_a_job_left_printing_by_a_crash_is_printed_after_restart(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    job_id = enqueue(db, badge(7), attendee_id=7, reason="checkin")
    db.execute("UPDATE print_jobs SET state = 'printing', attempts = 1 WHERE id = ?", [job_id])
    settings = settings_for(virtual.port)
    worker = start_worker(db_path, make_printer(settings), settings)
    try:
        assert virtual.wait_for_pages(1)
        wait_until(lambda: states(db) == ["done"])
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(7)]
    assert db["print_jobs"].get(job_id)["attempts"] == 2


def test_a_badge_that_cannot_render_fails_without_blocking_the_queue(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    too_big = BadgeData("Ewa", "", "participant", "X" * 1500)  # no QR of this fits the paper
    enqueue(db, too_big, attendee_id=1, reason="checkin")
    enqueue(db, badge(2), attendee_id=2, reason="checkin")
    settings = settings_for(virtual.port)
    worker = start_worker(db_path, make_printer(settings), settings)
    try:
        assert virtual.wait_for_pages(1)
        wait_until(lambda: states(db) == ["failed", "done"])
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(2)]
    error = db.execute("SELECT last_error FROM print_jobs ORDER BY rowid").fetchone()[0]
    assert error.startswith("render:") and "does not fit" in error


def test_stop_while_the_printer_is_down_keeps_the_jobs(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    virtual.set_fault("refuse")
    enqueue(db, badge(1), attendee_id=1, reason="checkin")
    settings = settings_for(virtual.port)
    worker = start_worker(db_path, make_printer(settings), settings)
    try:
        wait_until(lambda: worker.state.last_error_code is not None)
    finally:
        worker.stop()
    assert not worker.is_alive()
    assert states(db) == ["queued"]
    assert virtual.pages == []
