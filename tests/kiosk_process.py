"""A real ``bramka kiosk serve`` process on 127.0.0.1, for end-to-end tests."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_run(count: int) -> int:
    """A port p such that p .. p + count - 1 are all free (the demo takes three in a row)."""
    for _ in range(50):
        port = free_port()
        taken = False
        for offset in range(1, count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port + offset))
                except OSError:
                    taken = True
                    break
        if not taken:
            return port
    raise RuntimeError(f"no {count} neighbouring free ports")


def bramka(*args: str, env: dict[str, str] | None = None, check: bool = True,
           timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bramka", *args], env=env, check=check,
                          capture_output=True, text=True, timeout=timeout)


class KioskProcess:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None,
                 args: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("BRAMKA_")}
        self.env.update({
            "BRAMKA_KIOSK__DATA_DIR": str(data_dir),
            "BRAMKA_KIOSK__PORT": str(self.port),
            "BRAMKA_PRINTER__BACKEND": "none",
            "BRAMKA_CONFIG": str(data_dir.parent / "none.toml"),
            **(env or {}),
        })
        (data_dir.parent / "none.toml").write_text("# defaults\n")
        self.args = args
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir.parent / f"kiosk-{self.port}.log"

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return bramka(*args, env=self.env, check=check)

    def start(self, timeout: float = 20) -> KioskProcess:
        log = open(self.log, "ab")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bramka", "kiosk", "serve", *self.args],
            env=self.env, stdout=log, stderr=log,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kiosk exited early:\n{self.log.read_text()}")
            try:
                if self.get("/healthz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"kiosk did not start:\n{self.log.read_text()}")

    def connection(self, timeout: float = 10) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path: str) -> tuple[int, bytes]:
        conn = self.connection()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def status(self) -> dict[str, Any]:
        code, body = self.get("/status.json")
        assert code == 200, body
        return json.loads(body)

    def events(self, timeout: float = 30) -> Iterator[tuple[str, dict[str, Any]]]:
        """Parse the page's server-sent event stream, as the browser does."""
        conn = self.connection(timeout=timeout)
        try:
            conn.request("GET", "/events", headers={"Accept": "text/event-stream"})
            resp = conn.getresponse()
            assert resp.status == 200
            assert resp.getheader("Content-Type", "").startswith("text/event-stream")
            kind, data = "message", ""
            while True:
                line = resp.fp.readline()
                if not line:
                    return
                text = line.decode("utf-8").rstrip("\r\n")
                if text.startswith("event:"):
                    kind = text[6:].strip()
                elif text.startswith("data:"):
                    data += text[5:].strip()
                elif text == "" and data:
                    yield kind, json.loads(data)
                    kind, data = "message", ""
        finally:
            conn.close()

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self, timeout: float = 15) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise
        return self.proc.returncode
