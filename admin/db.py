"""The one way into the admin database: one engine per app, migrations run by Alembic.

``sqlite:///path`` (the default) or ``postgresql://...`` (driven by psycopg 3).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
EXTENSION = "bramka_db"


class DatabaseError(Exception):
    """The database URL cannot be used or migrations failed."""

    code = "database_unusable"


def normalize_url(url: str) -> str:
    """Pick psycopg 3 for PostgreSQL URLs written without a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a useful text
        raise DatabaseError(f"database_url is not a database URL: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        # No server-side prepared statements: a generic plan made while a table was empty
        # (seq scan) would otherwise stick to the scans table as it grows.
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10,
                             connect_args={"prepare_threshold": None})
    raise DatabaseError(
        f"unsupported database '{parsed.get_backend_name()}': use sqlite or postgresql")


def _alembic_config(conn: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


#: the advisory lock key migrations take on PostgreSQL ("bramka" in ASCII)
MIGRATE_LOCK = 0x6272616D6B61


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent). On PostgreSQL, admin processes that
    start together take turns (an advisory lock held to the end of the transaction): the
    first migrates, the others find the schema current."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK})
        command.upgrade(_alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    if app.config.get("AUTO_MIGRATE", True):
        migrate(engine)
    app.extensions[EXTENSION] = engine


def get_engine() -> Engine:
    return current_app.extensions[EXTENSION]


@contextmanager
def read() -> Iterator[Connection]:
    """A connection for reads (and nothing else) in the current app."""
    with get_engine().connect() as conn:
        yield conn


@contextmanager
def write() -> Iterator[Connection]:
    """A connection inside one transaction: committed on success, rolled back on error.

    On SQLite the transaction takes the write lock at once (``BEGIN IMMEDIATE``), so what
    a request reads before it writes (a kiosk's clock anchor, presence rows) cannot change
    under it; other writers wait (``busy_timeout``). PostgreSQL requests lock what they
    read for writing themselves (``SELECT ... FOR UPDATE``, advisory locks)."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        with engine.begin() as conn:
            yield conn
        return
    # This process's writers queue on a lock, woken the moment the one before commits;
    # SQLite's own busy handler polls in sleeps of up to 100 ms (two kiosks' batches in
    # flight lost a quarter of the upload rate to it). Other processes still meet
    # busy_timeout; after as long, so does a writer here that waited in vain.
    lock = _sqlite_write_lock(engine)
    held = lock.acquire(timeout=SQLITE_WAIT_SECONDS)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
    finally:
        if held:
            lock.release()


SQLITE_WAIT_SECONDS = 10.0  # as PRAGMA busy_timeout
_locks_guard = threading.Lock()
_write_locks: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def _sqlite_write_lock(engine: Engine) -> threading.RLock:
    with _locks_guard:
        lock = _write_locks.get(engine)
        if lock is None:
            lock = _write_locks[engine] = threading.RLock()
        return lock
