"""Badges through the whole kiosk: scan -> queued job -> virtual printer -> readable PNG."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image
from support import token_for

from bramka.config import load_settings
from kiosk.printing import ReprintUnavailable
from kiosk.runtime import KioskRuntime
from kiosk.scanner.decoders import make_decoder
from printers.virtual import VirtualPrinter
from sync.wire import BadgePayload, Command


@pytest.fixture
def printer(tmp_path):
    with VirtualPrinter(tmp_path / "pages") as vp:
        yield vp


@pytest.fixture
def runtime(tmp_path, roster, printer):
    host, port = printer.address
    settings = load_settings(None, {
        "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
        "BRAMKA_PRINTER__BACKEND": "virtual", "BRAMKA_PRINTER__HOST": host,
        "BRAMKA_PRINTER__PORT": str(port), "BRAMKA_PRINTER__RETRY_MAX_SECONDS": "0.5",
    })
    rt = KioskRuntime(settings)
    rt.checkin.apply_roster(roster)
    rt.start_devices(camera=False)
    yield rt
    rt.stop()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def pages(tmp_path):
    return sorted((tmp_path / "pages").glob("*.png"))


def decoded(path):
    image = np.array(Image.open(path).convert("L"))
    return [c.text for c in make_decoder("zxing").decode(image)]


def jobs(runtime: KioskRuntime) -> list[tuple[str, int]]:
    """(reason, attendee) of every print job queued so far, oldest first."""
    return [(r, a) for r, a in runtime.store.reader.db.execute(
        "SELECT reason, attendee_id FROM print_jobs ORDER BY rowid").fetchall()]


def printed_after_a_barrier(tmp_path, runtime: KioskRuntime, printer: VirtualPrinter,
                            key) -> list:
    """Every page, once a badge queued now has come out. Jobs print oldest first, so a
    page still due from anything queued before has come out by then too: no sleeping
    and hoping that whatever was going to print has printed."""
    before = len(pages(tmp_path))
    barrier = token_for(key, 5, 9)
    runtime.printer.print_command(Command(id="barrier", kind="reprint", attendee_id=5,
                                          badge=BadgePayload(name="Bariera", token=barrier)))
    assert printer.wait_for_pages(before + 1, timeout=15)
    # the page is out a moment before the worker marks its job done
    assert wait_for(lambda: runtime.status()["printer"]["queued"] == 0)
    printed = pages(tmp_path)
    assert decoded(printed[-1]) == [barrier], "the barrier badge came out last"
    return printed[:-1]


def test_entrance_check_in_prints_a_badge_that_scans_back(tmp_path, runtime, printer,
                                                           event_key):
    token = token_for(event_key, 1)
    assert runtime.checkin.scan(token).scan.result == "ok"
    assert printer.wait_for_pages(1, timeout=10)
    assert decoded(pages(tmp_path)[0]) == [token]
    # A repeat the same day re-admits without a second badge.
    assert runtime.checkin.scan(token).scan.result == "already_checked_in"
    assert jobs(runtime) == [("checkin", 1)]  # queued with the scan, or not at all
    assert len(printed_after_a_barrier(tmp_path, runtime, printer, event_key)) == 1
    assert runtime.status()["printer"]["queued"] == 0


def test_refused_scans_print_nothing(tmp_path, runtime, printer, event_key):
    for attendee, revision in ((3, 1), (2, 1), (404, 1)):
        assert not runtime.checkin.scan(token_for(event_key, attendee, revision)).scan.admitted
    assert jobs(runtime) == []
    assert printed_after_a_barrier(tmp_path, runtime, printer, event_key) == []


def test_reprint_uses_the_current_badge_code(tmp_path, runtime, printer, event_key):
    with pytest.raises(ReprintUnavailable):
        runtime.printer.reprint(4)  # never scanned here: no code to print
    token = token_for(event_key, 4)
    runtime.checkin.scan(token)
    runtime.printer.reprint(4)
    assert printer.wait_for_pages(2, timeout=10)
    assert [decoded(p) for p in pages(tmp_path)] == [[token], [token]]
    with pytest.raises(ReprintUnavailable):
        runtime.printer.reprint(999)


def test_a_reprint_command_run_twice_prints_one_badge(tmp_path, runtime, printer, event_key):
    # The kiosk queued the badge, then stopped before noting the command as done: the
    # admin sends the same command again at the next contact.
    command = Command(id="41", kind="reprint", attendee_id=4, badge=BadgePayload(
        name="Ewa Nowak", token=token_for(event_key, 4, 2)))
    first = runtime.printer.print_command(command)
    assert runtime.printer.print_command(command) == first
    other = runtime.printer.print_command(command.model_copy(update={"id": "42"}))
    assert other != first
    assert printer.wait_for_pages(2, timeout=10)
    assert jobs(runtime) == [("reprint", 4), ("reprint", 4)]
    assert len(printed_after_a_barrier(tmp_path, runtime, printer, event_key)) == 2


def test_paper_out_never_blocks_check_in(tmp_path, runtime, printer, event_key):
    """Its speed is a benchmark (bench/bench_print_queue.py, check-in with paper out)."""
    printer.set_fault("paper_out")
    results = [runtime.checkin.scan(token_for(event_key, i)).scan.result for i in (1, 4, 5)]
    assert results == ["ok", "ok", "ok"]  # admitted while no badge can print
    assert jobs(runtime) == [("checkin", 1), ("checkin", 4), ("checkin", 5)]
    assert wait_for(lambda: runtime.status()["printer"]["status"] == "paper_out")
    assert pages(tmp_path) == []
    printer.clear_fault()
    assert printer.wait_for_pages(3, timeout=15)
    printed = printed_after_a_barrier(tmp_path, runtime, printer, event_key)
    assert [decoded(p) for p in printed] == [[token_for(event_key, i)] for i in (1, 4, 5)]
