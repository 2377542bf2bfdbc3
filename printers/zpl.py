"""Zebra printers (ZPL II) behind :class:`~printers.backends.Printer`.

Before a job ``~HS`` asks the host status: paper out, head open, paused on
labels of another length or an error refuse the job before a byte of it is sent.
After the job the printer is asked again until its buffer is empty (printed). A
fault that shows up meanwhile cancels what the printer still holds (``~JA``) and
raises the fault: the print queue's retry is then the only copy, so a badge is
printed once, not once now and once more when the operator closes the head.
"""

from __future__ import annotations

import logging
import time

from printers.backends import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterStatus,
    PrinterTimeout,
    WrongMedia,
)
from printers.label_printer import LabelPrinter
from printers.profiles import PrinterProfile
from printers.zpl_encode import (
    CANCEL_ALL,
    ETX,
    HOST_STATUS,
    HostStatus,
    parse_host_status,
)

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05


def zpl_error(status: HostStatus, profile: PrinterProfile, name: str) -> PrinterError | None:
    """The error a job meets at a printer in ``status`` (``None``: it can print)."""
    if status.paper_out:
        return PaperOut(f"{name}: paper out")
    if status.head_up:
        return CoverOpen(f"{name}: print head open")
    expected = profile.length_dots
    if status.pause and expected and status.label_length:
        if abs(status.label_length - expected) > max(8, expected // 20):
            return WrongMedia(
                f"{name}: labels of {status.label_length} dots loaded, the profile "
                f"{profile.name} needs {expected}"
            )
    if status.state == "error":
        return PrinterFault(f"{name}: {status.detail}")
    return None


class ZplPrinter(LabelPrinter):
    def read_status(self, wait: float) -> HostStatus:
        return parse_host_status(self.transport.read_through(ETX, 3, wait))

    def query(self) -> tuple[PrinterStatus, PrinterError | None]:
        self.transport.write(HOST_STATUS)
        return self._judge(self.read_status(self.timeout))

    def _judge(self, status: HostStatus) -> tuple[PrinterStatus, PrinterError | None]:
        error = zpl_error(status, self.profile, self.name)
        if error is not None:
            return PrinterStatus(error.state, str(error)), error
        return PrinterStatus("ready", self.name), None

    def deliver(self, data: bytes, follow: bool) -> None:
        if not follow:
            self.transport.write(data)
            return
        self.transport.write(data + HOST_STATUS)
        deadline = time.monotonic() + self.job_seconds(data)
        while True:
            try:
                status = self.read_status(max(0.001, deadline - time.monotonic()))
            except PrinterTimeout:
                self._cancel()
                raise PrinterTimeout(f"{self.name}: no status after the job") from None
            _, error = self._judge(status)
            if error is not None:
                self._cancel()
                raise error
            if status.idle:
                return
            if time.monotonic() >= deadline:
                self._cancel()
                raise PrinterTimeout(f"{self.name}: the label was not printed in time")
            time.sleep(POLL_SECONDS)  # the printer is still at it: ask again shortly
            self.transport.write(HOST_STATUS)

    def _cancel(self) -> None:
        """Drop what the printer holds, so the queue's retry is the only copy."""
        try:
            self.transport.write(CANCEL_ALL)
        except PrinterError:
            log.debug("%s: could not cancel the held format", self.name, exc_info=True)
        self.close()
