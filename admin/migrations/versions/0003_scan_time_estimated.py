"""scans.time_estimated: scans timed by the kiosk's offset, not by an anchor of their boot

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("scans", sa.Column("time_estimated", sa.Boolean(), nullable=False,
                                     server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_column("time_estimated")
