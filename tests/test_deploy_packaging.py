"""Bramka's package builds as deploy/install-pi.sh builds it, with no deprecation warning.

setuptools warned that ``license = { text = "MIT" }`` stops being accepted after
2027-02-18, and the installer builds on every run: the build is done here as pip does it
(an isolated build environment with the build-system requirements of pyproject.toml, so
``setuptools>=77`` is fetched from the package index, as on a Pi) from a copy of the tracked
files, verbose so that the build backend's warnings are shown, and the output is read.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["pyproject.toml", "README.md", "bramka", "kiosk", "admin", "printers", "sync"]


def test_pyproject_uses_an_spdx_license_and_a_setuptools_that_reads_it() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    assert data["build-system"]["requires"] == ["setuptools>=77"]


def test_the_build_prints_no_deprecation_warning(tmp_path: Path) -> None:
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--", *PACKAGES],
                           capture_output=True, check=True, timeout=60).stdout
    src = tmp_path / "src"
    src.mkdir()
    subprocess.run(f"tar -C '{ROOT}' --null -T - --ignore-failed-read -cf - | tar -x -C '{src}'",
                   shell=True, input=files, check=True, timeout=120)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "--disable-pip-version-check",
         "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, check=False, timeout=300)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    noise = [line for line in out.splitlines() if "deprecat" in line.lower()]
    assert not noise, "\n".join(noise)
    (wheel,) = (tmp_path / "dist").glob("bramka-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        metadata = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        text = zf.read(metadata).decode()
    assert "License-Expression: MIT" in text
