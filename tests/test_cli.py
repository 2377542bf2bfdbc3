"""The operator commands: token tools, roster loading, status, lazy groups."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from support import make_roster

from bramka.cli import cli
from kiosk.store import open_store
from sync import token as tokens


@pytest.fixture
def runner(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("BRAMKA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BRAMKA_CONFIG", str(tmp_path / "c.toml"))
    (tmp_path / "c.toml").write_text(
        f'[kiosk]\ndata_dir = "{tmp_path / "kiosk"}"\nport = 1\n[printer]\nbackend = "none"\n')
    return CliRunner()


def test_token_keygen_issue_verify(runner, tmp_path):
    key_file = tmp_path / "keys" / "event.pem"
    made = runner.invoke(cli, ["token", "keygen", "--out", str(key_file)])
    assert made.exit_code == 0, made.output
    public = made.output.strip()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    again = runner.invoke(cli, ["token", "keygen", "--out", str(key_file)])
    assert again.exit_code == 1 and "exists" in again.output

    issued = runner.invoke(cli, ["token", "issue", "--key", str(key_file), "--event", "3",
                                 "--attendee", "42", "--revision", "2"])
    assert issued.exit_code == 0
    text = issued.output.strip()
    assert len(text) == 120

    ok = runner.invoke(cli, ["token", "verify", "--public-key", public, text])
    assert ok.exit_code == 0
    assert json.loads(ok.output) == {"valid": True, "event": 3, "attendee": 42, "revision": 2}

    pub_file = tmp_path / "event.pub"
    pub_file.write_text(public + "\n")
    forged = text[:-1] + ("A" if text[-1] != "A" else "B")
    bad = runner.invoke(cli, ["token", "verify", "--public-key", str(pub_file), forged])
    assert bad.exit_code == 1
    assert json.loads(bad.output)["valid"] is False and json.loads(bad.output)["code"] == "invalid"

    wrong = runner.invoke(cli, ["token", "verify", "--public-key", public, "--event", "4", text])
    assert wrong.exit_code == 1 and json.loads(wrong.output)["code"] == "wrong_event"


def test_token_issue_rejects_bad_input(runner, tmp_path):
    not_a_key = tmp_path / "k.pem"
    not_a_key.write_text("hello")
    out = runner.invoke(cli, ["token", "issue", "--key", str(not_a_key), "--event", "1",
                              "--attendee", "1"])
    assert out.exit_code == 1 and "PEM" in out.output
    out = runner.invoke(cli, ["token", "verify", "--public-key", "nonsense", "X"])
    assert out.exit_code == 2 and "public key" in out.output


def test_load_roster_and_status(runner, tmp_path):
    key = tokens.generate_key()
    roster_file = tmp_path / "roster.json"
    roster_file.write_text(make_roster(key).model_dump_json())
    loaded = runner.invoke(cli, ["kiosk", "load-roster", str(roster_file)])
    assert loaded.exit_code == 0, loaded.output
    assert "Loaded 5 attendees, 3 sessions for event 7" in loaded.output

    status = runner.invoke(cli, ["kiosk", "status", "--json"])
    data = json.loads(status.output)
    assert data["roster_size"] == 5 and data["running"] is False
    assert data["camera"]["status"] == "kiosk not running" and data["decoder"] == "zxing"
    human = runner.invoke(cli, ["kiosk", "status"])
    assert "roster:       5 attendees" in human.output and "running:      no" in human.output


@pytest.mark.parametrize(("content", "message"), [
    (b"{not json", "roster is not valid"),
    (b'{"format": "bramka.roster/1"}', "event: Field required"),
    ("{}".encode("utf-16"), "roster is not valid"),
])
def test_bad_roster_is_refused_and_nothing_changes(runner, tmp_path, content, message):
    key = tokens.generate_key()
    good = tmp_path / "good.json"
    good.write_text(make_roster(key).model_dump_json())
    runner.invoke(cli, ["kiosk", "load-roster", str(good)])
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    out = runner.invoke(cli, ["kiosk", "load-roster", str(bad)])
    assert out.exit_code == 1 and message in out.output
    assert "Traceback" not in out.output
    store = open_store(tmp_path / "kiosk")
    try:
        assert store.reader.roster_size() == 5
    finally:
        store.close()


def test_missing_roster_file(runner, tmp_path):
    out = runner.invoke(cli, ["kiosk", "load-roster", str(tmp_path / "nope.json")])
    assert out.exit_code == 1 and "cannot read roster file" in out.output


def test_bad_config_stops_with_the_key_named(runner, tmp_path, monkeypatch):
    (tmp_path / "c.toml").write_text("[kiosk]\nmode = 'gate'\n")
    out = runner.invoke(cli, ["kiosk", "status"])
    assert out.exit_code == 1 and "'mode' in [kiosk]" in out.output


def test_every_command_is_listed_and_documented(runner):
    out = runner.invoke(cli, ["--help"])
    for name in ("kiosk", "token", "decode", "printer", "badge", "demo"):
        assert f"  {name} " in out.output
        assert "unavailable" not in out.output.split(f"  {name} ", 1)[1].split("\n", 1)[0]
