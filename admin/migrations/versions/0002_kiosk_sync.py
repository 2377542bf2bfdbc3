"""kiosk sync: enrollment codes and clock anchors

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kiosk_enrollments",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("expires_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("used_at", admin.schema.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"],
                                name=op.f("fk_kiosk_enrollments_kiosk_id_kiosks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_kiosk_enrollments")),
    )
    with op.batch_alter_table("kiosk_enrollments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_enrollments_kiosk_id"), ["kiosk_id"],
                              unique=False)
    op.create_table(
        "kiosk_clock",
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("boot_id", sa.String(length=64), nullable=False),
        sa.Column("monotonic_ns", sa.BigInteger(), nullable=False),
        sa.Column("server_time", admin.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["kiosk_id"], ["kiosks.id"],
                                name=op.f("fk_kiosk_clock_kiosk_id_kiosks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("kiosk_id", "boot_id", name=op.f("pk_kiosk_clock")),
    )


def downgrade() -> None:
    op.drop_table("kiosk_clock")
    with op.batch_alter_table("kiosk_enrollments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_enrollments_kiosk_id"))
    op.drop_table("kiosk_enrollments")
