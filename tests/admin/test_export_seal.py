"""Sealed attendance exports (issue 10, item 5): `bramka audit verify-export FILE` checks a
CSV, XLSX or PDF offline with only the event's public key; one changed cell fails it."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from admin_testkit import Client
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_admin_exports import _attended

from admin.queries import events as q_events
from sync.cli import audit_group
from sync.seal import SealError, verify


def _export(organizer: Client, engine, fmt: str) -> tuple[bytes, str, dict]:
    ev, _ = _attended(engine)
    resp = organizer.get(f"/sessions/{ev['plenary']}/attendance.{fmt}")
    assert resp.status_code == 200
    with engine.connect() as conn:
        key = q_events.public_keys(conn, ev["id"])[0]
    return resp.data, key, ev


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
def test_an_untouched_export_verifies_offline_with_the_events_key(organizer, engine,
                                                                   tmp_path, fmt):
    data, key, ev = _export(organizer, engine, fmt)
    path = tmp_path / f"lista.{fmt}"
    path.write_bytes(data)
    # The real command, as an auditor runs it, with only the file and the key.
    done = subprocess.run([sys.executable, "-m", "bramka", "audit", "verify-export",
                           str(path), "--public-key", key], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK:") and f"event {ev['id']}" in done.stdout
    assert verify(data, key).seal["rows"] == 3
    other = q_events.token.public_key_text(q_events.token.generate_key())
    with pytest.raises(SealError, match="another key"):
        verify(data, other)


def test_a_changed_xlsx_cell_fails(organizer, engine, tmp_path):
    data, key, _ = _export(organizer, engine, "xlsx")
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    ws.cell(row=3, column=2).value = "Nowakowska"
    out = io.BytesIO()
    wb.save(out)
    path = tmp_path / "zmieniona.xlsx"
    path.write_bytes(out.getvalue())
    result = CliRunner().invoke(audit_group, ["verify-export", str(path), "--public-key", key])
    assert result.exit_code == 1
    assert "NOT VALID" in result.output or "NOT VALID" in (result.stderr or "")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_changed_cell_or_byte_of_a_csv_or_pdf_fails(organizer, engine, data):
    fmt = data.draw(st.sampled_from(["csv", "pdf"]))
    exported, key, _ = _export_once(organizer, engine, fmt)
    body_end = exported.rfind(b"\n", 0, len(exported) - 1) + 1  # where the seal line starts
    if fmt == "csv":  # a cell: one field of one data row
        lines = exported[:body_end].decode("utf-8-sig").splitlines()
        row = data.draw(st.integers(1, len(lines) - 1))
        cells = lines[row].split(";")
        col = data.draw(st.integers(0, len(cells) - 1))
        cells[col] = cells[col] + data.draw(st.sampled_from(["1", "x", " ", "ł"]))
        lines[row] = ";".join(cells)
        changed = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode() + exported[body_end:]
    else:  # any byte of the PDF
        at = data.draw(st.integers(0, body_end - 1))
        changed = exported[:at] + bytes([exported[at] ^ 0x01]) + exported[at + 1:]
    assert verify(exported, key)
    with pytest.raises(SealError):
        verify(changed, key)


_CACHE: dict[tuple[int, str], tuple[bytes, str, dict]] = {}


def _export_once(organizer, engine, fmt):
    k = (id(engine), fmt)
    if k not in _CACHE:
        _CACHE.clear() if len(_CACHE) > 4 else None
        _CACHE[k] = _export(organizer, engine, fmt)
    return _CACHE[k]


def test_a_file_without_a_seal_or_with_a_changed_seal_is_refused(organizer, engine,
                                                                 tmp_path: Path):
    data, key, _ = _export(organizer, engine, "csv")
    with pytest.raises(SealError, match="no Bramka seal"):
        verify(data[:data.rfind(b"# bramka-seal")], key)
    forged = data.replace(b'"rows":3', b'"rows":4')
    assert forged != data
    with pytest.raises(SealError, match="signature"):
        verify(forged, key)
