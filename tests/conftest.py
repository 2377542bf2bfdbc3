"""Shared fixtures: a signing key, a small hand-made roster, a real kiosk store, and
Debian's chromium for the browser tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import CHROMIUM, launched, page_opener
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support import make_roster, require_module, require_tool

from bramka.config import Settings, load_settings
from kiosk.store import Store, open_store
from sync import token as tokens
from sync.roster import RosterSnapshot


@pytest.fixture(scope="session")
def event_key() -> Ed25519PrivateKey:
    return tokens.generate_key()


@pytest.fixture
def roster(event_key: Ed25519PrivateKey) -> RosterSnapshot:
    return make_roster(event_key)


@pytest.fixture
def store(tmp_path: Path, roster: RosterSnapshot) -> Iterator[Store]:
    s = open_store(tmp_path / "kiosk")
    s.apply_roster(roster)
    yield s
    s.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(None, {"BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk"),
                                "BRAMKA_PRINTER__BACKEND": "none"})


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's chromium, which the browser tests drive: skip without it, fail under CI."""
    return require_tool(str(CHROMIUM), "chromium")


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Any]:
    """One chromium per test module (Playwright driving Debian's /usr/bin/chromium)."""
    sync_api = require_module("playwright.sync_api", "playwright")
    with launched(sync_api) as chromium:
        yield chromium


@pytest.fixture
def open_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``open_page(viewport)``; a JavaScript error on any page fails the test. Modules that
    inject axe-core set ``INJECTS_SCRIPTS = True``: the pages' CSP forbids inline scripts."""
    bypass_csp = getattr(request.module, "INJECTS_SCRIPTS", False)
    with page_opener(browser, bypass_csp=bypass_csp) as opener:
        yield opener
