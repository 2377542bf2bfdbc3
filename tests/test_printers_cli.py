"""`bramka printer profiles`, `bramka printer virtual --protocol`, `bramka badge print`."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from bramka.cli import cli
from printers.profiles import PROFILES

REPO = Path(__file__).resolve().parent.parent
TOKEN = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" * 3 + "ABCDEFGHIJKLMNOPQRSTUVWX"


def test_profiles_are_listed_one_a_line() -> None:
    result = CliRunner().invoke(cli, ["printer", "profiles"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "ql-62 ql 62mm-endless 300" in lines
    assert "ql-62x100 ql 62x100mm-diecut 300" in lines
    assert len(lines) == len(PROFILES)
    assert all(re.fullmatch(r"\S+ (escpos|ql|zpl|cups) \S+ (203|300)", line) for line in lines)


@pytest.fixture(params=[("ql", "ql-62x100"), ("zpl", "zpl-4x6-203")])
def virtual(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    """`bramka printer virtual` as its own process; (profile, port, out dir)."""
    protocol, profile = request.param
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bramka", "printer", "virtual", "--protocol", protocol,
         "--profile", profile, "--port", "0", "--out", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        assert match, (line, proc.stderr.read() if proc.poll() is not None else "")
        yield profile, int(match.group(1)), out
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def badge_print(profile: str, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bramka", "badge", "print", "--profile", profile,
         "--host", "127.0.0.1", "--port", str(port), "--token", TOKEN,
         "--name", "Zażółć Gęślą-Jaźń", "--institution", "MOPS Kraków", "--role", "speaker"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "BRAMKA_CONFIG": str(REPO / "config.toml")},
    )


def test_badge_print_reaches_the_virtual_printer_and_faults_exit_non_zero(
    virtual: tuple[str, int, Path],
) -> None:
    profile, port, out = virtual
    done = badge_print(profile, port)
    assert done.returncode == 0, done.stderr
    assert "printed" in done.stdout
    page = out / "page-00001.png"
    assert page.exists()  # the command returns only after the printer said it printed
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(page).convert("L"))] == [TOKEN]

    (out / "control").write_text("cover_open\n")
    deadline_tries = 0
    while True:  # the control file is polled twice a second: wait for the printer to say so
        failed = badge_print(profile, port)
        if failed.returncode != 0 or deadline_tries > 20:
            break
        deadline_tries += 1
    assert failed.returncode == 1
    assert "Pokrywa drukarki jest otwarta." in failed.stderr
    assert "The printer cover is open." in failed.stderr


def test_an_unknown_profile_is_refused() -> None:
    result = CliRunner().invoke(
        cli, ["badge", "print", "--profile", "ql-63", "--token", TOKEN, "--name", "A"]
    )
    assert result.exit_code != 0
    assert "unknown printer profile 'ql-63'" in result.output


def test_badge_print_with_the_events_template(tmp_path: Path) -> None:
    import io
    import json

    from printers.profiles import get_profile
    from printers.virtual_server import make_virtual
    from sync.badge_template import BadgeTemplate, check_image, export_document

    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), (0, 0, 0)).save(buffer, format="PNG")
    ref = check_image(buffer.getvalue())
    template = BadgeTemplate(height_mm=90, logo=ref, fields=("logo", "name", "role", "qr"))
    path = tmp_path / "template.json"
    path.write_text(json.dumps(export_document(template, {ref.sha256: buffer.getvalue()})))
    profile = get_profile("ql-62")
    with make_virtual(profile, tmp_path / "out") as printer:
        result = CliRunner().invoke(cli, [
            "badge", "print", "--profile", profile.name, "--host", "127.0.0.1", "--port",
            str(printer.port), "--token", TOKEN, "--name", "Zażółć Gęślą-Jaźń",
            "--template", str(path)])
        assert result.exit_code == 0, result.output
    page = Image.open(tmp_path / "out" / "page-00001.png")
    assert page.size == (profile.width_dots, round(90 / 25.4 * 300))  # the template's length
    assert [r.text for r in zxingcpp.read_barcodes(page.convert("L"))] == [TOKEN]
    path.write_text('{"format": "bramka.badge-template-export/1", "template": {"font": "Arial"}}')
    refused = CliRunner().invoke(cli, ["badge", "print", "--profile", "ql-62", "--token", TOKEN,
                                       "--name", "A", "--template", str(path)])
    assert refused.exit_code != 0 and "Font: not a known value" in refused.output
