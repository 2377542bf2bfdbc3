"""A virtual ESC/POS network printer: TCP on 127.0.0.1, each cut page saved as a PNG.

It accepts the byte stream a real port-9100 printer gets, prints it with
:mod:`printers.escpos_decode`, answers ``DLE EOT`` status requests with real
status bytes, and writes ``page-00001.png``, ... into its output folder. The demo
and the end-to-end tests print through it; use it in-process (tests) or from
``bramka printer virtual``. Its faults (``paper_out``, ``cover_open``,
``refuse``, ``slow N``, ``paper N``) are those of every virtual printer, see
:mod:`printers.virtual_server`; ``wrong_media`` means nothing to a receipt
printer and reads as an error.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PIL import Image

from printers.escpos_decode import Paper, StreamParser
from printers.escpos_encode import (
    OFFLINE_COVER_OPEN,
    OFFLINE_ERROR,
    OFFLINE_PAPER_END,
    PAPER_END,
    PAPER_NEAR_END,
    PRINTER_OFFLINE,
    STATUS_FIXED,
)
from printers.virtual_server import RECEIVE_BUFFER, Fault, FaultName, VirtualServer

log = logging.getLogger(__name__)

__all__ = ["RECEIVE_BUFFER", "Fault", "FaultName", "VirtualPrinter"]


class VirtualPrinter(VirtualServer):
    """The virtual ESC/POS printer (80 mm: 576 dots, 58 mm: 384)."""

    protocol = "escpos"

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        paper_width: int = 576,
        control_file: Path | None = None,
        fault: Fault | str = "ok",
    ) -> None:
        super().__init__(out_dir, host, port, control_file, fault)
        self.paper_width = paper_width
        self._paper = Paper(paper_width)
        self._page_spoiled = False

    def new_parser(self) -> StreamParser:
        return StreamParser(self)

    # -- the print mechanism (called by the parser of each connection) -------------------------

    def initialise(self) -> None:
        pass

    def raster(self, image: Image.Image, justify: int) -> None:
        with self._lock:
            if not self.take_paper() or self.cover_open or self.wrong_media:
                self._page_spoiled = True
                return
            self._paper.raster(image, justify)

    def feed(self, dots: int) -> None:
        with self._lock:
            self._paper.feed(dots)

    def cut(self) -> None:
        with self._lock:
            page = self._paper.cut()
            spoiled, self._page_spoiled = self._page_spoiled, False
            if spoiled:
                self.lost_pages += 1
                log.info("virtual printer: page lost (%s)", self.fault)
                return
            if page is not None:
                self.save_page(page)

    def status(self, n: int) -> bytes:
        paper_out, cover_open, error = self.paper_out, self.cover_open, self.wrong_media
        if n == 1:
            value = PRINTER_OFFLINE if paper_out or cover_open or error else 0
        elif n == 2:
            value = (
                (OFFLINE_PAPER_END if paper_out else 0)
                | (OFFLINE_COVER_OPEN if cover_open else 0)
                | (OFFLINE_ERROR if error else 0)
            )
        elif n == 3:
            value = 0
        elif n == 4:
            value = (
                (PAPER_END | PAPER_NEAR_END)
                if paper_out
                else (PAPER_NEAR_END if self.paper_low else 0)
            )
        else:
            return b""
        return bytes([STATUS_FIXED | value])
