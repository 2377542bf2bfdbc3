"""attempt_limits: login and enrollment limits shared by all admin processes;
users.session_version: what a session cookie carries instead of a piece of the password hash

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attempt_limits",
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", admin.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key_hash", name=op.f("pk_attempt_limits")),
    )
    op.create_index(op.f("ix_attempt_limits_not_before"), "attempt_limits", ["not_before"])
    op.add_column("users", sa.Column("session_version", sa.Integer(), nullable=False,
                                     server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("session_version")
    op.drop_index(op.f("ix_attempt_limits_not_before"), table_name="attempt_limits")
    op.drop_table("attempt_limits")
