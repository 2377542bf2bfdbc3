"""A virtual ESC/POS network printer: TCP on 127.0.0.1, each cut page saved as a PNG.

It accepts the byte stream a real port-9100 printer gets, prints it with
:mod:`printers.escpos_decode`, answers ``DLE EOT`` status requests with real
status bytes, and writes ``page-00001.png``, ... into its output folder. The demo
and the end-to-end tests print through it; use it in-process (tests) or from
``bramka printer virtual``.

Faults, switchable while it runs (:meth:`VirtualPrinter.set_fault`, or a line
written to its control file, polled twice a second):

``ok``             healthy
``paper_out``      status says paper end; print data is thrown away, no page comes out
``cover_open``     status says cover open; print data is thrown away
``refuse``         every connection is closed at once
``slow 2000``      reads only 2000 bytes a second
``paper 3``        reload the roll with paper for 3 more badges (``paper``: endless);
                   the fourth runs out mid-badge and the printer goes to ``paper_out``
"""

from __future__ import annotations

import logging
import os
import re
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from PIL import Image

from printers.escpos_decode import Paper, StreamParser
from printers.escpos_encode import (
    OFFLINE_COVER_OPEN,
    OFFLINE_PAPER_END,
    PAPER_END,
    PAPER_NEAR_END,
    PRINTER_OFFLINE,
    STATUS_FIXED,
)

log = logging.getLogger(__name__)

FaultName = Literal["ok", "paper_out", "cover_open", "refuse", "slow"]
RECEIVE_BUFFER = 16384  # a small printer's input buffer: a slow printer pushes back quickly
CONTROL_POLL_SECONDS = 0.5
_PAGE_NAME = re.compile(r"page-(\d+)\.png$")


@dataclass(frozen=True, slots=True)
class Fault:
    name: FaultName = "ok"
    rate: int = 0  # bytes per second, for "slow"

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``ok``, ``paper_out``, ``cover_open``, ``refuse``, ``slow 2000`` / ``slow:2000``."""
        words = text.replace(":", " ").replace("=", " ").split()
        if not words or words[0] in ("ok", "none", "clear"):
            return cls()
        name = words[0].replace("-", "_")
        if name == "slow":
            rate = int(words[1]) if len(words) > 1 else 2000
            if rate <= 0:
                raise ValueError("slow needs a positive rate in bytes per second")
            return cls("slow", rate)
        if name in ("paper_out", "cover_open", "refuse"):
            return cls(name)  # type: ignore[arg-type]
        raise ValueError(f"unknown fault {text!r}: ok, paper_out, cover_open, refuse, slow N")

    def __str__(self) -> str:
        return f"slow {self.rate}" if self.name == "slow" else self.name


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    printer: VirtualPrinter

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        super().server_bind()


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.printer._serve_connection(self.request)


class VirtualPrinter:
    """The virtual printer. ``start()`` binds (``port=0``: any free port) and serves in a thread."""

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        paper_width: int = 576,
        control_file: Path | None = None,
        fault: Fault | str = "ok",
    ) -> None:
        self.out_dir = Path(out_dir)
        self.host = host
        self.port = port
        self.paper_width = paper_width
        self.control_file = control_file
        self._fault = Fault.parse(fault) if isinstance(fault, str) else fault
        self._lock = threading.Lock()
        self._paper = Paper(paper_width)
        self._paper_left: int | None = None
        self._roll_empty = False
        self._page_spoiled = False
        self._next_page = 1
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._page_event = threading.Condition(self._lock)
        self.pages: list[Path] = []
        self.page_times: list[float] = []  # time.monotonic() of each saved page's cut
        self.lost_pages = 0
        self.bytes_received = 0
        self.connections_accepted = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> tuple[str, int]:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._next_page = 1 + max(
            (int(m.group(1)) for p in self.out_dir.iterdir() if (m := _PAGE_NAME.match(p.name))),
            default=0,
        )
        server = _Server((self.host, self.port), _Handler)
        server.printer = self
        self._server = server
        self.port = server.server_address[1]
        self._stopping.clear()
        serve = threading.Thread(target=server.serve_forever, args=(0.1,), name="virtual-printer")
        serve.daemon = True
        serve.start()
        self._threads = [serve]
        if self.control_file is not None:
            watch = threading.Thread(target=self._watch_control, name="virtual-printer-control")
            watch.daemon = True
            watch.start()
            self._threads.append(watch)
        log.info("virtual printer on %s:%d, pages to %s", self.host, self.port, self.out_dir)
        return self.address

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        self._drop_connections()
        server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []

    def __enter__(self) -> VirtualPrinter:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    # -- faults ---------------------------------------------------------------------------------

    @property
    def fault(self) -> Fault:
        return self._fault

    def set_fault(self, fault: Fault | str) -> None:
        self._fault = Fault.parse(fault) if isinstance(fault, str) else fault
        log.info("virtual printer fault: %s", self._fault)
        if self._fault.name == "refuse":
            self._drop_connections()

    def clear_fault(self) -> None:
        self.set_fault(Fault())

    def load_paper(self, pages: int | None = None) -> None:
        """A fresh roll: ``pages`` more badges fit on it (``None``: endless)."""
        with self._lock:
            self._paper_left = pages
            self._roll_empty = False
        log.info("virtual printer: paper loaded (%s)", "endless" if pages is None else pages)

    def control(self, line: str) -> None:
        """Apply one control-file line (see the module docstring)."""
        words = line.split()
        if words and words[0] == "paper":
            self.load_paper(int(words[1]) if len(words) > 1 else None)
        else:
            self.set_fault(line)

    @property
    def paper_out(self) -> bool:
        return self._fault.name == "paper_out" or self._roll_empty

    # -- waiting for results --------------------------------------------------------------------

    def wait_for_pages(self, count: int, timeout: float = 10.0) -> bool:
        """Block until ``count`` pages were saved in total; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        with self._page_event:
            while len(self.pages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._page_event.wait(remaining)
        return True

    # -- the print mechanism (called by the parser of each connection) -------------------------

    def initialise(self) -> None:
        pass

    def raster(self, image: Image.Image, justify: int) -> None:
        with self._lock:
            if not self.paper_out and self._paper_left == 0:
                self._roll_empty = True
                log.info("virtual printer: the roll ran out mid-badge")
            if self.paper_out or self._fault.name == "cover_open":
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
                log.info(
                    "virtual printer: page lost (%s)",
                    "paper out" if self.paper_out else "cover open",
                )
                return
            if page is None:
                return
            path = self.out_dir / f"page-{self._next_page:05d}.png"
            self._next_page += 1
            tmp = path.with_suffix(".tmp")
            page.save(tmp, format="PNG")
            os.replace(tmp, path)
            if self._paper_left is not None:
                self._paper_left -= 1
            self.pages.append(path)
            self.page_times.append(time.monotonic())
            self._page_event.notify_all()
        log.info("virtual printer: printed %s", path.name)

    def status(self, n: int) -> bytes:
        paper_out = self.paper_out
        cover_open = self._fault.name == "cover_open"
        low = self._paper_left is not None and self._paper_left <= 1
        if n == 1:
            value = PRINTER_OFFLINE if paper_out or cover_open else 0
        elif n == 2:
            value = (OFFLINE_PAPER_END if paper_out else 0) | (
                OFFLINE_COVER_OPEN if cover_open else 0
            )
        elif n == 3:
            value = 0
        elif n == 4:
            value = (PAPER_END | PAPER_NEAR_END) if paper_out else (PAPER_NEAR_END if low else 0)
        else:
            return b""
        return bytes([STATUS_FIXED | value])

    # -- connections ----------------------------------------------------------------------------

    def _serve_connection(self, sock: socket.socket) -> None:
        if self._fault.name == "refuse" or self._stopping.is_set():
            log.info("virtual printer: connection refused (fault)")
            return
        with self._lock:
            self._connections.add(sock)
            self.connections_accepted += 1
        parser = StreamParser(self)
        try:
            while not self._stopping.is_set():
                fault = self._fault
                if fault.name == "refuse":
                    break
                size = max(1, fault.rate // 20) if fault.name == "slow" else 65536
                data = sock.recv(size)
                if not data:
                    break
                with self._lock:
                    self.bytes_received += len(data)
                reply = parser.feed(data)
                if reply:
                    sock.sendall(reply)
                if fault.name == "slow":
                    time.sleep(len(data) / fault.rate)
        except OSError as exc:
            log.debug("virtual printer connection ended: %s", exc)
        finally:
            parser.close()
            with self._lock:
                self._connections.discard(sock)

    def _drop_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _watch_control(self) -> None:
        assert self.control_file is not None
        seen: int | None = None
        while not self._stopping.wait(CONTROL_POLL_SECONDS):
            try:
                mtime = self.control_file.stat().st_mtime_ns
            except FileNotFoundError:
                continue
            if mtime == seen:
                continue
            seen = mtime
            for line in self.control_file.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    try:
                        self.control(line.strip())
                    except ValueError as exc:
                        log.warning("control file %s: %s", self.control_file, exc)

    def request_stop(self) -> None:
        """Make :meth:`serve_forever` return (safe from a signal handler)."""
        self._stopping.set()

    def serve_forever(self) -> None:
        """Start (unless started) and block until :meth:`request_stop` or Ctrl-C."""
        if self._server is None:
            self.start()
        try:
            while not self._stopping.wait(3600):
                pass
        finally:
            self.stop()
