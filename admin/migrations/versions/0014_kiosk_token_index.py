"""kiosks.token_hash: a unique index (every kiosk request looks its kiosk up by it)

Without it each contact of each kiosk scanned the whole kiosks table (and, on
PostgreSQL, did so under a row lock for writes).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_kiosks_token_hash"), ["token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_kiosks_token_hash"), type_="unique")
