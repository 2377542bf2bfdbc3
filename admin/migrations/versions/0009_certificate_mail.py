"""people.certificate_*: certificates of attendance e-mailed, with the invitation's states

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people", sa.Column("certificate_status", sa.String(length=16),
                                      nullable=False, server_default="none"))
    op.add_column("people", sa.Column("certificate_error", sa.String(length=500),
                                      nullable=False, server_default=""))
    op.add_column("people", sa.Column("certificate_sent_at", admin.schema.UTCDateTime(),
                                      nullable=True))
    op.add_column("people", sa.Column("certificate_attempted_at", admin.schema.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        for name in ("certificate_attempted_at", "certificate_sent_at", "certificate_error",
                     "certificate_status"):
            batch_op.drop_column(name)
