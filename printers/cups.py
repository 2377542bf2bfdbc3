"""Any printer the kiosk's CUPS knows, behind :class:`~printers.backends.Printer`.

The job is the badge as a PDF the label's size (:mod:`printers.pdf_label`),
sent with IPP Print-Job to ``[printer] cups_server`` and queue ``cups_printer``
(:mod:`printers.ipp`), with the label's size asked as ``media``. The job is then
followed with Get-Job-Attributes until ``completed`` (delivered) or ``canceled``
/ ``aborted`` (a :class:`~printers.backends.PrinterFault`). A queue whose printer reports a
fault (out of media, door open: ``printer-state-reasons``) or that is stopped, or
a job not done within ``timeout_seconds`` + :data:`JOB_SECONDS` (cupsd's
backends retry an unreachable device for ever and say so only in a message),
gets its job cancelled and the fault raised, so the print queue's retry is the
only copy. Before a job the queue's own state is asked (Get-Printer-Attributes):
a stopped or faulted queue gets nothing.
"""

from __future__ import annotations

import logging
import time

from printers.backends import (
    CoverOpen,
    PaperOut,
    Printer,
    PrinterError,
    PrinterFault,
    PrinterOffline,
    PrinterStatus,
    PrinterTimeout,
    WrongMedia,
)
from printers.ipp import (
    CANCEL_JOB,
    GET_JOB_ATTRIBUTES,
    GET_PRINTER_ATTRIBUTES,
    INTEGER,
    JOB_ABORTED,
    JOB_CANCELED,
    JOB_COMPLETED,
    KEYWORD,
    MIME,
    NAME,
    PRINT_JOB,
    PRINTER_STOPPED,
    URI,
    Attribute,
    IppClient,
    IppError,
    IppResponse,
    Value,
    encode_request,
)
from printers.profiles import PrinterProfile

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
#: a job still not completed this long after the timeout is cancelled: cupsd's backends
#: report an unreachable device only in a message, and retry it for ever
JOB_SECONDS = 5.0
USER = "bramka"
#: printer-state-reasons (RFC 8011 5.4.12, PWG 5100.9) -> the kiosk's errors
REASON_ERRORS: dict[str, type[PrinterError]] = {
    "media-empty": PaperOut,
    "media-needed": PaperOut,
    "door-open": CoverOpen,
    "cover-open": CoverOpen,
    "media-jam": PrinterFault,
    "offline": PrinterOffline,
    "connecting-to-device": PrinterOffline,
    "media-mismatch": WrongMedia,
    "media-size-mismatch": WrongMedia,
}


def media_keyword(profile: PrinterProfile) -> str:
    """The PWG self-describing media name: ``custom_62x100mm_62x100mm``."""
    size = f"{profile.width_mm:g}x{(profile.length_mm or 0):g}mm"
    return f"custom_{size}_{size}"


def reasons_error(reasons: list[str], stopped: bool, name: str) -> PrinterError | None:
    """The error of the first reason that is one (``-warning`` and ``-report`` are not)."""
    for reason in reasons:
        if reason.endswith(("-warning", "-report")) and reason != "offline-report":
            continue
        base = reason.removesuffix("-error").removesuffix("-report")
        if base in REASON_ERRORS:
            return REASON_ERRORS[base](f"{name}: {reason}")
    if stopped:
        detail = ", ".join(r for r in reasons if r != "none") or "stopped"
        return PrinterFault(f"{name}: the CUPS queue is stopped ({detail})")
    return None


class CupsPrinter(Printer):
    def __init__(self, queue: str, server: str, profile: PrinterProfile, timeout: float) -> None:
        self.queue = queue
        self.profile = profile
        self.timeout = timeout
        self.client = IppClient(server, timeout)
        self.name = f"cups {queue}@{self.client.host}:{self.client.port}"
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    def _call(
        self,
        operation: int,
        extra: list[Attribute],
        job: list[tuple[int, str, Value]] | None = None,
        document: bytes = b"",
    ) -> IppResponse:
        body = encode_request(
            operation,
            [(URI, "printer-uri", self.client.printer_uri(self.queue)),
             (NAME, "requesting-user-name", USER), *extra],
            job,
        )
        try:
            return self.client.call(f"/printers/{self.queue}", body + document)
        except OSError as exc:
            raise PrinterOffline(f"{self.name}: {exc}") from None
        except IppError as exc:
            if exc.status in (0x0406, -404):  # client-error-not-found
                raise PrinterOffline(f"{self.name}: no such CUPS queue") from None
            raise PrinterFault(f"{self.name}: {exc}") from None

    def _queue_error(self) -> PrinterError | None:
        response = self._call(GET_PRINTER_ATTRIBUTES, [
            (KEYWORD, "requested-attributes", ["printer-state", "printer-state-reasons",
                                               "printer-is-accepting-jobs"]),
        ])
        state = response.first("printer-state", 0)
        reasons = [str(r) for r in response.all("printer-state-reasons")]
        if not response.first("printer-is-accepting-jobs", True):
            return PrinterOffline(f"{self.name}: the CUPS queue rejects jobs")
        return reasons_error(reasons, state == PRINTER_STOPPED, self.name)

    def status(self) -> PrinterStatus:
        try:
            error = self._queue_error()
        except PrinterError as exc:
            return PrinterStatus(exc.state, str(exc))
        if error is not None:
            return PrinterStatus(error.state, str(error))
        return PrinterStatus("ready", self.name)

    def send(self, data: bytes) -> None:
        error = self._queue_error()
        if error is not None:
            raise error
        response = self._call(
            PRINT_JOB,
            [(NAME, "job-name", "badge"), (MIME, "document-format", "application/pdf")],
            [(KEYWORD, "media", media_keyword(self.profile))],
            document=data,
        )
        job_id = response.first("job-id")
        if not isinstance(job_id, int):
            raise PrinterFault(f"{self.name}: cupsd gave no job id")
        self._follow(job_id)

    def _follow(self, job_id: int) -> None:
        deadline = time.monotonic() + self.timeout + JOB_SECONDS
        while True:
            response = self._call(GET_JOB_ATTRIBUTES, [
                (INTEGER, "job-id", job_id),
                (KEYWORD, "requested-attributes",
                 ["job-state", "job-state-reasons", "job-printer-state-message"]),
            ])
            state = response.first("job-state", 0)
            reasons = [str(r) for r in response.all("job-state-reasons")]
            said = str(response.first("job-printer-state-message", ""))
            if state == JOB_COMPLETED:
                log.info("%s: job %d completed", self.name, job_id)
                return
            if state in (JOB_CANCELED, JOB_ABORTED):
                raise PrinterFault(f"{self.name}: job {job_id} {', '.join(reasons)}")
            error = self._queue_error()
            if error is not None or time.monotonic() >= deadline:
                self._cancel(job_id)
                raise error or PrinterTimeout(
                    f"{self.name}: job {job_id} not done in time ({said or 'no message'})"
                )
            time.sleep(POLL_SECONDS)  # cupsd is still at it: ask again shortly

    def _cancel(self, job_id: int) -> None:
        try:
            self._call(CANCEL_JOB, [(INTEGER, "job-id", job_id)])
        except PrinterError:
            log.warning("%s: could not cancel job %d", self.name, job_id, exc_info=True)

