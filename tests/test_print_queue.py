"""The kiosk's print queue: durable jobs, one worker, every badge printed once.

Faults are the virtual printer's: paper out mid-queue, printer unreachable at
start, slow printer; and the queue's own database failing under the worker.
Pages are decoded back to tokens, so "once" is counted on paper, not in the
database.
"""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlite_utils
import zxingcpp
from PIL import Image

from bramka.config import BadgeSettings, PrinterSettings, load_settings
from kiosk.events import EventBus
from kiosk.print_queue import (
    PrintQueueState,
    PrintWorker,
    backoff_delay,
    enqueue,
    open_connection,
    pending_jobs,
)
from kiosk.printing import KioskPrinting
from kiosk.store import open_store
from kiosk.store_schema import migrate
from printers.backends import Printer, make_printer
from printers.layout import BadgeData
from printers.virtual import VirtualPrinter

FIXTURES = Path(__file__).parent / "fixtures"
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
    migrate(db)
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
    connect: Callable[[Path], sqlite3.Connection] = open_connection,
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
        connect=connect,
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


def test_opening_the_kiosk_store_creates_print_jobs_without_loading_the_printers(
    tmp_path: Path,
) -> None:
    """The store's own migration makes the table: opening the database imports no
    printing code (Pillow, python-escpos, this queue)."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from kiosk.store import open_store\n"
        "store = open_store(Path(sys.argv[1]))\n"
        "print(store.reader.db.execute('SELECT count(*) FROM print_jobs').fetchone()[0])\n"
        "store.close()\n"
        "roots = ('PIL', 'escpos', 'printers', 'kiosk.print_queue')\n"
        "print(sorted(m for m in sys.modules if m.startswith(roots)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["0", "[]"]


def test_the_print_jobs_schema_is_the_one_existing_kiosks_have(
    db: sqlite_utils.Database,
) -> None:
    rows = db.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'print_jobs' AND sql IS NOT NULL"
        " ORDER BY name"
    ).fetchall()
    schema = ";\n".join(sql for (sql,) in rows) + ";\n"
    assert schema == (FIXTURES / "print_jobs_schema.sql").read_text(encoding="utf-8")


def test_migrations_are_idempotent_and_enqueue_stores_the_badge(
    db: sqlite_utils.Database,
) -> None:
    migrate(db)
    migrate(db)
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


def test_enqueue_queues_each_badge_once(db: sqlite_utils.Database) -> None:
    """Its speed is a benchmark (bench/bench_print_queue.py), not a timed test."""
    ids = [enqueue(db, badge(n), attendee_id=n, reason="checkin") for n in range(50)]
    assert len(set(ids)) == 50 and pending_jobs(db) == 50
    assert enqueue(db, badge(0), attendee_id=0, reason="reprint", job_id=ids[0]) == ids[0]
    assert pending_jobs(db) == 50  # a known job id queues nothing new


def test_the_workers_connection_is_durable_and_waits_for_writers(db_path: Path) -> None:
    """Read back from the connection the worker opens (the fixture's own settings do not
    carry over: synchronous and busy_timeout belong to a connection)."""
    opened: list[int] = []  # the synchronous setting of each connection the worker opened

    def spying_connect(path: Path) -> sqlite3.Connection:
        conn = open_connection(path)
        opened.append(conn.execute("PRAGMA synchronous").fetchone()[0])
        return conn

    conn = open_connection(db_path)
    try:
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.isolation_level is None  # autocommit: no transaction left open
    finally:
        conn.close()
    printer = make_printer(settings_for(9))  # never reached: the queue is empty
    worker = PrintWorker(db_path, printer, printer_settings=settings_for(9),
                         badge_settings=BADGE_SETTINGS, poll_seconds=0.05, connect=spying_connect)
    worker.start()
    try:
        wait_until(lambda: bool(opened))
        assert opened[0] == 2
    finally:
        worker.stop()
    assert PrintWorker.__init__.__kwdefaults__["connect"] is open_connection


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
        # several retries meet the empty printer, and none of them prints a page
        wait_until(lambda: db.execute(
            "SELECT attempts FROM print_jobs ORDER BY rowid LIMIT 1 OFFSET 2").fetchone()[0] >= 3)
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
        # ... and queue on a connection that would fail at once on a held lock
        # (its speed is a benchmark: bench/bench_print_queue.py)
        impatient = sqlite_utils.Database(sqlite3.connect(db_path, timeout=0))
        try:
            with impatient.atomic():
                enqueue(impatient, badge(3), attendee_id=3, reason="reprint")
        finally:
            impatient.close()
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


def test_a_database_error_does_not_stop_the_worker(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    """The table vanishes for a moment under the idle worker: it shows queue_error,
    reconnects, and prints the job queued once the table is back."""
    settings = settings_for(virtual.port)
    connections: list[Path] = []

    def counting_connect(path: Path) -> sqlite3.Connection:
        connections.append(path)
        return open_connection(path)

    worker = start_worker(db_path, make_printer(settings), settings, connect=counting_connect)
    try:
        wait_until(lambda: worker.state.printer.state == "ready")
        db.execute("ALTER TABLE print_jobs RENAME TO print_jobs_away")
        wait_until(lambda: worker.state.last_error_code == "queue_error")
        assert "print_jobs" in (worker.state.last_error or "")
        assert worker.state.describe().en == "The print queue has a problem; retrying."
        db.execute("ALTER TABLE print_jobs_away RENAME TO print_jobs")
        enqueue(db, badge(5), attendee_id=5, reason="checkin")
        worker.notify()
        assert virtual.wait_for_pages(1)
        wait_until(lambda: states(db) == ["done"] and worker.state.last_error is None)
        assert worker.is_alive() and worker.state.queued == 0
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(5)]
    assert len(connections) >= 2  # the failed connection was replaced


def test_the_worker_retries_when_the_database_cannot_be_opened(
    db: sqlite_utils.Database, db_path: Path, virtual: VirtualPrinter
) -> None:
    seen: list[PrintQueueState] = []
    attempts: list[Path] = []

    def flaky_connect(path: Path) -> sqlite3.Connection:
        attempts.append(path)
        if len(attempts) == 1:
            raise sqlite3.OperationalError("unable to open database file")
        return open_connection(path)

    enqueue(db, badge(6), attendee_id=6, reason="checkin")
    settings = settings_for(virtual.port)
    worker = start_worker(
        db_path, make_printer(settings), settings, on_state=seen.append, connect=flaky_connect
    )
    try:
        assert virtual.wait_for_pages(1)
        wait_until(lambda: states(db) == ["done"])
    finally:
        worker.stop()
    assert printed_tokens(virtual) == [token(6)]
    assert [s.last_error_code for s in seen[:1]] == ["queue_error"]
    assert seen[-1].last_error is None and seen[-1].queued == 0


def test_the_kiosk_says_what_the_printer_needs_in_polish_and_english(
    tmp_path: Path, virtual: VirtualPrinter
) -> None:
    virtual.set_fault("paper_out")
    settings = load_settings(
        None,
        {
            "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
            "BRAMKA_PRINTER__BACKEND": "virtual",
            "BRAMKA_PRINTER__PORT": str(virtual.port),
            "BRAMKA_PRINTER__TIMEOUT_SECONDS": "2",
        },
    )
    store = open_store(settings.kiosk.data_dir)
    printing = KioskPrinting(store, settings, EventBus())
    printing.start()
    try:
        wait_until(lambda: printing.state["status"] == "paper_out")
        state = printing.state
    finally:
        printing.stop()
        store.close()
    assert state["pl"] == "Brak papieru w drukarce."
    assert state["en"] == "The printer is out of paper."


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
