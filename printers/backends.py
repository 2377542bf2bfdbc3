"""Printers behind one interface: open, close, send bytes, ask for status.

The kiosk depends on :class:`Printer` only. Implementations wrap python-escpos'
``Usb``, ``Serial``, ``Network`` and ``File`` backends, which only open, close
and move raw bytes; the USB and serial libraries are imported when such a
printer is opened, never at import time. Open and close explicitly: python-escpos
also closes in ``__del__``, which Bramka never relies on.

Status: on a bidirectional transport (network, which includes the virtual
printer) :meth:`Printer.send` asks ``DLE EOT 1..4`` before a job (a printer out of
paper gets nothing) and again after it (a roll that ran out mid-badge means the
job did not print). Errors are :class:`PrinterError` subclasses whose ``code`` a
screen can be chosen by.
"""

from __future__ import annotations

import logging
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Self

from bramka.config import PrinterSettings
from printers.escpos_encode import STATUS_QUERIES, StatusBytes, cut_stream

log = logging.getLogger(__name__)

PrinterState = Literal["ready", "paper_out", "cover_open", "error", "offline", "unknown"]
CHUNK_BYTES = 4096
#: how long to wait for the post-job status, per byte of job (a slow printer reads slowly)
SECONDS_PER_JOB_BYTE = 1 / 16384


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the printer says about itself. ``unknown``: the transport cannot ask."""

    state: PrinterState
    detail: str = ""
    paper_low: bool = False

    @property
    def can_print(self) -> bool:
        return self.state in ("ready", "unknown")


# -- errors -------------------------------------------------------------------------------------


class PrinterError(Exception):
    """A job could not be printed. ``code`` selects the screen, ``state`` the status."""

    code = "printer_error"
    state: PrinterState = "unknown"


class PrinterOffline(PrinterError):
    """Cannot reach the printer: unplugged, switched off, wrong address, connection lost."""

    code = "printer_offline"
    state: PrinterState = "offline"


class PrinterTimeout(PrinterOffline):
    """The printer stopped taking bytes or answering within the timeout."""

    code = "printer_timeout"


class PrinterDriverMissing(PrinterOffline):
    """The Python library for this transport is not installed (pyusb, pyserial)."""

    code = "printer_driver_missing"


class PaperOut(PrinterError):
    code = "paper_out"
    state: PrinterState = "paper_out"


class CoverOpen(PrinterError):
    code = "cover_open"
    state: PrinterState = "cover_open"


class PrinterFault(PrinterError):
    """The printer reports an error (cutter jam, overheating, unrecoverable error)."""

    code = "printer_fault"
    state: PrinterState = "error"


class WrongMedia(PrinterError):
    """The labels or roll loaded are not the profile's (another width, die-cut for endless)."""

    code = "wrong_media"
    state: PrinterState = "error"


_STATE_ERRORS: dict[str, type[PrinterError]] = {
    "paper_out": PaperOut,
    "cover_open": CoverOpen,
    "error": PrinterFault,
    "offline": PrinterOffline,
}


def error_for(status: PrinterStatus) -> PrinterError | None:
    """The error a job meets at a printer in this state (``None`` when it can print)."""
    if status.can_print:
        return None
    return _STATE_ERRORS.get(status.state, PrinterError)(status.detail or status.state)


# -- the interface ------------------------------------------------------------------------------


class Connection(ABC):
    """Something opened and closed explicitly: a printer, or a transport under one."""

    name: str = "connection"

    @abstractmethod
    def open(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    @property
    @abstractmethod
    def is_open(self) -> bool: ...

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Printer(Connection):
    """A badge printer. ``send`` returns only once the bytes were delivered."""

    name: str = "printer"

    @abstractmethod
    def send(self, data: bytes) -> None:
        """Deliver one job's bytes; raise :class:`PrinterError` if it did not print."""

    @abstractmethod
    def status(self) -> PrinterStatus: ...


class NullPrinter(Printer):
    """``backend = "none"``: printing is switched off; jobs are accepted and dropped."""

    name = "none"

    def __init__(self) -> None:
        self._open = False

    def open(self) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def send(self, data: bytes) -> None:
        log.info("printing disabled: %d bytes dropped", len(data))

    def status(self) -> PrinterStatus:
        return PrinterStatus("unknown", "printing disabled / drukowanie wyłączone")


class EscposPrinter(Printer):
    """A python-escpos device made by ``factory``; ``bidirectional`` enables status queries."""

    def __init__(
        self,
        name: str,
        factory: Callable[[], Any],
        *,
        bidirectional: bool,
        timeout: float,
    ) -> None:
        self.name = name
        self._factory = factory
        self.bidirectional = bidirectional
        self.timeout = timeout
        self._device: Any = None
        self._status_answers = bidirectional
        self._spoiled = False  # a job was cut off mid-stream: eject it before the next one

    # -- connection -------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self._device is not None

    def open(self) -> None:
        if self._device is not None:
            return
        from escpos.exceptions import DeviceNotFoundError

        device = self._factory()
        try:
            device.open()
        except DeviceNotFoundError as exc:
            _quiet_close(device)
            raise PrinterOffline(f"{self.name}: {exc.msg.strip()}") from None
        except RuntimeError as exc:  # python-escpos: "the dependency is not installed"
            _quiet_close(device)
            raise PrinterDriverMissing(f"{self.name}: {exc}") from None
        except OSError as exc:
            _quiet_close(device)
            raise PrinterOffline(f"{self.name}: {exc}") from None
        self._device = device
        log.info("printer %s open", self.name)

    def close(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            _quiet_close(device)
            log.info("printer %s closed", self.name)

    def _require_open(self) -> Any:
        if self._device is None:
            raise PrinterOffline(f"{self.name}: not open")
        return self._device

    # -- status -----------------------------------------------------------------------------

    def _query(self, wait: float) -> StatusBytes | None:
        """Ask DLE EOT 1-4; ``None`` if the printer did not answer within ``wait`` seconds."""
        device = self._require_open()
        sock = getattr(device, "device", None)
        try:
            device._raw(b"".join(STATUS_QUERIES))
            answer = b""
            deadline = time.monotonic() + wait
            while len(answer) < len(STATUS_QUERIES):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                if isinstance(sock, socket.socket):
                    sock.settimeout(remaining)
                chunk = device._read()
                if not chunk:
                    raise PrinterOffline(f"{self.name}: the printer closed the connection")
                answer += chunk
        except TimeoutError:
            self.close()  # a late answer would be read as the next one's: start afresh
            return None
        except OSError as exc:
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None
        finally:
            if isinstance(sock, socket.socket) and self._device is not None:
                sock.settimeout(self.timeout)
        first = answer[-len(STATUS_QUERIES) :]
        return StatusBytes(first[0], first[1], first[2], first[3])

    def status(self) -> PrinterStatus:
        """Ask the printer (opening it for the question if it is closed)."""
        if not self.bidirectional:
            return PrinterStatus("unknown", f"{self.name}: this connection cannot report status")
        was_open = self.is_open
        try:
            self.open()
            answer = self._query(self.timeout)
        except PrinterError as exc:
            return PrinterStatus(exc.state, str(exc))
        finally:
            if not was_open:
                self.close()
        if answer is None:
            return PrinterStatus("unknown", f"{self.name}: no answer to a status request")
        return PrinterStatus(answer.state, self.name, answer.paper_low)

    # -- jobs -------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        device = self._require_open()
        if self._status_answers:
            before = self._query(self.timeout)
            if before is None:
                log.warning("%s does not answer status requests; printing blind", self.name)
                self._status_answers = False
                self.open()
                device = self._require_open()
            else:
                _raise_for(before, self.name)
        try:
            if self._spoiled:
                device._raw(cut_stream())  # eject the badge a failed job left half-printed
                self._spoiled = False
            for start in range(0, len(data), CHUNK_BYTES):
                device._raw(data[start : start + CHUNK_BYTES])
        except TimeoutError:
            self._spoiled = True
            self.close()
            raise PrinterTimeout(f"{self.name}: the printer stopped taking data") from None
        except OSError as exc:
            self._spoiled = True
            self.close()
            raise PrinterOffline(f"{self.name}: {exc}") from None
        if self._status_answers:
            after = self._query(self.timeout + len(data) * SECONDS_PER_JOB_BYTE)
            if after is None:
                log.warning("%s: no status after the job; counting it as delivered", self.name)
                return
            if after.state != "ready":
                self._spoiled = True
            _raise_for(after, self.name)


def _raise_for(answer: StatusBytes, name: str) -> None:
    error = error_for(PrinterStatus(answer.state, name))
    if error is not None:
        raise error


def _quiet_close(device: Any) -> None:
    try:
        device.close()
    except Exception:  # closing a broken device must never mask the real error
        log.debug("error while closing a printer device", exc_info=True)


# -- from settings ------------------------------------------------------------------------------


def make_printer(settings: PrinterSettings) -> Printer:
    """The printer ``[printer]`` in config.toml describes (not yet open): a label printer
    when ``profile`` names one (:mod:`printers.label_printer`), else ESC/POS."""
    backend = settings.backend
    timeout = settings.timeout_seconds
    if backend == "none":
        return NullPrinter()
    if settings.profile:
        from printers.profiles import get_profile

        profile = get_profile(settings.profile)
        if profile.protocol != "escpos":
            from printers.label_printer import make_label_printer

            return make_label_printer(settings, profile)
    if backend in ("network", "virtual"):

        def network() -> Any:
            from printers.escpos_network import ClosingNetwork

            return ClosingNetwork(host=settings.host, port=settings.port, timeout=timeout)

        return EscposPrinter(
            f"{backend} {settings.host}:{settings.port}",
            network,
            bidirectional=True,
            timeout=timeout,
        )
    if backend == "usb":

        def usb() -> Any:
            from escpos.printer import usb as usb_module

            if not usb_module.is_usable():
                raise PrinterDriverMissing("USB printing needs pyusb (pip install pyusb)")
            return usb_module.Usb(
                settings.usb_vendor, settings.usb_product, timeout=int(timeout * 1000)
            )

        name = f"usb {settings.usb_vendor:04x}:{settings.usb_product:04x}"
        return EscposPrinter(name, usb, bidirectional=False, timeout=timeout)
    if backend == "serial":

        def serial() -> Any:
            from escpos.printer import serial as serial_module

            if not serial_module.is_usable():
                raise PrinterDriverMissing("serial printing needs pyserial (pip install pyserial)")
            return serial_module.Serial(
                devfile=settings.serial_device, baudrate=settings.baudrate, timeout=timeout
            )

        return EscposPrinter(
            f"serial {settings.serial_device}", serial, bidirectional=False, timeout=timeout
        )
    if backend == "file":

        def file() -> Any:
            from escpos.printer.file import File

            return File(devfile=str(settings.file_path))

        return EscposPrinter(
            f"file {settings.file_path}", file, bidirectional=False, timeout=timeout
        )
    raise ValueError(f"unknown printer backend {backend!r}")
