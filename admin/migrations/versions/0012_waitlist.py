"""waitlist: people an import (or the help desk) could not seat in a full session

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waitlist",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"],
                                name=op.f("fk_waitlist_person_id_people"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"],
                                name=op.f("fk_waitlist_session_id_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "person_id", name=op.f("pk_waitlist")),
    )


def downgrade() -> None:
    op.drop_table("waitlist")
