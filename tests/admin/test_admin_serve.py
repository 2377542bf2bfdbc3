"""`bramka admin serve` as a real process (waitress) on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_and_migrates(tmp_path: Path, db_url: str) -> None:
    port = _free_port()
    config = tmp_path / "config.toml"
    config.write_text(f'[admin]\ndatabase_url = "{db_url}"\ndata_dir = "{tmp_path / "d"}"\n'
                      f'port = {port}\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRAMKA_")}
    proc = subprocess.Popen([sys.executable, "-m", "bramka", "admin", "--config", str(config),
                             "serve"], env=env, cwd=Path(__file__).resolve().parents[2],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2) as r:
                    body = r.read().decode()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    raise AssertionError(f"server did not answer: {out}") from None
                time.sleep(0.2)
        assert "Zaloguj" in body
        assert (tmp_path / "d" / "secret_key").exists()
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout:
            proc.stdout.close()
