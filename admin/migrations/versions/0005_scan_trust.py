"""scan trust: quarantine, anchor disputes, override reasons, scan chains (protocol 2)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_quarantine",
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("scan_time", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("record", sa.Text(), nullable=False),
        sa.Column("received_at", admin.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", "id", name=op.f("pk_scan_quarantine")),
    )
    op.create_index(op.f("ix_scan_quarantine_event_id"), "scan_quarantine", ["event_id"])
    with op.batch_alter_table("kiosk_clock") as batch:
        batch.add_column(sa.Column("disputes", sa.Integer(), server_default="0",
                                   nullable=False))
        batch.add_column(sa.Column("challenger_monotonic_ns", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("challenger_server_time", admin.schema.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column("reanchored_ms", sa.Integer(), server_default="0",
                                   nullable=False))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chain_prev", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("chain", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("override_reason", sa.String(length=500), server_default="",
                                   nullable=False))
    with op.batch_alter_table("kiosks") as batch:
        batch.add_column(sa.Column("public_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("chain_seq", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chain_head", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("chain_problem", sa.String(length=300), server_default="",
                                   nullable=False))
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("certificate_min_percent", sa.Integer(), server_default="80",
                                   nullable=False))
        batch.add_column(sa.Column("certificate_basis", sa.String(length=8),
                                   server_default="session", nullable=False))
    # Double entries are found on the merged timeline now (admin.double_entry), not
    # counted from presence.admits: the old running total is dropped.
    op.execute("DELETE FROM presence_counts WHERE metric = 'dups'")
    op.create_table(
        "double_entries",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("first_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("first_kiosk", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "person_id", "session_id", "at", "kiosk_id",
                                name=op.f("pk_double_entries")),
    )
    # Double entries found before this version, from the scans already stored.
    conn = op.get_bind()
    from admin.double_entry import refresh

    for event_id, person_id in conn.execute(sa.text(
            "SELECT DISTINCT event_id, person_id FROM presence WHERE admits > 1")).all():
        refresh(conn, event_id, [person_id])
    op.create_table(
        "kiosk_chain_heads",
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("chain", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", admin.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kiosk_id", "seq", name=op.f("pk_kiosk_chain_heads")),
    )


def downgrade() -> None:
    op.drop_table("double_entries")
    op.drop_table("kiosk_chain_heads")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("certificate_basis")
        batch.drop_column("certificate_min_percent")
    with op.batch_alter_table("kiosks") as batch:
        for name in ("chain_problem", "chain_head", "chain_seq", "public_key"):
            batch.drop_column(name)
    with op.batch_alter_table("scans") as batch:
        for name in ("override_reason", "chain", "chain_prev", "chain_seq"):
            batch.drop_column(name)
    with op.batch_alter_table("kiosk_clock") as batch:
        for name in ("reanchored_ms", "challenger_server_time", "challenger_monotonic_ns",
                     "disputes"):
            batch.drop_column(name)
    op.drop_index(op.f("ix_scan_quarantine_event_id"), table_name="scan_quarantine")
    op.drop_table("scan_quarantine")
