"""Moving bytes to and from a label printer: TCP port 9100, USB (pyusb) or a device file.

The protocol modules (:mod:`printers.ql`, :mod:`printers.zpl`) speak through a
:class:`Transport` and never touch sockets or USB themselves. Every failure is a
:class:`~printers.backends.PrinterError`: unreachable or lost is
:class:`~printers.backends.PrinterOffline`, no answer in time is
:class:`~printers.backends.PrinterTimeout`, pyusb missing is
:class:`~printers.backends.PrinterDriverMissing`. pyusb is imported when a USB
printer is opened, never at import time.
"""

from __future__ import annotations

import logging
import socket
import time
from abc import abstractmethod
from pathlib import Path
from typing import Any

from bramka.config import PrinterSettings
from printers.backends import Connection, PrinterDriverMissing, PrinterOffline, PrinterTimeout

log = logging.getLogger(__name__)

CHUNK_BYTES = 16384
USB_READ_BYTES = 512


class Transport(Connection):
    """One connection to one printer. ``bidirectional``: the printer can answer."""

    name: str = "transport"
    bidirectional: bool = True

    @abstractmethod
    def write(self, data: bytes) -> None: ...

    @abstractmethod
    def read_some(self, timeout: float) -> bytes:
        """At least one byte, waiting at most ``timeout`` s (:class:`PrinterTimeout`)."""

    _rx = b""  # bytes read beyond the last answer: the start of the next one

    def discard(self) -> None:
        """Forget what was read but not used (unasked messages of an earlier job)."""
        self._rx = b""

    def read_exactly(self, count: int, timeout: float) -> bytes:
        """``count`` bytes; what came with them stays for the next read."""
        deadline = time.monotonic() + timeout
        while len(self._rx) < count:
            self._rx += self.read_some(max(0.001, deadline - time.monotonic()))
        data, self._rx = self._rx[:count], self._rx[count:]
        return data

    def read_through(self, marker: bytes, times: int, timeout: float) -> bytes:
        """Everything up to and including the ``times``-th ``marker``."""
        deadline = time.monotonic() + timeout
        while self._rx.count(marker) < times:
            self._rx += self.read_some(max(0.001, deadline - time.monotonic()))
        end = -1
        for _ in range(times):
            end = self._rx.index(marker, end + 1)
        data, self._rx = self._rx[: end + len(marker)], self._rx[end + len(marker) :]
        return data


class TcpTransport(Transport):
    """A network printer's raw port (9100), and every virtual printer."""

    def __init__(self, host: str, port: int, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.name = f"{host}:{port}"
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        self._rx = b""
        try:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise PrinterOffline(f"{self.name}: {exc}") from None
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                log.debug("error closing %s", self.name, exc_info=True)

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise PrinterOffline(f"{self.name}: not open")
        return self._sock

    def write(self, data: bytes) -> None:
        sock = self._require()
        try:
            sock.settimeout(self.timeout)
            for start in range(0, len(data), CHUNK_BYTES):
                sock.sendall(data[start : start + CHUNK_BYTES])
        except TimeoutError:
            self.close()
            raise PrinterTimeout(f"{self.name}: the printer stopped taking data") from None
        except OSError as exc:
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None

    def read_some(self, timeout: float) -> bytes:
        sock = self._require()
        try:
            sock.settimeout(timeout)
            data = sock.recv(4096)
        except TimeoutError:
            raise PrinterTimeout(f"{self.name}: no answer from the printer") from None
        except OSError as exc:
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None
        if not data:
            self.close()
            raise PrinterOffline(f"{self.name}: the printer closed the connection")
        return data


class UsbTransport(Transport):
    """A USB printer through pyusb: the first bulk OUT and bulk IN endpoints of interface 0."""

    def __init__(self, vendor: int, product: int, timeout: float) -> None:
        self.vendor, self.product, self.timeout = vendor, product, timeout
        self.name = f"usb {vendor:04x}:{product:04x}"
        self._device: Any = None
        self._out: Any = None
        self._in: Any = None

    @property
    def is_open(self) -> bool:
        return self._device is not None

    def open(self) -> None:
        if self._device is not None:
            return
        self._rx = b""
        try:
            import usb.core
            import usb.util
        except ImportError:
            raise PrinterDriverMissing("USB printing needs pyusb (pip install pyusb)") from None
        try:
            device = usb.core.find(idVendor=self.vendor, idProduct=self.product)
            if device is None:
                raise PrinterOffline(f"{self.name}: no such USB device")
            if device.is_kernel_driver_active(0):
                device.detach_kernel_driver(0)
            device.set_configuration()
            interface = device.get_active_configuration()[(0, 0)]

            def endpoint(direction: int) -> Any:
                return usb.util.find_descriptor(
                    interface,
                    custom_match=lambda e: usb.util.endpoint_direction(e.bEndpointAddress)
                    == direction,
                )

            self._out, self._in = endpoint(usb.util.ENDPOINT_OUT), endpoint(usb.util.ENDPOINT_IN)
        except usb.core.USBError as exc:
            raise PrinterOffline(f"{self.name}: {exc}") from None
        if self._out is None:
            raise PrinterOffline(f"{self.name}: the device has no bulk OUT endpoint")
        self.bidirectional = self._in is not None
        self._device = device

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            import usb.util

            try:
                usb.util.dispose_resources(device)
            except Exception:  # closing a vanished device must not mask the real error
                log.debug("error releasing %s", self.name, exc_info=True)

    def write(self, data: bytes) -> None:
        import usb.core

        if self._device is None:
            raise PrinterOffline(f"{self.name}: not open")
        try:
            for start in range(0, len(data), CHUNK_BYTES):
                self._out.write(data[start : start + CHUNK_BYTES], int(self.timeout * 1000))
        except usb.core.USBTimeoutError:
            self.close()
            raise PrinterTimeout(f"{self.name}: the printer stopped taking data") from None
        except usb.core.USBError as exc:
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None

    def read_some(self, timeout: float) -> bytes:
        import usb.core

        if self._device is None or self._in is None:
            raise PrinterOffline(f"{self.name}: cannot read")
        deadline = time.monotonic() + timeout
        try:
            while True:  # a printer with nothing to say answers empty packets
                data = bytes(self._in.read(USB_READ_BYTES, max(1, int(timeout * 1000))))
                if data:
                    return data
                if time.monotonic() >= deadline:
                    raise usb.core.USBTimeoutError("no data")
                time.sleep(0.01)
        except usb.core.USBTimeoutError:
            raise PrinterTimeout(f"{self.name}: no answer from the printer") from None
        except usb.core.USBError as exc:
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None


class FileTransport(Transport):
    """A device node (``/dev/usb/lp0``) or a file: write only, no status."""

    bidirectional = False

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"file {path}"
        self._file: Any = None

    @property
    def is_open(self) -> bool:
        return self._file is not None

    def open(self) -> None:
        if self._file is None:
            try:
                self._file = open(self.path, "ab", buffering=0)  # noqa: SIM115
            except OSError as exc:
                raise PrinterOffline(f"{self.name}: {exc}") from None

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise PrinterOffline(f"{self.name}: not open")
        try:
            self._file.write(data)
        except OSError as exc:
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None

    def read_some(self, timeout: float) -> bytes:
        raise PrinterOffline(f"{self.name}: a device file cannot answer")


def make_transport(settings: PrinterSettings) -> Transport:
    """The connection ``[printer] backend`` names (``serial`` is ESC/POS only)."""
    backend, timeout = settings.backend, settings.timeout_seconds
    if backend in ("network", "virtual"):
        return TcpTransport(settings.host, settings.port, timeout)
    if backend == "usb":
        return UsbTransport(settings.usb_vendor, settings.usb_product, timeout)
    if backend == "file":
        return FileTransport(settings.file_path)
    raise ValueError(f"printer backend {backend!r} cannot carry this printer's protocol")
