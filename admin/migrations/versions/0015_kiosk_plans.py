"""kiosks: the plan the organizers set (sync protocol 4) and what each kiosk reports

A kiosk's role (direction, pinned session, language, result time, staff PIN hash, help
desk, printer profile; mode and room were there) with a revision that grows with every
change, and the kiosk's software version, the plan revision it follows and its print
queue, for the Kiosks page.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COLUMNS = (
    ("direction", lambda: sa.Column("direction", sa.String(length=8), nullable=False,
                                    server_default="toggle")),
    ("session_id", lambda: sa.Column("session_id", sa.Integer(), nullable=True)),
    ("language", lambda: sa.Column("language", sa.String(length=8), nullable=False,
                                   server_default="pl")),
    ("result_seconds", lambda: sa.Column("result_seconds", sa.Float(), nullable=False,
                                         server_default="4.0")),
    ("staff_pin_hash", lambda: sa.Column("staff_pin_hash", sa.String(length=120),
                                         nullable=False, server_default="")),
    ("help_desk", lambda: sa.Column("help_desk", sa.String(length=200), nullable=False,
                                    server_default="")),
    ("printer_profile", lambda: sa.Column("printer_profile", sa.String(length=64),
                                          nullable=False, server_default="")),
    ("plan_revision", lambda: sa.Column("plan_revision", sa.Integer(), nullable=False,
                                        server_default="1")),
    ("plan_changed_at", lambda: sa.Column("plan_changed_at", admin.schema.UTCDateTime(),
                                          nullable=True)),
    ("software", lambda: sa.Column("software", sa.String(length=64), nullable=False,
                                   server_default="")),
    ("plan_seen", lambda: sa.Column("plan_seen", sa.Integer(), nullable=True)),
    ("print_queue", lambda: sa.Column("print_queue", sa.Integer(), nullable=False,
                                      server_default="0")),
)


def upgrade() -> None:
    for _, column in COLUMNS:
        op.add_column("kiosks", column())


def downgrade() -> None:
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
