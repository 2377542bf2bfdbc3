"""The virtual printer and the backends that talk to it: pages, status bytes, faults, CLI."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bramka.config import BadgeSettings, PrinterSettings
from printers.backends import (
    EscposPrinter,
    NullPrinter,
    PaperOut,
    PrinterDriverMissing,
    PrinterOffline,
    PrinterStatus,
    error_for,
    make_printer,
)
from printers.escpos_encode import STATUS_QUERIES, encode_image
from printers.layout import BadgeData, render_badge
from printers.virtual import Fault, VirtualPrinter

TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def job() -> bytes:
    badge = BadgeData("Łucja Ćwik", "GOPS w Gdowie", "press", TOKEN, "Kongres", "12.05.2025")
    return encode_image(render_badge(badge, BadgeSettings(), 576), 576)


@pytest.fixture
def virtual(tmp_path: Path) -> Iterator[VirtualPrinter]:
    with VirtualPrinter(tmp_path / "pages", control_file=tmp_path / "control") as printer:
        yield printer


def network(printer: VirtualPrinter, timeout: float = 2.0) -> EscposPrinter:
    made = make_printer(
        PrinterSettings(backend="virtual", port=printer.port, timeout_seconds=timeout)
    )
    assert isinstance(made, EscposPrinter)
    return made


def scanned(path: Path) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(Image.open(path).convert("L"))]


def ask(printer: VirtualPrinter) -> bytes:
    with socket.create_connection(printer.address, timeout=2) as sock:
        sock.sendall(b"".join(STATUS_QUERIES))
        answer = b""
        while len(answer) < 4:
            answer += sock.recv(16)
    return answer


def test_a_job_becomes_one_png_page(virtual: VirtualPrinter, job: bytes) -> None:
    with network(virtual) as printer:
        printer.send(job)
    assert virtual.wait_for_pages(1)
    assert [p.name for p in virtual.pages] == ["page-00001.png"]
    assert scanned(virtual.pages[0]) == [TOKEN]
    assert virtual.bytes_received >= len(job)


def test_status_answers_are_real_dle_eot_bytes(virtual: VirtualPrinter) -> None:
    assert ask(virtual) == b"\x12\x12\x12\x12"
    virtual.set_fault("paper_out")
    assert ask(virtual) == b"\x1a\x32\x12\x7e"
    virtual.set_fault("cover_open")
    assert ask(virtual) == b"\x1a\x16\x12\x12"
    virtual.clear_fault()
    virtual.load_paper(1)
    assert ask(virtual)[3] == 0x1E  # near end


def test_paper_out_refuses_jobs_until_paper_is_back(virtual: VirtualPrinter, job: bytes) -> None:
    virtual.set_fault("paper_out")
    printer = network(virtual)
    assert printer.status() == PrinterStatus("paper_out", printer.name)
    with printer:
        with pytest.raises(PaperOut) as caught:
            printer.send(job)
        assert caught.value.code == "paper_out"
        virtual.clear_fault()
        printer.send(job)
    assert virtual.wait_for_pages(1)
    assert len(virtual.pages) == 1


def test_roll_running_out_mid_badge_fails_that_job(virtual: VirtualPrinter, job: bytes) -> None:
    virtual.load_paper(1)
    with network(virtual) as printer:
        printer.send(job)
        with pytest.raises(PaperOut):
            printer.send(job)  # the roll ends inside this badge: it did not print
    assert virtual.lost_pages == 1
    virtual.load_paper()
    with network(virtual) as printer:
        printer.send(job)
    assert virtual.wait_for_pages(2)
    assert [scanned(p) for p in virtual.pages] == [[TOKEN], [TOKEN]]


def test_refuse_closes_connections(virtual: VirtualPrinter, job: bytes) -> None:
    virtual.set_fault("refuse")
    printer = network(virtual)
    assert printer.status().state == "offline"
    with printer, pytest.raises(PrinterOffline):
        printer.send(job)
    assert not printer.is_open
    assert virtual.pages == []


def test_unreachable_printer_is_offline(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = make_printer(PrinterSettings(backend="network", port=port, timeout_seconds=1))
    assert printer.status().state == "offline"
    with pytest.raises(PrinterOffline) as caught:
        printer.open()
    assert caught.value.code == "printer_offline"


def test_slow_printer_still_gets_every_byte(virtual: VirtualPrinter, job: bytes) -> None:
    virtual.set_fault("slow 150000")
    started = time.monotonic()
    with network(virtual) as printer:
        printer.send(job)
    assert time.monotonic() - started >= len(job) / 150000 * 0.7
    assert virtual.wait_for_pages(1)
    assert scanned(virtual.pages[0]) == [TOKEN]


def test_control_file_switches_faults_at_run_time(virtual: VirtualPrinter) -> None:
    assert virtual.control_file is not None
    virtual.control_file.write_text("paper_out\n")
    deadline = time.monotonic() + 3
    while not virtual.paper_out and time.monotonic() < deadline:
        time.sleep(0.05)
    assert virtual.fault == Fault("paper_out")
    virtual.control_file.write_text("slow 5000\n")
    deadline = time.monotonic() + 3
    while virtual.fault.name != "slow" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert virtual.fault == Fault("slow", 5000)


def test_fault_texts() -> None:
    assert Fault.parse("slow:2000") == Fault("slow", 2000)
    assert Fault.parse("") == Fault()
    assert str(Fault.parse("paper-out")) == "paper_out"
    with pytest.raises(ValueError):
        Fault.parse("jam")


def test_pages_continue_numbering_after_a_restart(tmp_path: Path, job: bytes) -> None:
    for expected in ("page-00001.png", "page-00002.png"):
        with VirtualPrinter(tmp_path) as virtual, network(virtual) as printer:
            printer.send(job)
            assert virtual.wait_for_pages(1)
            assert virtual.pages[0].name == expected


def test_file_backend_writes_the_stream(tmp_path: Path, job: bytes) -> None:
    out = tmp_path / "lp0"
    printer = make_printer(PrinterSettings(backend="file", file_path=out))
    assert printer.status().state == "unknown"
    with printer:
        printer.send(job)
    assert out.read_bytes() == job
    missing = make_printer(PrinterSettings(backend="file", file_path=tmp_path / "no" / "lp0"))
    with pytest.raises(PrinterOffline):
        missing.open()


def test_usb_and_serial_without_their_libraries_say_so() -> None:
    from escpos.printer import serial as serial_module
    from escpos.printer import usb as usb_module

    for backend, module in (("usb", usb_module), ("serial", serial_module)):
        if module.is_usable():
            continue  # the library is installed here: nothing to report
        printer = make_printer(PrinterSettings(backend=backend))  # type: ignore[arg-type]
        with pytest.raises(PrinterDriverMissing) as caught:
            printer.open()
        assert caught.value.code == "printer_driver_missing"


def test_null_printer_and_error_mapping() -> None:
    printer = make_printer(PrinterSettings(backend="none"))
    assert isinstance(printer, NullPrinter)
    with printer:
        printer.send(b"\x1b@")
    assert error_for(PrinterStatus("ready")) is None
    assert isinstance(error_for(PrinterStatus("paper_out")), PaperOut)
    assert error_for(PrinterStatus("cover_open")).code == "cover_open"  # type: ignore[union-attr]


def test_cli_virtual_printer_prints_and_switches_faults(tmp_path: Path, job: bytes) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "printers.cli",
            "printer",
            "virtual",
            "--port",
            "0",
            "--out",
            str(out),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        port = int(re.search(r"127\.0\.0\.1:(\d+)", line).group(1))  # type: ignore[union-attr]
        settings = PrinterSettings(backend="virtual", port=port, timeout_seconds=2)
        with make_printer(settings) as printer:
            printer.send(job)
        deadline = time.monotonic() + 5
        while not (out / "page-00001.png").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert scanned(out / "page-00001.png") == [TOKEN]
        switched = subprocess.run(
            [sys.executable, "-m", "printers.cli", "printer", "fault", str(out), "paper_out"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        assert "paper_out" in switched.stdout
        deadline = time.monotonic() + 5
        while make_printer(settings).status().state != "paper_out":
            assert time.monotonic() < deadline, "fault never applied"
            time.sleep(0.1)
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0, stderr
    assert "1 page(s) printed" in stdout
