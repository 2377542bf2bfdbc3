"""A missing tool skips its tests on a laptop and fails them under CI, naming the package."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from support import require_module, require_tool, under_ci

ABSENT = "bramka-no-such-tool"


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), (" true ", True),
    ("", False), ("false", False), ("0", False)])
def test_ci_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, value: str,
                                         expected: bool) -> None:
    monkeypatch.setenv("CI", value)
    assert under_ci() is expected


def test_a_present_tool_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert Path(require_tool(sys.executable, "python3")).samefile(sys.executable)


MISSING: list[tuple[Callable[[], object], str]] = [
    (lambda: require_tool(ABSENT, "bramka-tools"),
     f"{ABSENT} is not installed (Debian package bramka-tools"),
    (lambda: require_module("bramka_no_such_module", "bramka-extra"),
     "bramka_no_such_module is not installed (pip install bramka-extra"),
]


@pytest.mark.parametrize("ci", ["true", ""])
@pytest.mark.parametrize(("require", "message"), MISSING, ids=["tool", "module"])
def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch, ci: str, require: Callable[[], object], message: str
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as outcome:
        require()
    assert outcome.type is (pytest.fail.Exception if ci else pytest.skip.Exception)
    assert message in str(outcome.value)


def test_a_present_module_is_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    assert require_module("json", "json").dumps([]) == "[]"
