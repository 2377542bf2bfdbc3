"""Badges through the whole kiosk: scan -> queued job -> virtual printer -> readable PNG."""

from __future__ import annotations

import time

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


def pages(tmp_path):
    return sorted((tmp_path / "pages").glob("*.png"))


def decoded(path):
    image = np.array(Image.open(path).convert("L"))
    return [c.text for c in make_decoder("zxing").decode(image)]


def test_entrance_check_in_prints_a_badge_that_scans_back(tmp_path, runtime, printer,
                                                           event_key):
    token = token_for(event_key, 1)
    assert runtime.checkin.scan(token).scan.result == "ok"
    assert printer.wait_for_pages(1, timeout=10)
    assert decoded(pages(tmp_path)[0]) == [token]
    # A repeat the same day re-admits without a second badge.
    assert runtime.checkin.scan(token).scan.result == "already_checked_in"
    time.sleep(0.8)
    assert len(pages(tmp_path)) == 1
    assert runtime.status()["printer"]["queued"] == 0


def test_refused_scans_print_nothing(tmp_path, runtime, event_key):
    for attendee, revision in ((3, 1), (2, 1), (404, 1)):
        assert not runtime.checkin.scan(token_for(event_key, attendee, revision)).scan.admitted
    time.sleep(0.8)
    assert pages(tmp_path) == []


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
    time.sleep(0.8)
    assert len(pages(tmp_path)) == 2


def test_paper_out_never_blocks_check_in(tmp_path, runtime, printer, event_key):
    printer.set_fault("paper_out")
    started = time.perf_counter()
    results = [runtime.checkin.scan(token_for(event_key, i)).scan.result for i in (1, 4, 5)]
    elapsed = time.perf_counter() - started
    assert results == ["ok", "ok", "ok"]
    assert elapsed < 2.0, f"check-ins waited for the printer: {elapsed:.2f} s"
    deadline = time.monotonic() + 10
    while runtime.status()["printer"]["status"] != "paper_out" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runtime.status()["printer"]["status"] == "paper_out"
    printer.clear_fault()
    assert printer.wait_for_pages(3, timeout=15)
    time.sleep(0.5)
    assert len(pages(tmp_path)) == 3  # each once, none twice
