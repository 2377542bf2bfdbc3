"""Brother QL printers behind :class:`~printers.backends.Printer`.

Before a job: invalidate, initialise and ``ESC i S``; the 32-byte answer must
show no error and the profile's media loaded (another roll or label size is
:class:`~printers.backends.WrongMedia`, refused before a byte of the job is
sent). After the job the printer's own status messages are read until
"printing completed" (delivered) or "error occurred" (the fault is raised; the
QL keeps nothing of a failed job, so the print queue's retry is the only copy).
"""

from __future__ import annotations

import logging
import time

from printers.backends import (
    CoverOpen,
    PaperOut,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    PrinterStatus,
    PrinterTimeout,
    WrongMedia,
)
from printers.label_printer import LabelPrinter
from printers.profiles import PrinterProfile
from printers.ql_raster import (
    E2_REPLACE_MEDIA,
    ERROR_OCCURRED,
    INITIALISE,
    INVALIDATE,
    PRINTING_COMPLETED,
    STATUS_REPLY,
    STATUS_REQUEST,
    STATUS_SIZE,
    TURNED_OFF,
    QlStatus,
    parse_status,
)

log = logging.getLogger(__name__)


def ql_error(status: QlStatus, profile: PrinterProfile, name: str) -> PrinterError | None:
    """The error a job meets at a QL in ``status`` (``None``: it can print)."""
    state = status.state
    if state == "cover_open":
        return CoverOpen(f"{name}: cover open")
    if state == "paper_out":
        return PaperOut(f"{name}: no media / brak etykiet")
    if state == "offline":
        return PrinterOffline(f"{name}: the printer is turned off")
    if status.error2 & E2_REPLACE_MEDIA or not status.fits(profile):
        kind = "endless" if status.media_length == 0 else f"x {status.media_length} mm"
        return WrongMedia(
            f"{name}: {status.media_width} mm {kind} loaded, the profile {profile.name} "
            f"needs {profile.media}"
        )
    if state == "error":
        return PrinterFault(
            f"{name}: error bits {status.error1:02x} {status.error2:02x}"
        )
    return None


class QlPrinter(LabelPrinter):
    def read_status(self, wait: float) -> QlStatus:
        return parse_status(self.transport.read_exactly(STATUS_SIZE, wait))

    def query(self) -> tuple[PrinterStatus, PrinterError | None]:
        self.transport.discard()  # a late "phase change" of the last job is not the answer
        self.transport.write(INVALIDATE + INITIALISE + STATUS_REQUEST)
        deadline = time.monotonic() + self.timeout
        status = self.read_status(self.timeout)
        while status.status_type not in (STATUS_REPLY, ERROR_OCCURRED, TURNED_OFF):
            status = self.read_status(max(0.001, deadline - time.monotonic()))
        error = ql_error(status, self.profile, self.name)
        if error is not None:
            return PrinterStatus(error.state, str(error)), error
        return PrinterStatus("ready", self.name), None

    def deliver(self, data: bytes, follow: bool) -> None:
        self.transport.write(data)
        if not follow:
            return
        deadline = time.monotonic() + self.job_seconds(data)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise PrinterTimeout(f"{self.name}: no 'printing completed' from the printer")
            try:
                status = self.read_status(remaining)
            except PrinterTimeout:
                self.close()
                raise
            if status.status_type == PRINTING_COMPLETED:
                return
            if status.status_type in (ERROR_OCCURRED, TURNED_OFF):
                self.close()
                error = ql_error(status, self.profile, self.name)
                raise error or PrinterFault(f"{self.name}: the printer reported an error")
            log.debug("%s: status type %02x phase %02x", self.name, status.status_type,
                      status.phase)
