"""kiosk_enrollments.request_hash: an enrollment whose reply was lost can be retried

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("kiosk_enrollments",
                  sa.Column("request_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("kiosk_enrollments", schema=None) as batch_op:
        batch_op.drop_column("request_hash")
