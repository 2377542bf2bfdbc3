"""The layers hold: import-linter checks the contracts in pyproject.toml on every run.

``kiosk`` and ``admin`` never import each other; ``sync`` and ``printers`` import
neither, nor the command; the settings and the web guard import no part; the
scanner's modules form no circle. Imports inside functions count. The same contracts
run on a small made-up tree that breaks each of them, so a contract that stopped
catching anything fails here.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from importlinter.api import read_configuration

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# The command and the demo may import every part.
COMMAND = {"bramka.cli", "bramka.demo", "bramka.demodata", "bramka.__main__"}
CONTRACTS = {
    "kiosk-admin": "kiosk and admin never import each other",
    "shared-parts": "sync and printers import neither side nor the command",
    "settings": "bramka's settings and web guard import no part",
    "scanner-acyclic": "the scanner's modules import one another in one direction only",
}


def lint_imports(cwd: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages found first from ``cwd``, with ``config``'s contracts."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), str(config), "--no-cache", "--no-logo"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def contracts() -> dict[str, dict[str, object]]:
    options = read_configuration(str(PYPROJECT))["contracts_options"]
    return {str(contract["id"]): contract for contract in options}


def test_the_code_keeps_its_layers() -> None:
    result = lint_imports(ROOT, PYPROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in result.stdout


def test_the_contracts_are_the_documented_ones() -> None:
    found = contracts()
    assert {key: str(found[key]["name"]) for key in found} == CONTRACTS
    assert set(found["kiosk-admin"]["modules"]) == {"kiosk", "admin"}  # type: ignore[arg-type]
    shared = found["shared-parts"]
    assert set(shared["source_modules"]) == {"sync", "printers"}  # type: ignore[arg-type]
    assert set(shared["forbidden_modules"]) == {"kiosk", "admin"} | COMMAND  # type: ignore[arg-type]
    settings = found["settings"]
    assert set(settings["forbidden_modules"]) == {  # type: ignore[arg-type]
        "kiosk", "admin", "printers", "sync",
    }


def test_every_module_of_bramka_is_the_command_or_under_the_settings_contract() -> None:
    """A new module in bramka/ must be placed: free to import all, or importing no part."""
    settings = set(contracts()["settings"]["source_modules"])  # type: ignore[arg-type]
    modules = {
        f"bramka.{path.stem}" for path in (ROOT / "bramka").glob("*.py")
        if path.name != "__init__.py"
    }
    assert not list((ROOT / "bramka").glob("*/__init__.py")), "bramka has no subpackages"
    assert modules == settings | COMMAND
    assert not settings & COMMAND


# The modules of a made-up tree with the real packages' names (each folder gets an empty
# __init__.py); each comment names the contract the module breaks.
VIOLATIONS = {
    "kiosk/web/screen.py": """
        def page():  # kiosk-admin, lazily
            from admin.schema import metadata
            return metadata
    """,
    "kiosk/scanner/frames.py": "from kiosk.scanner.demo_source import DemoSource\n",
    "kiosk/scanner/demo_source.py": """
        class DemoSource:
            def open(self):  # scanner-acyclic, lazily and relatively
                from .frames import FramePacer
                return FramePacer
    """,
    "kiosk/store.py": "",
    "admin/schema.py": "metadata = None\n",
    "admin/views.py": "import kiosk.store  # kiosk-admin, the other way\n",
    "sync/wire.py": """
        def send():  # shared-parts, lazily
            from kiosk import store
            return store
    """,
    "sync/rules.py": "from bramka import helpers  # shared-parts, through bramka.helpers\n",
    "printers/profiles.py": "from . import jobs  # relative, within printers: allowed\n",
    "printers/jobs.py": "",
    "printers/cli.py": """
        def main():  # shared-parts: printers may not import the command
            import bramka.cli
            return bramka.cli
    """,
    "bramka/cli.py": "import admin.views, kiosk.web.screen, printers.cli, sync.wire\n",
    "bramka/demo.py": "",
    "bramka/demodata.py": "",
    "bramka/__main__.py": "",
    "bramka/helpers.py": "import admin.schema\n",
    "bramka/config.py": """
        import bramka.printer_profiles

        class PrinterSettings:
            def _profile_fits(self):  # settings, lazily
                from printers.profiles import jobs
                return jobs
    """,
    "bramka/printer_profiles.py": "from sync.wire import send  # settings\n",
    "bramka/web_guard.py": "import kiosk.store  # settings: shared by both web apps\n",
}
BROKEN_IMPORTS = [
    "kiosk.web.screen -> admin.schema",
    "admin.views -> kiosk.store",
    "sync.wire -> kiosk.store",
    "sync.rules -> bramka.helpers",
    "bramka.helpers -> admin.schema",
    "printers.cli -> bramka.cli",
    "bramka.config -> printers.profiles",
    "bramka.printer_profiles -> sync.wire",
    "bramka.web_guard -> kiosk.store",
    "No cycles are allowed in kiosk.scanner",  # only with demo_source's lazy relative import
]


def test_each_contract_catches_its_violation(tmp_path: Path) -> None:
    for name, source in VIOLATIONS.items():
        path = tmp_path / name
        for folder in reversed(path.relative_to(tmp_path).parents[:-1]):
            (tmp_path / folder).mkdir(exist_ok=True)
            (tmp_path / folder / "__init__.py").touch()
        path.write_text(textwrap.dedent(source).lstrip(), encoding="utf-8")
    config = tmp_path / "pyproject.toml"
    config.write_bytes(PYPROJECT.read_bytes())  # the very contracts the code is held to

    result = lint_imports(tmp_path, config)

    assert result.returncode == 1, result.stdout + result.stderr
    files = len(list(tmp_path.rglob("*.py")))
    assert f"Analyzed {files} files" in result.stdout  # the made-up tree, not ours
    for name in CONTRACTS.values():
        assert f"{name} BROKEN" in result.stdout
    for line in BROKEN_IMPORTS:
        assert line in result.stdout
    assert "printers.profiles -> printers.jobs" not in result.stdout
