"""Applying an import plan to the database: one transaction, in chunks, with progress."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, insert, select, text, update

from admin import import_capacity
from admin.import_capacity import OverCapacity
from admin.importer import Existing, Plan, build_plan
from admin.queries import audit
from admin.queries import events as q_events
from admin.schema import badge_revisions, people, sessions, utcnow
from admin.textnorm import fold

Progress = Callable[[int, int], None]
CHUNK = 500


@dataclass
class ImportResult:
    plan: Plan
    headers: list[str]
    mapping: dict[str, int]
    encoding: str
    delimiter: str
    applied: bool
    created_ids: list[int] = field(default_factory=list)
    sessions: list[tuple[int, str]] = field(default_factory=list)  # (id, title) of the event
    # Sessions the sheet fills past their limit, and (applied) how many went on waitlists.
    over_capacity: list[OverCapacity] = field(default_factory=list)
    waitlisted: int = 0

    def summary(self) -> dict[str, int]:
        return {**self.plan.summary(), "waitlisted": self.waitlisted}


def load_existing(conn: Connection, event_id: int) -> list[Existing]:
    rows = conn.execute(
        select(people.c.id, people.c.first_name, people.c.last_name, people.c.email,
               people.c.institution, people.c.position, people.c.role)
        .where(people.c.event_id == event_id)
    ).all()
    return [Existing(r.id, r.first_name, r.last_name, r.email, r.institution, r.position, r.role)
            for r in rows]


def load_session_titles(conn: Connection, event_id: int) -> list[tuple[int, str]]:
    rows = conn.execute(select(sessions.c.id, sessions.c.title)
                        .where(sessions.c.event_id == event_id)
                        .order_by(sessions.c.starts_at, sessions.c.id)).all()
    return [(r.id, r.title) for r in rows]


def apply_plan(conn: Connection, event_id: int, plan: Plan, username: str = "",
               progress: Progress | None = None,
               capacity: import_capacity.Choices = None) -> tuple[list[int], int]:
    """Write the plan inside the caller's transaction; the new people's ids and how many
    went on a waiting list (``capacity``: session id -> ``waitlist``/``accept``)."""
    total = len(plan.creates) + len(plan.updates) + max(1, len(plan.sessions))
    done = 0
    now = utcnow()
    row_to_person: dict[int, int] = {pid_row[1].row: pid_row[0] for pid_row in plan.unchanged}
    created: list[int] = []
    for start in range(0, len(plan.creates), CHUNK):
        chunk = plan.creates[start:start + CHUNK]
        values = [{
            "event_id": event_id, "first_name": c.first_name, "last_name": c.last_name,
            "email": c.email, "email_norm": c.email_norm, "institution": c.institution,
            "position": c.position, "role": c.role or "participant", "status": "active",
            "badge_revision": 1, "source": "import", "name_key": c.name_key,
            "institution_key": c.institution_key, "invitation_status": "none",
            "invitation_error": "", "created_at": now, "updated_at": now,
        } for c in chunk]
        ids = _insert_people(conn, values)
        conn.execute(insert(badge_revisions), [
            {"person_id": pid, "revision": 1, "issued_at": now, "issued_by": username,
             "reason": "import"} for pid in ids])
        for c, pid in zip(chunk, ids, strict=True):
            row_to_person[c.row] = pid
        created.extend(ids)
        done += len(chunk)
        if progress:
            progress(done, total)
    stmt = (update(people).where(people.c.id == bindparam("pid"))
            .values(first_name=bindparam("fn"), last_name=bindparam("ln"),
                    email=bindparam("em"), email_norm=bindparam("emn"),
                    institution=bindparam("inst"), position=bindparam("pos"),
                    role=bindparam("rl"), name_key=bindparam("nk"),
                    institution_key=bindparam("ik"), updated_at=bindparam("now")))
    current = {e.id: e for e in load_existing(conn, event_id)} if plan.updates else {}
    for start in range(0, len(plan.updates), CHUNK):
        chunk = plan.updates[start:start + CHUNK]
        params = []
        for u in chunk:
            old = current[u.person_id]
            c = u.candidate
            email = c.email or old.email
            inst = c.institution or old.institution
            params.append({
                "pid": u.person_id, "fn": c.first_name, "ln": c.last_name, "em": email,
                "emn": email.lower() if email else None, "inst": inst,
                "pos": c.position or old.position, "rl": c.role or old.role,
                "nk": c.name_key, "ik": fold(inst), "now": now,
            })
            row_to_person[c.row] = u.person_id
        conn.execute(stmt, params)
        done += len(chunk)
        if progress:
            progress(done, total)
    seated = waitlisted = 0
    if plan.sessions:  # seats counted: a full session's latecomers wait (import_capacity)
        seated, waitlisted = import_capacity.register(conn, event_id, plan, row_to_person,
                                                      capacity)
    if progress:
        progress(total, total)
    q_events.bump_people_version(conn, event_id)
    audit.log(conn, username or "import", "import", event_id=event_id,
              detail=str({**plan.summary(), "seated": seated, "waitlisted": waitlisted}))
    return created, waitlisted


def _insert_people(conn: Connection, values: list[dict]) -> list[int]:
    """Insert rows and return their ids in order.

    PostgreSQL: ids are drawn from the sequence first and the rows sent as a plain
    executemany; INSERT ... RETURNING for many rows costs psycopg seconds of query parsing
    on a 20 000-row import (measured: 1.7 s instead of 5 s).
    """
    if conn.dialect.name == "postgresql":
        ids = list(conn.execute(
            text("SELECT nextval(pg_get_serial_sequence('people', 'id')) "
                 "FROM generate_series(1, :n)"), {"n": len(values)}).scalars())
        conn.execute(insert(people), [{**v, "id": i} for v, i in zip(values, ids, strict=True)])
        return [int(i) for i in ids]
    return list(conn.execute(
        insert(people).returning(people.c.id, sort_by_parameter_order=True), values).scalars())


def run_import(
    conn: Connection,
    event_id: int,
    data: bytes,
    filename: str,
    *,
    mapping_spec: dict[str, str] | None = None,
    program_spec: dict[int, int | None] | None = None,
    dry_run: bool = False,
    username: str = "",
    progress: Progress | None = None,
    capacity: import_capacity.Choices = None,
) -> ImportResult:
    """Plan (and unless ``dry_run``, apply) an import. Raises ``ImportFileError`` untouched.
    ``capacity``: what to do with each session the sheet fills past its limit
    (``admin.import_capacity``; a waiting list unless told ``accept``)."""
    q_events.get_event(conn, event_id)
    titles = load_session_titles(conn, event_id)
    table, mapping, plan = build_plan(data, filename, load_existing(conn, event_id), titles,
                                      mapping_spec, program_spec)
    result = ImportResult(plan, table.headers, mapping, table.encoding, table.delimiter,
                          applied=False, sessions=titles,
                          over_capacity=import_capacity.over_capacity(conn, event_id, plan))
    if not dry_run:
        result.created_ids, result.waitlisted = apply_plan(conn, event_id, plan, username,
                                                           progress, capacity)
        result.applied = True
    return result
