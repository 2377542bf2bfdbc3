"""Fixtures: every test gets a fresh database, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when ``BRAMKA_TEST_DATABASE_URL`` is set; each test gets its own
schema (through ``search_path``) that is dropped afterwards.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# tests/admin would otherwise shadow the admin package as a namespace package (pytest puts
# tests/ on sys.path, and the project is installed through an editable finder that comes last).
_ROOT = str(Path(__file__).resolve().parents[2])
if sys.path[:1] != [_ROOT]:
    sys.path.insert(0, _ROOT)

import pytest  # noqa: E402
from admin_testkit import Client, make_user  # noqa: E402
from flask import Flask  # noqa: E402
from smtp_kit import smtp, smtp_server  # noqa: E402, F401 (fixtures for every module)
from sqlalchemy import create_engine, text  # noqa: E402
from support import served  # noqa: E402

from admin import create_app  # noqa: E402
from admin.db import normalize_url  # noqa: E402
from bramka.config import AdminSettings  # noqa: E402

PG_URL = os.environ.get("BRAMKA_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


@contextmanager
def pg_schema_url(prefix: str = "t_") -> Iterator[str]:
    """The URL of a fresh PostgreSQL schema (through ``search_path``), dropped afterwards."""
    schema = prefix + uuid.uuid4().hex[:16]
    engine = create_engine(normalize_url(PG_URL))
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'admin.db'}"
        return
    with pg_schema_url() as url:
        yield url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> AdminSettings:
    return AdminSettings(database_url=db_url, data_dir=tmp_path / "data")


@pytest.fixture
def app(settings: AdminSettings) -> Iterator[Flask]:
    app = create_app(settings, {"TESTING": True, "FAST_PASSWORD_HASH": True})
    yield app
    app.extensions["bramka_db"].dispose()


@pytest.fixture
def engine(app: Flask) -> Any:
    return app.extensions["bramka_db"]


@pytest.fixture
def client(app: Flask) -> Client:
    return Client(app.test_client())


@pytest.fixture
def organizer(app: Flask) -> Client:
    make_user(app, "ola", "organizer")
    c = Client(app.test_client())
    assert c.login("ola").status_code == 302
    return c


@pytest.fixture
def volunteer(app: Flask) -> Client:
    make_user(app, "wojtek", "volunteer")
    c = Client(app.test_client())
    assert c.login("wojtek").status_code == 302
    return c


@pytest.fixture
def live(app: Flask) -> Iterator[str]:
    """The admin served on 127.0.0.1 for a browser, its dashboard polling fast."""
    app.config["DASHBOARD_POLL_MS"] = 300
    with served(app) as url:
        yield url


@pytest.fixture
def page(open_page: Any) -> Any:
    """A desktop-sized page (see open_page in tests/conftest.py)."""
    return open_page({"width": 1280, "height": 900})
