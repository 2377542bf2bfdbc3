"""Bulk writes for the sync upload's hot path, one statement a batch, below SQLAlchemy's
per-row layer.

SQLAlchemy's ``executemany`` runs every bound value through Python (type decorators and
dialect processors), and on PostgreSQL builds a new multi-row statement per batch that
psycopg parses again with regular expressions: measured, that was over half of a 500-scan
upload's time. Here values are converted once per column, from the table's own types, and
a batch is one statement: PostgreSQL gets one array per column (``unnest``), SQLite one
multi-row ``VALUES``. Both run in the caller's transaction.

Only plain columns are handled: ``DateTime`` (aware in, naive UTC stored, as
``admin.schema.UTCDateTime`` does), ``Date``, ``Boolean``, integers and text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    String,
    Table,
    any_,
    bindparam,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement

Convert = Callable[[Any], Any]
SQLITE_ROWS = 500  # rows per statement at most (and fewer when the variable limit is low)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given; Bramka stores aware UTC times only")
    return value


def _sqlite_datetime() -> Convert:
    """Aware time -> SQLAlchemy's own SQLite text format (naive UTC), so its ``DateTime``
    reads these back. Remembers the last value: rows often repeat a time (received_at,
    a presence row's first and last entry)."""
    last: list[Any] = [None, None]

    def convert(value: datetime | None) -> str | None:
        if value is None:
            return None
        if value is last[0]:
            return last[1]
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Bramka stores aware UTC times only")
        utc = value if value.tzinfo is UTC else value.astimezone(UTC)
        text = utc.isoformat(" ", "microseconds")[:26]
        last[:] = [value, text]
        return text

    return convert


def _sqlite_date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _identity(value: Any) -> Any:
    return value


def _converter(column: Column[Any], dialect: str) -> Convert:
    kind = column.type
    if _is_datetime(column):
        return _sqlite_datetime() if dialect == "sqlite" else _aware
    if dialect == "sqlite" and isinstance(kind, Date):
        return _sqlite_date
    if dialect == "sqlite" and isinstance(kind, Boolean):
        return _sqlite_bool
    return _identity


def _is_datetime(column: Column[Any]) -> bool:
    kind = column.type
    return isinstance(kind, DateTime) or isinstance(getattr(kind, "impl_instance", None),
                                                     DateTime)


@dataclass(frozen=True)
class _Col:
    name: str
    convert: Convert
    pg_array: str  # the parameter's array type on PostgreSQL
    pg_value: str  # how the unnested value is read on PostgreSQL

    @property
    def quoted(self) -> str:
        return f'"{self.name}"'


def _columns(conn: Connection, table: Table, names: Sequence[str]) -> list[_Col]:
    dialect = conn.dialect
    out = []
    for name in names:
        column = table.c[name]
        pg_array, pg_value = "", f'v."{name}"'
        if dialect.name == "postgresql":
            pg_array = column.type.compile(dialect=dialect) + "[]"
            if isinstance(column.type, String):
                # Not varchar(n)[]: an explicit cast cuts long text without a word; the
                # insert into the column refuses it instead.
                pg_array = "text[]"
            if _is_datetime(column):
                # psycopg sends aware datetimes as timestamptz; stored as naive UTC.
                pg_array, pg_value = "timestamptz[]", f"v.\"{name}\" AT TIME ZONE 'UTC'"
        out.append(_Col(name, _converter(column, dialect.name), pg_array, pg_value))
    return out


def _pg_unnest(columns: Sequence[_Col], rows: Sequence[Mapping[str, Any]]
               ) -> tuple[str, tuple[list[Any], ...]]:
    """``unnest(...) AS v(...)`` with one binary array parameter per column."""
    arrays = tuple([row[c.name] for row in rows] if c.convert is _identity
                   else [c.convert(row[c.name]) for row in rows] for c in columns)
    casts = ", ".join(f"%b::{c.pg_array}" for c in columns)
    return f"unnest({casts}) AS v({', '.join(c.quoted for c in columns)})", arrays


def _row_values(columns: Sequence[_Col]) -> Callable[[Mapping[str, Any]], list[Any]]:
    """A function giving a row's values in column order, converted: a value is read
    and converted in one pass, calling converters only for columns that have one."""
    getter = itemgetter(*[c.name for c in columns])
    special = [(i, c.convert) for i, c in enumerate(columns) if c.convert is not _identity]
    single = len(columns) == 1

    def values(row: Mapping[str, Any]) -> list[Any]:
        out = [getter(row)] if single else list(getter(row))
        for i, convert in special:
            out[i] = convert(out[i])
        return out

    return values


def _sqlite_rows_per_statement(conn: Connection, width: int) -> int:
    raw = conn.connection.dbapi_connection
    limit = 999  # SQLite's default before 3.32
    if isinstance(raw, sqlite3.Connection):
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, min(SQLITE_ROWS, limit // max(1, width)))


def insert_many(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]], *,
                skip_conflicts_on: Sequence[str] = (), returning: str | None = None
                ) -> list[Any]:
    """Insert ``rows`` (all with the same keys); rows that hit a unique conflict on
    ``skip_conflicts_on`` are skipped. Returns the ``returning`` column of the rows
    actually inserted (empty when not asked)."""
    if not rows:
        return []
    columns = _columns(conn, table, list(rows[0]))
    names = ", ".join(c.quoted for c in columns)
    tail = ""
    if skip_conflicts_on:  # names checked against the table, like every column here
        keys = ", ".join(f'"{table.c[name].name}"' for name in skip_conflicts_on)
        tail += f" ON CONFLICT ({keys}) DO NOTHING"
    if returning:
        tail += f' RETURNING "{table.c[returning].name}"'
    if conn.dialect.name == "postgresql":
        source, arrays = _pg_unnest(columns, rows)
        values = ", ".join(c.pg_value for c in columns)
        sql = f'INSERT INTO "{table.name}" ({names}) SELECT {values} FROM {source}{tail}'
        result = conn.exec_driver_sql(sql, arrays)
        return list(result.scalars()) if returning else []
    per = _sqlite_rows_per_statement(conn, len(columns))
    group = "(" + ", ".join("?" * len(columns)) + ")"
    out: list[Any] = []
    row_values = _row_values(columns)
    for start in range(0, len(rows), per):
        chunk = rows[start:start + per]
        values = [value for row in chunk for value in row_values(row)]
        sql = (f'INSERT INTO "{table.name}" ({names}) VALUES '
               f'{", ".join([group] * len(chunk))}{tail}')
        result = conn.exec_driver_sql(sql, tuple(values))
        if returning:
            out.extend(result.scalars())
    return out


def update_many(conn: Connection, table: Table, keys: Sequence[str],
                rows: Sequence[Mapping[str, Any]]) -> None:
    """Set the other columns of each row where its ``keys`` columns match."""
    if not rows:
        return
    key_cols = _columns(conn, table, keys)
    set_cols = _columns(conn, table, [name for name in rows[0] if name not in keys])
    if conn.dialect.name == "postgresql":
        source, arrays = _pg_unnest(key_cols + set_cols, rows)
        sets = ", ".join(f"{c.quoted} = {c.pg_value}" for c in set_cols)
        match = " AND ".join(f"t.{c.quoted} = {c.pg_value}" for c in key_cols)
        conn.exec_driver_sql(
            f'UPDATE "{table.name}" AS t SET {sets} FROM {source} WHERE {match}', arrays)
        return
    sets = ", ".join(f"{c.quoted} = ?" for c in set_cols)
    match = " AND ".join(f"{c.quoted} = ?" for c in key_cols)
    row_values = _row_values(set_cols + key_cols)
    params = [tuple(row_values(row)) for row in rows]
    conn.exec_driver_sql(f'UPDATE "{table.name}" SET {sets} WHERE {match}', params)


def one_of(conn: Connection, column: Column[Any], values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values`` as one array parameter on PostgreSQL (``= ANY``), so the query
    text, and psycopg's parsing of it, does not grow with the number of values."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))
