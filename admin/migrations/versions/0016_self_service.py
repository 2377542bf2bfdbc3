"""events: self-service at the kiosk without a QR (sync protocol 5); scans.source wider

An event offers lookup by surname at its kiosks or not, with one second factor (the
personal code printed on the invitation, or the registered e-mail address), and keeps the
secret its personal codes are derived from. Scans made that way have the source
"self_service", longer than the eight characters the column held. A kiosk reports
when its lookup is paused after too many wrong factors.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_service_enabled", sa.Boolean(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("self_service_factor", sa.String(length=8),
                                      nullable=False, server_default="code"))
        batch_op.add_column(sa.Column("self_service_secret", sa.String(length=64),
                                      nullable=False, server_default=""))
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("self_service_paused", sa.Boolean(), nullable=False,
                                      server_default="0"))
    _source_length(8, 16)


def _source_length(before: int, after: int) -> None:
    # On SQLite this copies the scans table (batch mode): the length is only declared
    # there, but the schema must read the same as a fresh one.
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=before),
                              type_=sa.String(length=after), existing_nullable=False)


def downgrade() -> None:
    _source_length(16, 8)
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_column("self_service_paused")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("self_service_secret")
        batch_op.drop_column("self_service_factor")
        batch_op.drop_column("self_service_enabled")
