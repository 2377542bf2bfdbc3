"""Alembic environment: runs on the connection handed over by :func:`admin.db.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from admin.db import normalize_url
from admin.schema import metadata

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the plain `alembic` command line with sqlalchemy.url set
    engine = create_engine(normalize_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.begin() as conn:
        _run(conn)
