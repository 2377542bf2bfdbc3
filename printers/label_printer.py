"""The part every label printer shares: a :class:`~printers.transport.Transport`, a status
question before each job, and following the job until the printer says it printed.

A protocol (:mod:`printers.zpl`, :mod:`printers.ql`) supplies :meth:`LabelPrinter.query`
(ask once: the status and the error a job would meet) and
:meth:`LabelPrinter.deliver` (write the job and, when ``follow``, wait until it is
printed or failed). A printer that never answers status requests is printed to
blind, as the ESC/POS backend does; a transport that cannot read (a device file)
is blind from the start.
"""

from __future__ import annotations

import logging
from abc import abstractmethod

from bramka.config import PrinterSettings
from printers.backends import (
    SECONDS_PER_JOB_BYTE,
    Printer,
    PrinterError,
    PrinterStatus,
    PrinterTimeout,
)
from printers.profiles import PrinterProfile
from printers.transport import Transport, make_transport

log = logging.getLogger(__name__)

#: time allowed for the mechanism itself, on top of moving the bytes
PRINT_SECONDS = 10.0


class LabelPrinter(Printer):
    def __init__(
        self, name: str, transport: Transport, profile: PrinterProfile, timeout: float
    ) -> None:
        self.name = name
        self.transport = transport
        self.profile = profile
        self.timeout = timeout
        self._answers = True

    # -- what a protocol supplies ---------------------------------------------------------------

    @abstractmethod
    def query(self) -> tuple[PrinterStatus, PrinterError | None]:
        """Ask once; :class:`PrinterTimeout` when the printer does not answer."""

    @abstractmethod
    def deliver(self, data: bytes, follow: bool) -> None:
        """Write one job; with ``follow``, return only once the printer printed it."""

    # -- the interface --------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.transport.is_open

    def open(self) -> None:
        self.transport.open()

    def close(self) -> None:
        self.transport.close()

    @property
    def bidirectional(self) -> bool:
        return self.transport.bidirectional and self._answers

    def status(self) -> PrinterStatus:
        was_open = self.is_open
        try:
            self.open()
            if not self.bidirectional:
                return PrinterStatus("unknown", f"{self.name}: this connection cannot answer")
            status, _ = self.query()
            return status
        except PrinterTimeout:
            self.close()
            return PrinterStatus("unknown", f"{self.name}: no answer to a status request")
        except PrinterError as exc:
            return PrinterStatus(exc.state, str(exc))
        finally:
            if not was_open:
                self.close()

    def send(self, data: bytes) -> None:
        if not self.is_open:
            self.open()
        if self.bidirectional:
            try:
                _, error = self.query()
            except PrinterTimeout:
                log.warning("%s does not answer status requests; printing blind", self.name)
                self._answers = False
                self.close()
                self.open()
            else:
                if error is not None:
                    raise error
        self.deliver(data, follow=self.bidirectional)

    def job_seconds(self, data: bytes) -> float:
        """How long a job of ``data`` may take, moving its bytes and printing it."""
        return self.timeout + PRINT_SECONDS + len(data) * SECONDS_PER_JOB_BYTE


def make_label_printer(settings: PrinterSettings, profile: PrinterProfile) -> Printer:
    """The printer of a QL, ZPL or CUPS profile, on the transport ``[printer]`` names."""
    if profile.protocol == "cups":
        from printers.cups import CupsPrinter

        return CupsPrinter(settings.cups_printer, settings.cups_server, profile,
                           settings.timeout_seconds)
    transport = make_transport(settings)
    name = f"{profile.name} {transport.name}"
    if profile.protocol == "zpl":
        from printers.zpl import ZplPrinter

        return ZplPrinter(name, transport, profile, settings.timeout_seconds)
    if profile.protocol == "ql":
        from printers.ql import QlPrinter

        return QlPrinter(name, transport, profile, settings.timeout_seconds)
    raise ValueError(f"profile {profile.name}: protocol {profile.protocol} is not a label printer")
