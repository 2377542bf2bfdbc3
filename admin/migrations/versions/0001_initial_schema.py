"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-22 23:47:24.292940
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import admin.schema

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("detail", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), server_default="Europe/Warsaw", nullable=False),
        sa.Column("people_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("personal_data_deleted_at", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_table(
        "presence",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("person_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("session_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_in", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("last_in", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("last_out", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("inside", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("admits", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_bucket", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint(
            "event_id", "person_id", "session_id", "day", name=op.f("pk_presence")
        ),
    )
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.create_index("ix_presence_admits", ["event_id", "admits"], unique=False)
        batch_op.create_index(
            "ix_presence_bucket", ["event_id", "session_id", "first_bucket"], unique=False
        )
        batch_op.create_index("ix_presence_day", ["event_id", "session_id", "day"], unique=False)
        batch_op.create_index(
            "ix_presence_person", ["event_id", "session_id", "person_id"], unique=False
        )
        batch_op.create_index("ix_presence_person_only", ["person_id"], unique=False)
        batch_op.create_index(
            "ix_presence_stats", ["event_id", "session_id", "inside", "admits"], unique=False
        )

    op.create_table(
        "presence_counts",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("metric", sa.String(length=8), nullable=False),
        sa.Column("key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "metric", "key", name=op.f("pk_presence_counts")),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("attendee_id", sa.Integer(), nullable=True),
        sa.Column("badge_revision", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("direction", sa.String(length=3), nullable=True),
        sa.Column("result", sa.String(length=24), nullable=False),
        sa.Column("admitted", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("wall_time", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("scan_time", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("monotonic_ns", sa.BigInteger(), nullable=False),
        sa.Column("boot_id", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.String(length=256), nullable=True),
        sa.Column("received_at", admin.schema.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.create_index("ix_scans_event_attendee", ["event_id", "attendee_id"], unique=False)
        batch_op.create_index("ix_scans_event_time", ["event_id", "scan_time"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("last_login_at", admin.schema.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "anonymous_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_anonymous_counts_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymous_counts")),
    )
    with op.batch_alter_table("anonymous_counts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_anonymous_counts_event_id"), ["event_id"], unique=False
        )

    op.create_table(
        "kiosks",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("mode", sa.String(length=16), server_default="entrance", nullable=False),
        sa.Column("room", sa.String(length=300), server_default="", nullable=False),
        sa.Column("token_hash", sa.String(length=255), nullable=True),
        sa.Column("enrolled_at", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("last_contact_at", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("queue_length", sa.Integer(), server_default="0", nullable=False),
        sa.Column("printer_state", sa.String(length=64), server_default="unknown", nullable=False),
        sa.Column("camera_state", sa.String(length=64), server_default="unknown", nullable=False),
        sa.Column("clock_offset_ms", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_kiosks_event_id_events"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosks")),
    )
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosks_event_id"), ["event_id"], unique=False)

    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("email_norm", sa.String(length=320), nullable=True),
        sa.Column("institution", sa.String(length=500), server_default="", nullable=False),
        sa.Column("position", sa.String(length=300), server_default="", nullable=False),
        sa.Column("role", sa.String(length=16), server_default="participant", nullable=False),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("badge_revision", sa.Integer(), server_default="1", nullable=False),
        sa.Column("source", sa.String(length=16), server_default="import", nullable=False),
        sa.Column("name_key", sa.String(length=500), server_default="", nullable=False),
        sa.Column("institution_key", sa.String(length=500), server_default="", nullable=False),
        sa.Column("invitation_status", sa.String(length=16), server_default="none", nullable=False),
        sa.Column("invitation_error", sa.String(length=500), server_default="", nullable=False),
        sa.Column("invitation_sent_at", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("updated_at", admin.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_people_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("event_id", "email_norm", name="uq_people_event_email"),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index(
            "ix_people_event_name", ["event_id", "name_key", "institution_key"], unique=False
        )
        batch_op.create_index("ix_people_event_status", ["event_id", "status"], unique=False)

    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_signing_keys_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_keys")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_event_id"), ["event_id"], unique=False)

    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("address", sa.String(length=500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_venues_event_id_events"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_venues")),
    )
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_venues_event_id"), ["event_id"], unique=False)

    op.create_table(
        "badge_revisions",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("issued_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("revoked_at", admin.schema.UTCDateTime(), nullable=True),
        sa.Column("reason", sa.String(length=200), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_badge_revisions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("person_id", "revision", name=op.f("pk_badge_revisions")),
    )
    op.create_table(
        "kiosk_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kiosk_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("created_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", admin.schema.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["kiosk_id"],
            ["kiosks.id"],
            name=op.f("fk_kiosk_commands_kiosk_id_kiosks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kiosk_commands")),
    )
    with op.batch_alter_table("kiosk_commands", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_commands_kiosk_id"), ["kiosk_id"], unique=False)

    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["venue_id"], ["venues.id"], name=op.f("fk_rooms_venue_id_venues"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rooms")),
    )
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rooms_venue_id"), ["venue_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), server_default="session", nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("starts_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("ends_at", admin.schema.UTCDateTime(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("registration_required", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_sessions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name=op.f("fk_sessions_room_id_rooms"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_sessions_room_id"), ["room_id"], unique=False)

    op.create_table(
        "registrations",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", admin.schema.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_registrations_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_registrations_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", "person_id", name=op.f("pk_registrations")),
    )
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.create_index("ix_registrations_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("registrations", schema=None) as batch_op:
        batch_op.drop_index("ix_registrations_person")

    op.drop_table("registrations")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_room_id"))
        batch_op.drop_index(batch_op.f("ix_sessions_event_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("rooms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rooms_venue_id"))

    op.drop_table("rooms")
    with op.batch_alter_table("kiosk_commands", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_commands_kiosk_id"))

    op.drop_table("kiosk_commands")
    op.drop_table("badge_revisions")
    with op.batch_alter_table("venues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_venues_event_id"))

    op.drop_table("venues")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_event_id"))

    op.drop_table("signing_keys")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index("ix_people_event_status")
        batch_op.drop_index("ix_people_event_name")

    op.drop_table("people")
    with op.batch_alter_table("kiosks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosks_event_id"))

    op.drop_table("kiosks")
    with op.batch_alter_table("anonymous_counts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_anonymous_counts_event_id"))

    op.drop_table("anonymous_counts")
    op.drop_table("users")
    with op.batch_alter_table("scans", schema=None) as batch_op:
        batch_op.drop_index("ix_scans_event_time")
        batch_op.drop_index("ix_scans_event_attendee")

    op.drop_table("scans")
    op.drop_table("presence_counts")
    with op.batch_alter_table("presence", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_stats")
        batch_op.drop_index("ix_presence_person_only")
        batch_op.drop_index("ix_presence_person")
        batch_op.drop_index("ix_presence_day")
        batch_op.drop_index("ix_presence_bucket")
        batch_op.drop_index("ix_presence_admits")

    op.drop_table("presence")
    op.drop_table("events")
    op.drop_table("audit_log")
