"""invitations: the event's help desk, contact and what to bring; people's send attempts

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (("help_desk_pl", 300), ("help_desk_en", 300), ("contact_email", 320),
           ("contact_phone", 64), ("bring_pl", 1000), ("bring_en", 1000))


def upgrade() -> None:
    for name, length in COLUMNS:
        op.add_column("events", sa.Column(name, sa.String(length=length), nullable=False,
                                          server_default=""))
    op.add_column("people", sa.Column("invitation_attempted_at", admin.schema.UTCDateTime(),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("invitation_attempted_at")
    with op.batch_alter_table("events", schema=None) as batch_op:
        for name, _length in reversed(COLUMNS):
            batch_op.drop_column(name)
