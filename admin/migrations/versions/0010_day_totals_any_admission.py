"""presence_counts: a person is checked in on a day by any admission that day

The per-day totals (``day``, ``bucket``, ``visitors``) counted entrance check-ins only, so
people let into a session at the help desk or by a room kiosk, with no entrance scan,
were missing from the dashboard ("0 / 126"). ``admin.scans`` now counts any admission;
this recomputes those three totals from the presence rows.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import math
from collections import Counter

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BUCKET_SECONDS = 15 * 60  # admin.scans.BUCKET_SECONDS when this was written
presence = sa.table("presence", sa.column("event_id", sa.Integer),
                    sa.column("person_id", sa.Integer), sa.column("day", sa.Date),
                    sa.column("first_in", admin.schema.UTCDateTime()))
counts = sa.table("presence_counts", sa.column("event_id", sa.Integer),
                  sa.column("metric", sa.String), sa.column("key", sa.BigInteger),
                  sa.column("value", sa.Integer))


def upgrade() -> None:
    conn = op.get_bind()
    totals: Counter[tuple[int, str, int]] = Counter()
    people: dict[int, set[int]] = {}
    rows = conn.execute(sa.select(presence.c.event_id, presence.c.person_id, presence.c.day,
                                  sa.func.min(presence.c.first_in))
                        .group_by(presence.c.event_id, presence.c.person_id, presence.c.day))
    for event_id, person_id, day, first_in in rows:
        totals[(event_id, "day", day.toordinal())] += 1
        if first_in is not None:
            totals[(event_id, "bucket", math.floor(first_in.timestamp() / BUCKET_SECONDS))] += 1
        people.setdefault(event_id, set()).add(person_id)
    for event_id, ids in people.items():
        totals[(event_id, "visitors", 0)] = len(ids)
    conn.execute(sa.delete(counts).where(counts.c.metric.in_(["day", "bucket", "visitors"])))
    if totals:
        conn.execute(sa.insert(counts), [
            {"event_id": e, "metric": m, "key": k, "value": v}
            for (e, m, k), v in sorted(totals.items())])


def downgrade() -> None:
    """The old totals are not restored (they undercounted); the new ones stay."""
