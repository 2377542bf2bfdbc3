"""The admin's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

Times are stored as naive UTC on both SQLite and PostgreSQL (:class:`UTCDateTime`
hands them back aware). Scans are append-only facts; ``presence`` is derived from
them by :func:`admin.scans.record_scans` so the dashboard never scans all scans.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from sync.timekeeping import DEFAULT_TIMEZONE, utc_now

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, naive UTC in the database, aware UTC out."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Bramka stores aware UTC times only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


utcnow = utc_now  # sync.timekeeping's one clock, under the name the admin's modules use


users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),  # organizer | volunteer
    Column("active", Boolean, nullable=False, server_default="1"),
    # Carried by every session cookie of the user; raised on a password or role change,
    # when the account is disabled and on "log out everywhere": older cookies stop working.
    Column("session_version", Integer, nullable=False, server_default="0"),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_login_at", UTCDateTime),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(300), nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("timezone", String(64), nullable=False, server_default=DEFAULT_TIMEZONE),
    # Bumped with every change to the event's people: the search index cache key.
    Column("people_version", Integer, nullable=False, server_default="0"),
    # Who gets a certificate (admin.time_present): present for at least this share of a
    # session ("session") or of each day's program ("day").
    Column("certificate_min_percent", Integer, nullable=False, server_default="80"),
    Column("certificate_basis", String(8), nullable=False, server_default="session"),
    Column("personal_data_deleted_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    # What the invitation tells each registrant beyond the program (admin/invitation_letter):
    # where the help desk is on site, whom to ask before the event, what to bring.
    Column("help_desk_pl", String(300), nullable=False, server_default=""),
    Column("help_desk_en", String(300), nullable=False, server_default=""),
    Column("contact_email", String(320), nullable=False, server_default=""),
    Column("contact_phone", String(64), nullable=False, server_default=""),
    Column("bring_pl", String(1000), nullable=False, server_default=""),
    Column("bring_en", String(1000), nullable=False, server_default=""),
    # Self-service at the kiosk without a QR (sync.self_service): offered or not, the
    # second factor ("code" or "email"), and the event's secret for the personal codes
    # (hex; made when first needed).
    Column("self_service_enabled", Boolean, nullable=False, server_default="0"),
    Column("self_service_factor", String(8), nullable=False, server_default="code"),
    Column("self_service_secret", String(64), nullable=False, server_default=""),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("public_key", String(64), nullable=False),
    # PKCS8 PEM of the Ed25519 private key. Never leaves this database.
    Column("private_pem", Text, nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("created_at", UTCDateTime, nullable=False),
)

venues = Table(
    "venues",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("address", String(500), nullable=False, server_default=""),
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("venue_id", ForeignKey("venues.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(300), nullable=False),
    Column("capacity", Integer),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("room_id", ForeignKey("rooms.id", ondelete="RESTRICT"), nullable=False, index=True),
    Column("kind", String(16), nullable=False, server_default="session"),  # session|side_event
    Column("title", String(500), nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("capacity", Integer),
    Column("registration_required", Boolean, nullable=False, server_default="0"),
)

people = Table(
    "people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("first_name", String(200), nullable=False),
    Column("last_name", String(200), nullable=False),
    Column("email", String(320)),
    Column("email_norm", String(320)),
    Column("institution", String(500), nullable=False, server_default=""),
    Column("position", String(300), nullable=False, server_default=""),
    Column("role", String(16), nullable=False, server_default="participant"),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("badge_revision", Integer, nullable=False, server_default="1"),
    Column("source", String(16), nullable=False, server_default="import"),
    # Folded (lower case, no diacritics) "first last" and institution: re-import matching.
    Column("name_key", String(500), nullable=False, server_default=""),
    Column("institution_key", String(500), nullable=False, server_default=""),
    # none | sending (handed to the SMTP server, outcome not yet recorded) | sent | failed.
    Column("invitation_status", String(16), nullable=False, server_default="none"),
    Column("invitation_error", String(500), nullable=False, server_default=""),
    Column("invitation_sent_at", UTCDateTime),
    # When the latest invitation was handed to the SMTP server ("sending" since then).
    Column("invitation_attempted_at", UTCDateTime),
    # The certificate of attendance by e-mail: the same states as the invitation's.
    Column("certificate_status", String(16), nullable=False, server_default="none"),
    Column("certificate_error", String(500), nullable=False, server_default=""),
    Column("certificate_sent_at", UTCDateTime),
    Column("certificate_attempted_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("event_id", "email_norm", name="uq_people_event_email"),
    Index("ix_people_event_name", "event_id", "name_key", "institution_key"),
    Index("ix_people_event_status", "event_id", "status"),
)

badge_revisions = Table(
    "badge_revisions",
    metadata,
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("revision", Integer, primary_key=True, autoincrement=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("issued_by", String(64), nullable=False, server_default=""),
    Column("revoked_at", UTCDateTime),
    Column("reason", String(200), nullable=False, server_default=""),
)

registrations = Table(
    "registrations",
    metadata,
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_registrations_person", "person_id"),
)

# People who asked for a session that was full: in the order they asked (an import keeps
# the sheet's order, which is the order the forms came in). Not registered: a kiosk
# refuses them like anyone unregistered, until an organizer moves them up.
waitlist = Table(
    "waitlist",
    metadata,
    Column("session_id", ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("person_id", ForeignKey("people.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

kiosks = Table(
    "kiosks",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="SET NULL"), index=True),
    Column("name", String(200), nullable=False, server_default=""),
    Column("mode", String(16), nullable=False, server_default="entrance"),
    Column("room", String(300), nullable=False, server_default=""),
    # Every kiosk request finds its kiosk by this: indexed (1 000 kiosks, 200 contacts/s).
    Column("token_hash", String(255), unique=True),
    Column("enrolled_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("last_contact_at", UTCDateTime),
    Column("queue_length", Integer, nullable=False, server_default="0"),
    Column("printer_state", String(64), nullable=False, server_default="unknown"),
    Column("camera_state", String(64), nullable=False, server_default="unknown"),
    Column("clock_offset_ms", Integer),
    # The kiosk's own Ed25519 public key from its enrollment, and the head of its scan
    # chain the admin has verified up to (sync.chain); a break found, until mended.
    Column("public_key", String(64)),
    Column("chain_seq", Integer),
    Column("chain_head", String(64)),
    Column("chain_problem", String(300), nullable=False, server_default=""),
    # The rest of the kiosk's plan (sync.plan; mode and room above), its revision, and
    # what the kiosk last reported of itself.
    Column("direction", String(8), nullable=False, server_default="toggle"),
    Column("session_id", Integer),
    Column("language", String(8), nullable=False, server_default="pl"),
    Column("result_seconds", Float, nullable=False, server_default="4.0"),
    Column("staff_pin_hash", String(120), nullable=False, server_default=""),
    Column("help_desk", String(200), nullable=False, server_default=""),
    Column("printer_profile", String(64), nullable=False, server_default=""),
    Column("plan_revision", Integer, nullable=False, server_default="1"),
    Column("plan_changed_at", UTCDateTime),
    Column("software", String(64), nullable=False, server_default=""),
    Column("plan_seen", Integer),
    Column("print_queue", Integer, nullable=False, server_default="0"),
    # Its self-service lookup is paused after too many wrong factors (sync protocol 5).
    Column("self_service_paused", Boolean, nullable=False, server_default="0"),
)

# Single-use enrollment codes (only their SHA-256 is kept) for kiosks to get a token.
kiosk_enrollments = Table(
    "kiosk_enrollments",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("kiosk_id", ForeignKey("kiosks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    # SHA-256 of the kiosk's request id for this enrollment: a retry (the reply was lost)
    # with the same id shortly after gets a fresh token instead of "code used".
    Column("request_hash", String(64)),
)

# Per kiosk and boot: the kiosk's monotonic clock paired with the server's time at a
# contact (sync.clock), so scans are placed on the server's clock.
kiosk_clock = Table(
    "kiosk_clock",
    metadata,
    Column("kiosk_id", ForeignKey("kiosks.id", ondelete="CASCADE"), primary_key=True),
    Column("boot_id", String(64), primary_key=True),
    Column("monotonic_ns", BigInteger, nullable=False),
    Column("server_time", UTCDateTime, nullable=False),
    # Samples in a row that disagree with the anchor, and the best of them (sync.clock).
    Column("disputes", Integer, nullable=False, server_default="0"),
    Column("challenger_monotonic_ns", BigInteger),
    Column("challenger_server_time", UTCDateTime),
    Column("reanchored_ms", Integer, nullable=False, server_default="0"),
)

kiosk_commands = Table(
    "kiosk_commands",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kiosk_id", ForeignKey("kiosks.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(32), nullable=False),  # reprint
    # JSON: a sync.wire.Command without its id ({"attendee_id", "badge": {...}}).
    Column("payload", Text, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("created_by", String(64), nullable=False, server_default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime),
    # Whose badge (the help desk's person page follows its prints) and what the kiosk said.
    Column("person_id", Integer, index=True),
    Column("error", String(500), nullable=False, server_default=""),
    Column("reported_at", UTCDateTime),
)

scans = Table(
    "scans",
    metadata,
    Column("id", String(32), primary_key=True),  # client-made, see sync.scans
    Column("kiosk_id", String(64), nullable=False),
    Column("event_id", Integer),
    Column("attendee_id", Integer),
    Column("badge_revision", Integer),
    Column("session_id", Integer),
    Column("direction", String(3)),
    Column("result", String(24), nullable=False),
    Column("admitted", Boolean, nullable=False),
    Column("source", String(16), nullable=False),  # sync.scans.ScanSource
    Column("wall_time", UTCDateTime, nullable=False),
    # wall_time corrected by the kiosk's estimated clock offset; what the admin orders by.
    Column("scan_time", UTCDateTime, nullable=False),
    Column("monotonic_ns", BigInteger, nullable=False),
    Column("boot_id", String(64), nullable=False),
    Column("raw", String(256)),
    Column("received_at", UTCDateTime, nullable=False),
    # scan_time is the wall time corrected by the kiosk's current offset, not placed by a
    # clock anchor of its boot (a boot the admin never heard from): shown as estimated.
    Column("time_estimated", Boolean, nullable=False, server_default="0"),
    # The kiosk's hash chain (sync.chain): its seq, the previous link and this one.
    Column("chain_seq", Integer),
    Column("chain_prev", String(64)),
    Column("chain", String(64)),
    # An organizer's written reason for a check-in the rules would refuse (help desk).
    Column("override_reason", String(500), nullable=False, server_default=""),
    Index("ix_scans_event_attendee", "event_id", "attendee_id"),
    Index("ix_scans_event_time", "event_id", "scan_time"),
)

# The signed heads of each kiosk's chain, one per upload that carried new links.
kiosk_chain_heads = Table(
    "kiosk_chain_heads",
    metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("chain", String(64), nullable=False),
    Column("signature", String(200), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# Admissions while the person was already inside (admin.double_entry), kept in step by
# admin.scans as scans arrive, so the dashboard reads them instead of walking timelines.
double_entries = Table(
    "double_entries",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    Column("session_id", Integer, primary_key=True, autoincrement=False),  # 0: entrance
    Column("day", Date, nullable=False),
    Column("at", UTCDateTime, primary_key=True),
    Column("kiosk_id", String(64), primary_key=True),
    Column("first_at", UTCDateTime, nullable=False),
    Column("first_kiosk", String(64), nullable=False),
)

# Uploaded scans the admin cannot keep as facts (sync.rules): held with the reason, never
# counted, shown on the kiosk's page and the dashboard. Keyed per kiosk, so a scan id that
# another kiosk already holds (an id conflict) is kept here too.
scan_quarantine = Table(
    "scan_quarantine",
    metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("id", String(32), primary_key=True),
    Column("event_id", Integer, index=True),  # the kiosk's event when it arrived
    Column("reason", String(32), nullable=False),
    Column("scan_time", UTCDateTime),
    Column("record", Text, nullable=False),  # the sync.scans.ScanRecord as JSON
    Column("received_at", UTCDateTime, nullable=False),
)

# Derived from scans: one row per person and place (entrance per day, or a session).
presence = Table(
    "presence",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),
    Column("person_id", Integer, primary_key=True, autoincrement=False),
    Column("session_id", Integer, primary_key=True, autoincrement=False),  # 0: entrance
    Column("day", Date, primary_key=True),  # the day in the event's time zone
    Column("first_in", UTCDateTime),
    Column("last_in", UTCDateTime),
    Column("last_out", UTCDateTime),
    Column("inside", Boolean, nullable=False, server_default="0"),
    Column("admits", Integer, nullable=False, server_default="0"),  # admitted "ok" scans
    Column("first_bucket", BigInteger),  # first_in in 15-minute steps since the epoch
    # Covering indexes for the dashboard's aggregates (measured in bench/bench_admin.py).
    Index("ix_presence_stats", "event_id", "session_id", "inside", "admits"),
    Index("ix_presence_person", "event_id", "session_id", "person_id"),
    Index("ix_presence_day", "event_id", "session_id", "day"),
    Index("ix_presence_bucket", "event_id", "session_id", "first_bucket"),
    Index("ix_presence_admits", "event_id", "admits"),
    Index("ix_presence_person_only", "person_id"),
)

# Running totals over presence, kept in step by record_scans so the dashboard reads a few
# dozen rows instead of aggregating every presence row on each poll. metric/key:
# visitors/0 (people who came through the entrance), day/<date ordinal> (entrance rows),
# bucket/<first_bucket> (arrivals), attended|inside|dups/<session id> (dups/0: entrance).
presence_counts = Table(
    "presence_counts",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),
    Column("metric", String(8), primary_key=True),
    Column("key", BigInteger, primary_key=True, autoincrement=False),
    Column("value", Integer, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("event_id", Integer),
    Column("person_id", Integer),
    Column("action", String(64), nullable=False),
    Column("detail", Text, nullable=False, server_default=""),
)

# What remains of an event after its personal data is deleted.
anonymous_counts = Table(
    "anonymous_counts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("session_id", Integer),  # NULL: the whole event
    Column("label", String(500), nullable=False),
    Column("registered", Integer, nullable=False),
    Column("attended", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# Failed attempts that must wait (logins per account and address, kiosk enrollment codes
# per address), shared by every admin process. Only a hash of what is counted is kept.
attempt_limits = Table(
    "attempt_limits",
    metadata,
    Column("scope", String(16), primary_key=True),  # login | enroll
    Column("key_hash", String(64), primary_key=True),
    Column("attempts", Integer, nullable=False),  # counted since the last success
    Column("not_before", UTCDateTime, nullable=False, index=True),  # the next try
)

# Background jobs (imports, mailings) and their progress, so that any admin process can
# show a job that another one runs. The process running it writes here every second or so;
# a running job silent for long (its process stopped) is shown as interrupted.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(32), nullable=False),  # import | invitations
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("done", Integer, nullable=False, server_default="0"),
    Column("total", Integer, nullable=False, server_default="0"),
    Column("result", Text, nullable=False, server_default="{}"),  # JSON
    Column("error", Text, nullable=False, server_default=""),
    Column("owner", String(100), nullable=False, server_default=""),  # host:pid
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# The event's badge template (sync.badge_template): its JSON, and the images it names by
# SHA-256. Images are kept per event and never changed (a new upload is a new row), so a
# form refused for another field keeps the picture already uploaded.
badge_templates = Table(
    "badge_templates",
    metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("body", Text, nullable=False),  # BadgeTemplate JSON
    Column("sha256", String(64), nullable=False),  # sync.badge_template.template_hash
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(100), nullable=False, server_default=""),
)

badge_images = Table(
    "badge_images",
    metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(32), nullable=False),
    Column("data", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
