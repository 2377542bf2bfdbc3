"""A virtual Zebra: ZPL over TCP on 127.0.0.1, each label saved as a PNG.

It interprets the formats it receives (:mod:`printers.zpl_decode`), answers
``~HS`` with a real three-string host status (:mod:`printers.zpl_encode`), and
behaves as a Zebra does under a fault: a format that arrives while it cannot
print waits in its buffer (``~HS`` counts it) and prints when the fault clears,
unless ``~JA`` cancels it first. Faults are those of every virtual printer
(:mod:`printers.virtual_server`). ``wrong_media``: the labels loaded are not
the ``^LL`` the format asks for, so the printer pauses and reports the length it
measured (half of ``label_length``) instead.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from printers.virtual_server import Fault, StreamParser, VirtualServer
from printers.zpl_decode import ZplParser
from printers.zpl_encode import HostStatus, host_status_reply

log = logging.getLogger(__name__)


class VirtualZebra(VirtualServer):
    """``label_length``: the labels loaded, in dots (what ``~HS`` reports when all is well)."""

    protocol = "zpl"

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        label_length: int = 1218,
        control_file: Path | None = None,
        fault: Fault | str = "ok",
    ) -> None:
        super().__init__(out_dir, host, port, control_file, fault)
        self.label_length = label_length
        self._held: list[Image.Image] = []
        self.formats_cancelled = 0

    def new_parser(self) -> StreamParser:
        return ZplParser(self)

    @property
    def can_print(self) -> bool:
        return not (self.paper_out or self.cover_open or self.wrong_media)

    # -- the machine the parser drives ----------------------------------------------------------

    def host_status(self) -> bytes:
        with self._lock:
            stuck = not self.can_print
            status = HostStatus(
                paper_out=self.paper_out,
                pause=stuck,
                label_length=self.label_length // 2 if self.wrong_media else self.label_length,
                formats_in_buffer=len(self._held),
                head_up=self.cover_open,
            )
        return host_status_reply(status)

    def cancel_all(self) -> None:
        with self._lock:
            self.formats_cancelled += len(self._held)
            self.lost_pages += len(self._held)
            self._held.clear()

    def format_received(self, label: Image.Image, copies: int) -> None:
        with self._lock:
            self._held += [label] * copies
            self._print_held()

    def _print_held(self) -> None:
        while self._held and self.can_print and self.take_paper():
            self.save_page(self._held.pop(0))

    # -- faults clearing release the buffer -----------------------------------------------------

    def set_fault(self, fault: Fault | str) -> None:
        super().set_fault(fault)
        with self._lock:
            self._print_held()

    def load_paper(self, pages: int | None = None) -> None:
        super().load_paper(pages)
        with self._lock:
            self._print_held()
