"""A fault-injecting TCP proxy for end-to-end sync tests (stdlib only).

Sits between kiosk processes and the admin process on 127.0.0.1 and, per client
connection, either passes one HTTP/1.1 exchange through unchanged or injects a fault
picked by a seeded random generator::

    with FaultProxy("127.0.0.1", admin_port, seed=7) as proxy:
        kiosk_env["BRAMKA_SYNC__ADMIN_URL"] = proxy.base_url
        proxy.plan = FaultPlan(drop=0.2, duplicate=0.1, cut_response=0.1)
        ...
        proxy.down = True       # dead Wi-Fi: every connection is reset at once
        ...
        proxy.down = False

Model: one request per client connection (the kiosk uses urllib, which closes after each
exchange).  The proxy reads the whole request (headers + ``Content-Length`` body, no chunked
uploads), rewrites the ``Connection`` header to ``close`` so the upstream closes after its
response, and reads the upstream response until EOF before relaying it.  Both request and
response are buffered in memory, which is fine for test-sized bodies.

Faults (decided when the connection is accepted, so the sequence depends only on the seed
and the order of connections):

``refuse``
    accept, then reset the connection immediately without reading anything.
``drop``
    read the request, forward it upstream and wait for the full upstream response (so the
    server *has* acted on it), then close the client connection without a single byte of
    response -- the client cannot tell whether its request was applied.
``delay``
    sleep a random time from ``delay_seconds`` before forwarding the request, before
    relaying the response, or both.  Combines with every other fault except ``refuse``.
``cut_response``
    forward, then relay only a prefix of the response and close.  The cut lies inside the
    body when the response has one (the client sees ``IncompleteRead`` when there is a
    ``Content-Length`` or chunked framing), otherwise inside the status line (the client
    sees ``RemoteDisconnected``/``BadStatusLine``).
``duplicate``
    forward the same request bytes twice over two upstream connections, one after the
    other; the second response is discarded, the first goes to the client.  Combines with
    ``drop``, ``cut_response`` and ``delay``.

Precedence: ``down`` > ``refuse`` > ``drop`` > ``cut_response``.

If the upstream cannot be reached (admin restarting) or fails before answering, the client
connection is reset promptly; nothing ever blocks longer than ``io_timeout``, and ``stop()``
interrupts everything (sleeps included) at once.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

__all__ = ["ConnectionFaults", "FaultPlan", "FaultProxy", "ProxyRequestError"]

STAT_KEYS = (
    "connections",  # client connections accepted
    "refused",  # reset at once (``refuse`` fault or ``down``)
    "dropped",  # request forwarded, response withheld
    "delayed",  # at least one sleep injected
    "cut",  # response truncated
    "duplicated",  # request sent upstream a second time
    "forwarded",  # request copies delivered upstream (a duplicated request counts twice)
    "upstream_failed",  # upstream unreachable or failed before answering
    "bad_request",  # client sent something the proxy cannot frame (chunked, garbage, EOF)
)

_MAX_HEADER_BYTES = 64 * 1024
_CHUNK = 64 * 1024
_HOP_BY_HOP = {b"connection", b"keep-alive", b"proxy-connection", b"expect"}


class ProxyRequestError(ValueError):
    """The client's request cannot be framed (bad headers, chunked upload, early EOF)."""


@dataclass(frozen=True)
class FaultPlan:
    """Per-connection fault probabilities (each in [0, 1]); all zero means pass-through."""

    drop: float = 0.0
    delay: float = 0.0
    delay_seconds: tuple[float, float] = (0.05, 0.5)
    cut_response: float = 0.0
    duplicate: float = 0.0
    refuse: float = 0.0

    def __post_init__(self) -> None:
        for name in ("drop", "delay", "cut_response", "duplicate", "refuse"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"FaultPlan.{name} must be within [0, 1], got {value!r}")
        low, high = self.delay_seconds
        if not 0.0 <= low <= high:
            raise ValueError(f"FaultPlan.delay_seconds must be 0 <= low <= high, "
                             f"got {self.delay_seconds!r}")


@dataclass(frozen=True)
class ConnectionFaults:
    """What the proxy decided for one accepted connection (see ``FaultProxy.decisions``)."""

    index: int
    refuse: bool = False
    drop: bool = False
    cut_response: bool = False
    duplicate: bool = False
    delay_request: float = 0.0
    delay_response: float = 0.0
    cut_fraction: float = field(default=0.0, repr=False)

    @property
    def delayed(self) -> bool:
        return self.delay_request > 0 or self.delay_response > 0


class _Stopping(Exception):
    """Raised inside a connection handler when the proxy is shutting down."""


class FaultProxy:
    """Threaded fault-injecting proxy for one-request-per-connection HTTP/1.1 traffic."""

    def __init__(self, upstream_host: str, upstream_port: int, *,
                 listen_host: str = "127.0.0.1", listen_port: int = 0, seed: int = 0,
                 plan: FaultPlan | None = None, connect_timeout: float = 2.0,
                 io_timeout: float = 30.0) -> None:
        self.upstream = (upstream_host, upstream_port)
        self._listen = (listen_host, listen_port)
        self.connect_timeout = connect_timeout
        self.io_timeout = io_timeout
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._plan = plan or FaultPlan()
        self._down = False
        self._stats = dict.fromkeys(STAT_KEYS, 0)
        self._decisions: list[ConnectionFaults] = []
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._handlers: set[threading.Thread] = set()
        self._live: set[socket.socket] = set()
        self._active = 0
        self._started = False

    # -- configuration ---------------------------------------------------------------------

    @property
    def plan(self) -> FaultPlan:
        with self._lock:
            return self._plan

    @plan.setter
    def plan(self, plan: FaultPlan) -> None:
        if not isinstance(plan, FaultPlan):
            raise TypeError(f"expected a FaultPlan, got {type(plan).__name__}")
        with self._lock:
            self._plan = plan

    @property
    def down(self) -> bool:
        """When true every new connection is reset at once, whatever the plan says."""
        with self._lock:
            return self._down

    @down.setter
    def down(self, value: bool) -> None:
        with self._lock:
            self._down = bool(value)

    # -- introspection -----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("FaultProxy is not running")
        port: int = self._listener.getsockname()[1]
        return port

    @property
    def host(self) -> str:
        return self._listen[0]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stats(self) -> dict[str, int]:
        """A snapshot of the counters (see ``STAT_KEYS``)."""
        with self._lock:
            return dict(self._stats)

    @property
    def decisions(self) -> list[ConnectionFaults]:
        """The fault decided for every accepted connection so far, in accept order."""
        with self._lock:
            return list(self._decisions)

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = dict.fromkeys(STAT_KEYS, 0)

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Wait until no connection is being handled; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> Self:
        if self._started:
            raise RuntimeError("FaultProxy can only be started once")
        self._started = True
        listener = socket.create_server(self._listen, backlog=128)
        listener.settimeout(0.05)  # the accept loop polls the stop flag
        self._listener = listener
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"fault-proxy-accept-{self.port}", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, abort every open connection and join all threads."""
        with self._lock:
            already = self._stopping.is_set()
            self._stopping.set()
            live = list(self._live)
        if already and self._accept_thread is None:
            return
        if self._accept_thread is not None:
            self._accept_thread.join(timeout)
            self._accept_thread = None
        if self._listener is not None:
            self._listener.close()
        for sock in live:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        with self._lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(max(0.0, deadline - time.monotonic()))
        stuck = [t.name for t in handlers if t.is_alive()]
        if stuck:
            raise RuntimeError(f"FaultProxy threads did not finish: {stuck}")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- internals: accepting and deciding -----------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stopping.is_set():
                    return
                raise
            with self._lock:
                if self._stopping.is_set():
                    client.close()
                    return
                self._stats["connections"] += 1
                faults = self._decide(len(self._decisions))
                self._decisions.append(faults)
                self._live.add(client)
                self._active += 1
                thread = threading.Thread(target=self._handle, args=(client, faults),
                                          name=f"fault-proxy-conn-{faults.index}", daemon=True)
                self._handlers.add(thread)
            thread.start()

    def _decide(self, index: int) -> ConnectionFaults:
        """Draw the same number of random values for every connection (lock held)."""
        plan, rng = self._plan, self._rng
        r_refuse, r_drop, r_cut, r_dup, r_delay = (rng.random() for _ in range(5))
        where = rng.randrange(3)  # 0: before request, 1: before response, 2: both
        low, high = plan.delay_seconds
        d_req, d_resp = rng.uniform(low, high), rng.uniform(low, high)
        cut_fraction = rng.random()
        if self._down or r_refuse < plan.refuse:
            return ConnectionFaults(index, refuse=True)
        drop = r_drop < plan.drop
        delayed = r_delay < plan.delay
        return ConnectionFaults(
            index,
            drop=drop,
            cut_response=not drop and r_cut < plan.cut_response,
            duplicate=r_dup < plan.duplicate,
            delay_request=d_req if delayed and where in (0, 2) else 0.0,
            delay_response=d_resp if delayed and where in (1, 2) else 0.0,
            cut_fraction=cut_fraction,
        )

    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._stats[key] += n

    # -- internals: one connection ---------------------------------------------------------------

    def _handle(self, client: socket.socket, faults: ConnectionFaults) -> None:
        try:
            self._serve(client, faults)
        except (OSError, _Stopping):
            _abort(client)
        finally:
            client.close()
            with self._lock:
                self._live.discard(client)
                self._handlers.discard(threading.current_thread())
                self._active -= 1
                self._idle.notify_all()

    def _serve(self, client: socket.socket, faults: ConnectionFaults) -> None:
        if faults.refuse:
            self._count("refused")
            _abort(client)
            return
        client.settimeout(self.io_timeout)
        try:
            request = _read_request(client)
        except ProxyRequestError:
            self._count("bad_request")
            _abort(client)
            return
        if faults.delayed:
            self._count("delayed")
        self._sleep(faults.delay_request)
        try:
            response = self._exchange(request)
        except OSError:
            self._count("upstream_failed")
            _abort(client)
            return
        if not response:  # upstream closed without answering
            self._count("upstream_failed")
            _abort(client)
            return
        if faults.duplicate:
            self._count("duplicated")
            with contextlib.suppress(OSError):
                self._exchange(request)  # the server sees it twice; this answer is lost
        self._sleep(faults.delay_response)
        if faults.drop:
            self._count("dropped")
            return  # close without a byte of response (orderly FIN)
        if faults.cut_response:
            self._count("cut")
            response = response[:_cut_point(response, faults.cut_fraction)]
        client.sendall(response)
        with contextlib.suppress(OSError):
            client.shutdown(socket.SHUT_WR)

    def _exchange(self, request: bytes) -> bytes:
        """Send ``request`` on a fresh upstream connection and read the reply until EOF."""
        upstream = socket.create_connection(self.upstream, timeout=self.connect_timeout)
        try:
            with self._lock:
                self._live.add(upstream)
                stopping = self._stopping.is_set()
            if stopping:
                raise _Stopping
            upstream.settimeout(self.io_timeout)
            upstream.sendall(request)
            self._count("forwarded")
            chunks: list[bytes] = []
            while chunk := _recv_or_eof(upstream, bool(chunks)):
                chunks.append(chunk)
            if self._stopping.is_set():
                raise _Stopping
            return b"".join(chunks)
        finally:
            with self._lock:
                self._live.discard(upstream)
            upstream.close()

    def _sleep(self, seconds: float) -> None:
        if seconds > 0 and self._stopping.wait(seconds):
            raise _Stopping


# -- HTTP framing helpers ---------------------------------------------------------------------


def _recv_or_eof(sock: socket.socket, have_data: bool) -> bytes:
    """recv(); a reset after some response bytes counts as EOF (relay what we got)."""
    try:
        return sock.recv(_CHUNK)
    except ConnectionResetError:
        if have_data:
            return b""
        raise


def _read_request(client: socket.socket) -> bytes:
    """Read one full request and return it with ``Connection: close`` forced."""
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        if len(buf) > _MAX_HEADER_BYTES:
            raise ProxyRequestError("request headers too large")
        chunk = client.recv(_CHUNK)
        if not chunk:
            raise ProxyRequestError("client closed before the end of the headers")
        buf += chunk
    head, body = bytes(buf[:end]), bytes(buf[end + 4:])
    request_line, *lines = head.split(b"\r\n")
    if len(request_line.split(b" ")) != 3:
        raise ProxyRequestError(f"bad request line {request_line[:100]!r}")
    kept: list[bytes] = []
    lengths: set[int] = set()
    expect_continue = False
    for line in lines:
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise ProxyRequestError(f"bad header line {line[:100]!r}")
        key = name.lower()
        if key == b"transfer-encoding":
            raise ProxyRequestError("chunked / transfer-encoded uploads are not supported")
        if key == b"content-length":
            try:
                lengths.add(int(value.strip()))
            except ValueError:
                raise ProxyRequestError(f"bad Content-Length {value!r}") from None
        if key == b"expect" and value.strip().lower() == b"100-continue":
            expect_continue = True
        if key not in _HOP_BY_HOP:
            kept.append(line)
    if len(lengths) > 1 or any(n < 0 for n in lengths):
        raise ProxyRequestError(f"conflicting Content-Length values {sorted(lengths)}")
    length = lengths.pop() if lengths else 0
    if expect_continue and length > len(body):
        client.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
    while len(body) < length:
        chunk = client.recv(min(_CHUNK * 16, length - len(body)))
        if not chunk:
            raise ProxyRequestError(f"client closed after {len(body)} of {length} body bytes")
        body += chunk
    # Anything past Content-Length would be a pipelined request: not supported, ignored.
    return b"\r\n".join([request_line, *kept, b"Connection: close", b"", body[:length]])


def _cut_point(response: bytes, fraction: float) -> int:
    """A prefix length strictly shorter than ``response`` that the client can notice."""
    header_end = response.find(b"\r\n\r\n")
    if 0 <= header_end and header_end + 4 < len(response):
        start = header_end + 4
        return start + int(fraction * (len(response) - start))
    status_end = response.find(b"\r\n")
    if status_end < 0:
        status_end = len(response)
    return int(fraction * status_end)


def _abort(sock: socket.socket) -> None:
    """Make the next close() send RST instead of FIN (the client sees a reset)."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
