"""What every virtual printer shares: a TCP server on 127.0.0.1, faults, pages saved as PNG.

A protocol's virtual printer (:mod:`printers.virtual` for ESC/POS,
:mod:`printers.virtual_ql`, :mod:`printers.virtual_zpl`) subclasses
:class:`VirtualServer` and supplies :meth:`VirtualServer.new_parser`: an object
fed the bytes of one connection that returns what the printer answers. Printed
labels go through :meth:`VirtualServer.save_page` as ``page-00001.png``, ...

Faults, switchable while it runs (:meth:`VirtualServer.set_fault`, or a line
written to its control file, polled twice a second):

``ok``             healthy
``paper_out``      no media: status says so; print data is thrown away
``cover_open``     status says cover (head) open; print data is thrown away
``wrong_media``    the loaded media is not the profile's (label printers); nothing prints
``refuse``         every connection is closed at once (the printer is gone)
``slow 2000``      reads only 2000 bytes a second
``paper 3``        reload with media for 3 more labels (``paper``: endless); the fourth
                   runs out and the printer reports no media
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
from typing import Literal, Protocol, Self

from PIL import Image

from printers.profiles import PrinterProfile

log = logging.getLogger(__name__)

FaultName = Literal["ok", "paper_out", "cover_open", "wrong_media", "refuse", "slow"]
FAULT_NAMES = ("paper_out", "cover_open", "wrong_media", "refuse")
RECEIVE_BUFFER = 16384  # a small printer's input buffer: a slow printer pushes back quickly
CONTROL_POLL_SECONDS = 0.5
_PAGE_NAME = re.compile(r"page-(\d+)\.png$")


@dataclass(frozen=True, slots=True)
class Fault:
    name: FaultName = "ok"
    rate: int = 0  # bytes per second, for "slow"

    @classmethod
    def parse(cls, text: str) -> Fault:
        """``ok``, ``paper_out``, ``cover_open``, ``wrong_media``, ``refuse``, ``slow 2000``."""
        words = text.replace(":", " ").replace("=", " ").split()
        if not words or words[0] in ("ok", "none", "clear"):
            return cls()
        name = words[0].replace("-", "_")
        if name == "slow":
            rate = int(words[1]) if len(words) > 1 else 2000
            if rate <= 0:
                raise ValueError("slow needs a positive rate in bytes per second")
            return cls("slow", rate)
        if name in FAULT_NAMES:
            return cls(name)  # type: ignore[arg-type]
        raise ValueError(
            f"unknown fault {text!r}: ok, paper_out, cover_open, wrong_media, refuse, slow N"
        )

    def __str__(self) -> str:
        return f"slow {self.rate}" if self.name == "slow" else self.name


class StreamParser(Protocol):
    """One connection's parser: bytes in, the printer's answers out."""

    def feed(self, data: bytes) -> bytes: ...

    def close(self) -> None: ...


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False
    printer: VirtualServer

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        super().server_bind()


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.server.printer._serve_connection(self.request)


class VirtualServer:
    """``start()`` binds (``port=0``: any free port) and serves in a thread."""

    protocol = "virtual"

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        control_file: Path | None = None,
        fault: Fault | str = "ok",
    ) -> None:
        self.out_dir = Path(out_dir)
        self.host = host
        self.port = port
        self.control_file = control_file
        self._fault = Fault.parse(fault) if isinstance(fault, str) else fault
        self._lock = threading.Lock()
        self._paper_left: int | None = None
        self._roll_empty = False
        self._next_page = 1
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._page_event = threading.Condition(self._lock)
        self.pages: list[Path] = []
        self.page_times: list[float] = []  # time.monotonic() of each saved page
        self.lost_pages = 0
        self.bytes_received = 0
        self.connections_accepted = 0

    # -- what a protocol supplies ---------------------------------------------------------------

    def new_parser(self) -> StreamParser:
        raise NotImplementedError

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
        log.info(
            "virtual %s printer on %s:%d, pages to %s",
            self.protocol, self.host, self.port, self.out_dir,
        )
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

    def __enter__(self) -> Self:
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
        """Fresh media: ``pages`` more labels fit (``None``: endless)."""
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

    @property
    def cover_open(self) -> bool:
        return self._fault.name == "cover_open"

    @property
    def wrong_media(self) -> bool:
        return self._fault.name == "wrong_media"

    @property
    def paper_low(self) -> bool:
        return self._paper_left is not None and self._paper_left <= 1

    def take_paper(self) -> bool:
        """Called with the lock held when a label is about to print: ``False`` if the
        media ran out just now (the roll is then empty until :meth:`load_paper`)."""
        if not self.paper_out and self._paper_left == 0:
            self._roll_empty = True
            log.info("virtual printer: the media ran out")
        return not self.paper_out

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

    def save_page(self, page: Image.Image) -> Path:
        """Write one printed label (call with the lock held)."""
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
        return path

    # -- connections ----------------------------------------------------------------------------

    def _serve_connection(self, sock: socket.socket) -> None:
        if self._fault.name == "refuse" or self._stopping.is_set():
            log.info("virtual printer: connection refused (fault)")
            return
        with self._lock:
            self._connections.add(sock)
            self.connections_accepted += 1
        parser = self.new_parser()
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


def make_virtual(
    profile: PrinterProfile,
    out_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    control_file: Path | None = None,
    fault: Fault | str = "ok",
) -> VirtualServer:
    """The virtual printer of ``profile``'s protocol, loaded with the profile's media."""
    if profile.protocol == "escpos":
        from printers.virtual import VirtualPrinter

        return VirtualPrinter(out_dir, host, port, profile.width_dots, control_file, fault)
    if profile.protocol == "zpl":
        from printers.virtual_zpl import VirtualZebra

        length = profile.length_dots or 0
        return VirtualZebra(out_dir, host, port, length, control_file, fault)
    if profile.protocol == "ql":
        from printers.virtual_ql import VirtualQl

        return VirtualQl(out_dir, host, port, profile, control_file, fault)
    raise ValueError(f"no virtual printer speaks {profile.protocol} (CUPS: use a real cupsd)")
