"""Attempt limits in the database, so every admin process counts the same attempts.

An attempt is counted *before* what it guards (a password check, an enrollment code)
runs, in the caller's write transaction, with the key's row locked: of any number of
simultaneous attempts for one key, only as many as the policy lets through go ahead.
A success clears the key; an attempt never proven right stays counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from admin.schema import attempt_limits as t


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    """``free_attempts`` go ahead at once; after them each attempt waits for the one
    before: ``first_delay`` seconds, doubling up to ``max_delay``. A key left alone for
    ``forget_after`` seconds past its wait starts over."""

    free_attempts: int
    first_delay: float
    max_delay: float
    forget_after: float

    def delay_after(self, attempts: int) -> float:
        over = attempts - self.free_attempts
        if over < 0:
            return 0.0
        return min(self.max_delay, self.first_delay * 2.0 ** min(over, 40))


def take_attempt(conn: Connection, scope: str, key_hash: str, policy: LimitPolicy,
                 now: datetime) -> float:
    """Count one attempt for the key and return 0.0, or count nothing and return the
    seconds it must still wait. Call inside a write transaction and commit before the
    guarded work, so other processes see the attempt."""
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(insert(t).values(scope=scope, key_hash=key_hash, attempts=0, not_before=now)
                 .on_conflict_do_nothing())
    # SQLite: the transaction holds the database's write lock (BEGIN IMMEDIATE) already.
    row = conn.execute(select(t.c.attempts, t.c.not_before)
                       .where(t.c.scope == scope, t.c.key_hash == key_hash)
                       .with_for_update()).one()
    attempts, not_before = row.attempts, row.not_before
    if now >= not_before + timedelta(seconds=policy.forget_after):
        attempts = 0
    elif now < not_before:
        return (not_before - now).total_seconds()
    attempts += 1
    conn.execute(update(t).where(t.c.scope == scope, t.c.key_hash == key_hash).values(
        attempts=attempts, not_before=now + timedelta(seconds=policy.delay_after(attempts))))
    _forget_stale(conn, scope, now - timedelta(seconds=policy.forget_after))
    return 0.0


def clear(conn: Connection, scope: str, key_hash: str) -> None:
    conn.execute(delete(t).where(t.c.scope == scope, t.c.key_hash == key_hash))


def _forget_stale(conn: Connection, scope: str, cutoff: datetime) -> None:
    """Drop keys nobody tried for a while, so the table does not grow with every address
    that ever asked. Rows another transaction holds are left for next time (no waiting,
    no deadlock between concurrent cleanups)."""
    stale = (select(t.c.scope, t.c.key_hash).where(t.c.scope == scope, t.c.not_before < cutoff)
             .limit(500).with_for_update(skip_locked=True))
    conn.execute(delete(t).where(tuple_(t.c.scope, t.c.key_hash).in_(stale)))


def pending(conn: Connection, scope: str) -> int:
    """How many keys of ``scope`` are counted now (tests, status)."""
    return int(conn.execute(select(func.count()).select_from(t)
                            .where(t.c.scope == scope)).scalar_one())
