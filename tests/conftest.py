"""Shared fixtures: a signing key, a small hand-made roster, a real kiosk store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from support import make_roster

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
