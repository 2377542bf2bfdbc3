"""kiosk_commands: whose badge, and what the kiosk answered (the help desk shows it)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("kiosk_commands", sa.Column("person_id", sa.Integer(), nullable=True))
    op.add_column("kiosk_commands", sa.Column("error", sa.String(length=500), nullable=False,
                                              server_default=""))
    op.add_column("kiosk_commands", sa.Column("reported_at", admin.schema.UTCDateTime(),
                                              nullable=True))
    op.create_index(op.f("ix_kiosk_commands_person_id"), "kiosk_commands", ["person_id"])
    commands = sa.table("kiosk_commands", sa.column("id", sa.Integer),
                        sa.column("payload", sa.Text), sa.column("person_id", sa.Integer))
    conn = op.get_bind()
    for row in conn.execute(sa.select(commands.c.id, commands.c.payload)).all():
        try:
            person = int(json.loads(row.payload)["attendee_id"])
        except (ValueError, KeyError, TypeError):
            continue
        conn.execute(sa.update(commands).where(commands.c.id == row.id).values(
            person_id=person))


def downgrade() -> None:
    op.drop_index(op.f("ix_kiosk_commands_person_id"), table_name="kiosk_commands")
    with op.batch_alter_table("kiosk_commands", schema=None) as batch_op:
        batch_op.drop_column("reported_at")
        batch_op.drop_column("error")
        batch_op.drop_column("person_id")
