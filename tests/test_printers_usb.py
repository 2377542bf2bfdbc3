"""The USB transport (pyusb, imported only when a USB printer is opened), against a fake
pyusb whose device is the virtual QL's print mechanism: bulk OUT feeds its parser,
bulk IN returns its answers."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bramka.config import BadgeSettings, PrinterSettings
from printers.backends import PrinterDriverMissing, PrinterOffline, make_printer
from printers.jobs import BadgeEncoder
from printers.layout import BadgeData
from printers.profiles import get_profile
from printers.ql_decode import QlParser
from printers.transport import UsbTransport
from printers.virtual_ql import VirtualQl

TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"
OUT, IN = 0x02, 0x81


class USBError(Exception):
    pass


class USBTimeoutError(USBError):
    pass


class Endpoint:
    def __init__(self, address: int, device: FakeDevice) -> None:
        self.bEndpointAddress = address
        self.device = device

    def write(self, data: bytes, timeout: int) -> int:
        self.device.written += len(data)
        self.device.answers += self.device.parser.feed(bytes(data))
        return len(data)

    def read(self, size: int, timeout: int) -> bytes:
        if not self.device.answers:
            raise USBTimeoutError("timeout")
        data, self.device.answers = self.device.answers[:size], self.device.answers[size:]
        return data


class FakeDevice:
    def __init__(self, machine: VirtualQl) -> None:
        self.parser = QlParser(machine)
        self.answers = b""
        self.written = 0
        self.detached = False
        self.endpoints = [Endpoint(OUT, self), Endpoint(IN, self)]

    def is_kernel_driver_active(self, interface: int) -> bool:
        return not self.detached

    def detach_kernel_driver(self, interface: int) -> None:
        self.detached = True

    def set_configuration(self) -> None:
        pass

    def get_active_configuration(self) -> dict[tuple[int, int], list[Endpoint]]:
        return {(0, 0): self.endpoints}


def fake_pyusb(monkeypatch: pytest.MonkeyPatch, device: FakeDevice | None) -> None:
    usb = types.ModuleType("usb")
    core = types.ModuleType("usb.core")
    util = types.ModuleType("usb.util")
    core.USBError = USBError  # type: ignore[attr-defined]
    core.USBTimeoutError = USBTimeoutError  # type: ignore[attr-defined]
    core.find = lambda idVendor, idProduct: device  # type: ignore[attr-defined]  # noqa: N803
    util.ENDPOINT_OUT, util.ENDPOINT_IN = 0x00, 0x80  # type: ignore[attr-defined]
    util.endpoint_direction = lambda address: address & 0x80  # type: ignore[attr-defined]
    util.find_descriptor = lambda interface, custom_match: next(  # type: ignore[attr-defined]
        (e for e in interface if custom_match(e)), None)
    util.dispose_resources = lambda dev: None  # type: ignore[attr-defined]
    usb.core, usb.util = core, util  # type: ignore[attr-defined]
    for name, module in (("usb", usb), ("usb.core", core), ("usb.util", util)):
        monkeypatch.setitem(sys.modules, name, module)


def usb_settings() -> PrinterSettings:
    return PrinterSettings(backend="usb", usb_vendor=0x04F9, usb_product=0x209D,
                           profile="ql-62", timeout_seconds=2)


def test_a_ql_on_usb_prints_and_reads_its_status(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    machine = VirtualQl(tmp_path, profile=get_profile("ql-62"))  # not started: no TCP
    machine.out_dir.mkdir(exist_ok=True)
    device = FakeDevice(machine)
    fake_pyusb(monkeypatch, device)
    printer = make_printer(usb_settings())
    assert printer.status().state == "ready"
    job = BadgeEncoder.for_settings(usb_settings(), BadgeSettings(fields=["name", "qr"])).encode(
        BadgeData("Zażółć Gęślą-Jaźń", "", "participant", TOKEN))
    with printer:
        printer.send(job)
    assert device.detached and device.written >= len(job)
    (page,) = machine.pages
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(page).convert("L"))] == [TOKEN]
    machine.set_fault("cover_open")
    assert printer.status().state == "cover_open"


def test_no_device_is_offline_and_no_pyusb_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pyusb(monkeypatch, None)
    with pytest.raises(PrinterOffline, match="no such USB device"):
        UsbTransport(0x04F9, 0x209D, 1).open()
    monkeypatch.setitem(sys.modules, "usb", None)  # import usb -> ImportError
    monkeypatch.setitem(sys.modules, "usb.core", None)
    with pytest.raises(PrinterDriverMissing, match="pyusb"):
        UsbTransport(0x04F9, 0x209D, 1).open()
