"""The fault-injecting proxy used by the end-to-end sync tests, against a tiny real server."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import random
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fault_proxy import FaultPlan, FaultProxy

# What a client may see when a connection dies under it.
CONNECTION_ERRORS = (urllib.error.URLError, http.client.HTTPException, OSError)


@dataclass
class Seen:
    """What the upstream server received."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    posts: int = 0
    bodies: list[bytes] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins the request threads
    seen: Seen


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive by default: the proxy must force close
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _reply(self, body: bytes, content_type: str = "application/json",
               encoding: str | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply(json.dumps({"path": self.path, "padding": "x" * 2000}).encode())

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        seen = self.server.seen
        with seen.lock:
            seen.posts += 1
            count = seen.posts
            seen.bodies.append(body)
            seen.headers.append({k.lower(): v for k, v in self.headers.items()})
        if self.path == "/echo":
            self._reply(body, "application/octet-stream")
        elif self.path == "/gzip":
            doc = json.loads(gzip.decompress(body))
            self._reply(gzip.compress(json.dumps({"count": count, "got": doc}).encode()),
                        encoding="gzip")
        else:
            self._reply(json.dumps({"count": count, "sha256": hashlib.sha256(body).hexdigest(),
                                    "padding": "x" * 4000}).encode())


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.seen = Seen()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


@pytest.fixture
def proxy(server: _Server) -> Iterator[FaultProxy]:
    with FaultProxy("127.0.0.1", server.server_address[1], seed=1) as p:
        yield p


def post(proxy: FaultProxy, path: str, body: bytes, *, timeout: float = 5.0,
         headers: dict[str, str] | None = None) -> bytes:
    req = urllib.request.Request(proxy.base_url + path, data=body, method="POST",
                                 headers=headers or {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
        data: bytes = resp.read()
        return data


def proxy_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("fault-proxy")]


# -- pass-through -----------------------------------------------------------------------------


def test_passes_gzip_json_through_byte_exactly(proxy: FaultProxy, server: _Server) -> None:
    payload = gzip.compress(json.dumps({"scans": [{"id": i, "name": "Zoë"} for i in range(50)]})
                            .encode())
    raw = post(proxy, "/gzip", payload, headers={"Content-Type": "application/json",
                                                 "Content-Encoding": "gzip"})
    assert json.loads(gzip.decompress(raw))["got"]["scans"][49] == {"id": 49, "name": "Zoë"}
    assert server.seen.bodies == [payload]
    assert server.seen.headers[0]["content-encoding"] == "gzip"
    assert server.seen.headers[0]["connection"] == "close"
    assert proxy.stats["forwarded"] == 1
    assert sum(proxy.stats[k] for k in ("refused", "dropped", "cut", "duplicated")) == 0


def test_passes_an_8_mb_body_both_ways(proxy: FaultProxy, server: _Server) -> None:
    body = random.Random(3).randbytes(8 * 1024 * 1024)
    assert post(proxy, "/echo", body, timeout=10) == body
    assert server.seen.bodies == [body]


def test_get_and_keep_alive_requests_are_closed_after_one_response(
        proxy: FaultProxy, server: _Server) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n"
                  b"Keep-Alive: timeout=5\r\n\r\n")
        chunks = []
        while chunk := s.recv(65536):  # EOF must come although the client asked keep-alive
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["path"] == "/hello"


def test_expect_100_continue_is_answered_by_the_proxy(proxy: FaultProxy,
                                                      server: _Server) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        assert s.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(b"hello")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"\r\n\r\nhello")
    assert server.seen.bodies == [b"hello"]


# -- faults -------------------------------------------------------------------------------------


def test_refuse_resets_without_reaching_the_server(proxy: FaultProxy, server: _Server) -> None:
    proxy.plan = FaultPlan(refuse=1.0)
    with pytest.raises(CONNECTION_ERRORS):
        post(proxy, "/", b"{}")
    assert server.seen.posts == 0
    assert proxy.stats["refused"] == 1


def test_down_fails_fast_and_recovers(proxy: FaultProxy, server: _Server) -> None:
    proxy.down = True
    started = time.monotonic()
    for _ in range(3):
        with pytest.raises(CONNECTION_ERRORS):
            post(proxy, "/", b"{}", timeout=30)
    # Refused, not left to time out: three timeouts would take 90 s; a busy machine, not 10.
    assert time.monotonic() - started < 10.0
    assert server.seen.posts == 0
    assert proxy.stats["refused"] == 3
    proxy.down = False
    assert json.loads(post(proxy, "/", b"{}"))["count"] == 1


def test_drop_applies_the_request_but_withholds_the_response(
        proxy: FaultProxy, server: _Server) -> None:
    proxy.plan = FaultPlan(drop=1.0)
    with pytest.raises(CONNECTION_ERRORS):
        post(proxy, "/", b'{"scan": 1}')
    assert server.seen.bodies == [b'{"scan": 1}']  # the server acted on it
    assert proxy.stats["dropped"] == 1
    proxy.plan = FaultPlan()
    assert json.loads(post(proxy, "/", b'{"scan": 1}'))["count"] == 2


def test_duplicate_delivers_twice_and_answers_once(proxy: FaultProxy, server: _Server) -> None:
    proxy.plan = FaultPlan(duplicate=1.0)
    payload = gzip.compress(b'{"scan": 7}')
    reply = json.loads(post(proxy, "/", payload))
    assert reply["count"] == 1  # the client gets the first answer
    assert server.seen.bodies == [payload, payload]
    assert proxy.stats["duplicated"] == 1 and proxy.stats["forwarded"] == 2


def test_cut_response_is_seen_as_incomplete(proxy: FaultProxy, server: _Server) -> None:
    proxy.plan = FaultPlan(cut_response=1.0)
    for _ in range(10):
        # The cut always lands inside the body, so the Content-Length gives it away.
        with pytest.raises(http.client.IncompleteRead):
            post(proxy, "/", b"{}")
    assert server.seen.posts == 10  # the request got through every time
    assert proxy.stats["cut"] == 10


def test_cut_response_without_body_cuts_the_status_line(proxy: FaultProxy,
                                                        server: _Server) -> None:
    proxy.plan = FaultPlan(cut_response=1.0)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while chunk := s.recv(65536):
            reply += chunk
    assert b"\r\n" not in reply


def test_delay_slows_the_exchange_but_delivers(proxy: FaultProxy, server: _Server) -> None:
    proxy.plan = FaultPlan(delay=1.0, delay_seconds=(0.2, 0.2))
    started = time.monotonic()
    assert json.loads(post(proxy, "/", b"{}"))["count"] == 1
    assert time.monotonic() - started >= 0.2
    assert proxy.stats["delayed"] == 1
    assert proxy.decisions[-1].delayed


def test_upstream_down_closes_the_client_promptly(server: _Server) -> None:
    port = server.server_address[1]
    server.shutdown()
    server.server_close()  # nothing listens on port any more
    with FaultProxy("127.0.0.1", port) as p:
        started = time.monotonic()
        with pytest.raises(CONNECTION_ERRORS):
            post(p, "/", b"{}", timeout=30)
        assert time.monotonic() - started < 10.0  # closed at once, not at the 30 s timeout
        assert p.stats["upstream_failed"] == 1


def test_faults_follow_the_seed() -> None:
    def run(seed: int) -> list[tuple[bool, bool, bool, bool, bool]]:
        # Nothing listens upstream: decisions are made at accept time anyway.
        with FaultProxy("127.0.0.1", 9, seed=seed,
                        plan=FaultPlan(drop=0.3, refuse=0.3, cut_response=0.3, duplicate=0.3,
                                       delay=0.3, delay_seconds=(0.0, 0.0))) as p:
            for _ in range(30):
                socket.create_connection(("127.0.0.1", p.port)).close()
            deadline = time.monotonic() + 5
            while len(p.decisions) < 30 and time.monotonic() < deadline:
                time.sleep(0.01)
            return [(d.refuse, d.drop, d.cut_response, d.duplicate, d.delayed)
                    for d in p.decisions]

    first = run(42)
    assert first == run(42)
    assert first != run(43)
    assert any(d[0] for d in first) and any(d[1] for d in first) and any(d[3] for d in first)
    assert not any(d[1] and d[2] for d in first)  # drop wins over cut


def test_plan_is_validated() -> None:
    with pytest.raises(ValueError):
        FaultPlan(drop=1.5)
    with pytest.raises(ValueError):
        FaultPlan(delay_seconds=(0.5, 0.1))


def test_chunked_upload_is_rejected(proxy: FaultProxy, server: _Server) -> None:
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as s:
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"2\r\n{}\r\n0\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            while s.recv(65536):
                pass
    assert proxy.wait_idle()
    assert server.seen.posts == 0 and proxy.stats["bad_request"] == 1


# -- shutdown -----------------------------------------------------------------------------------


def test_stop_interrupts_everything_and_leaves_no_thread(server: _Server) -> None:
    p = FaultProxy("127.0.0.1", server.server_address[1],
                   plan=FaultPlan(delay=1.0, delay_seconds=(30.0, 30.0))).start()
    idle = [socket.create_connection(("127.0.0.1", p.port)) for _ in range(3)]
    errors: list[BaseException] = []

    def slow_client() -> None:
        try:
            post(p, "/", b"{}", timeout=30)
        except CONNECTION_ERRORS as exc:
            errors.append(exc)

    client = threading.Thread(target=slow_client)
    client.start()
    deadline = time.monotonic() + 5
    while p.stats["delayed"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(proxy_threads()) == 5  # accept loop + 3 idle + 1 sleeping in a delay
    started = time.monotonic()
    p.stop()
    assert time.monotonic() - started < 10.0  # the delay was 30 s: stop cut it short
    client.join(5)
    assert not client.is_alive() and len(errors) == 1
    assert proxy_threads() == []
    for s in idle:
        with s:  # closed by the proxy: EOF or reset, never a hang
            try:
                assert s.recv(10) == b""
            except ConnectionResetError:
                pass
    p.stop()  # idempotent
