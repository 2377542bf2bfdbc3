"""The roster snapshot: what a kiosk knows about the event.

The same document is what ``bramka kiosk load-roster FILE`` reads and what the
sync download will deliver: ``full=true`` replaces everything, ``full=false``
carries upserts plus ``deleted`` ids since the previous ``cursor``.
Personal data is limited to what a badge and the help desk need.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .badge_template import BadgeTemplate
from .bounds import Id, Role
from .self_service import SEAL_LEN, SelfService
from .timekeeping import DEFAULT_TIMEZONE
from .words import BilingualMixin

FORMAT = "bramka.roster/3"
"""/2 (protocol 3) adds ``badge_template``; /3 (protocol 5) the event's ``self_service``
and each attendee's ``seal``. Older files (no template, no self-service) still
load."""

#: Each role in words (Polish, English): the one table the admin, the kiosk and the badge
#: use, so that "press" reads the same everywhere ("prasa", not "media" on one screen).
ROLE_WORDS: dict[str, tuple[str, str]] = {
    "participant": ("uczestnik", "participant"),
    "speaker": ("prelegent", "speaker"),
    "organizer": ("organizator", "organizer"),
    "press": ("prasa", "press"),
    "volunteer": ("wolontariusz", "volunteer"),
    "guest": ("gość honorowy", "guest of honour"),
}
AttendeeStatus = Literal["active", "cancelled"]
SessionKind = Literal["session", "side_event"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A pair of words on the wire (sync.words), {"pl": …, "en": …}. No docstring: it would
# become the schema's description in the OpenAPI document.
class LocalizedText(_Strict, BilingualMixin):
    pl: str
    en: str


class EventInfo(_Strict):
    id: Id
    name: str = Field(min_length=1)
    starts_on: date
    ends_on: date
    timezone: str = DEFAULT_TIMEZONE
    public_keys: list[str] = Field(min_length=1)
    help_desk: LocalizedText = LocalizedText(pl="punkt informacyjny", en="the help desk")
    # Lookup without a QR at the kiosk (sync.self_service); None: not offered.
    self_service: SelfService | None = None

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _dates(self) -> EventInfo:
        if self.ends_on < self.starts_on:
            raise ValueError("the event ends before it starts")
        return self


class Attendee(_Strict):
    id: Id
    first_name: str
    last_name: str
    institution: str = ""
    role: Role = "participant"
    badge_revision: int = Field(default=1, ge=1, le=2**16 - 1)
    status: AttendeeStatus = "active"
    # Self-service (sync.self_service): the current badge's signature sealed under this
    # person's second factor (the personal code or the e-mail address, as the event
    # chose); None: no lookup for this person.
    seal: str | None = Field(default=None, pattern=f"^[A-Za-z0-9_-]{{{SEAL_LEN}}}$")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Session(_Strict):
    id: Id
    kind: SessionKind = "session"
    title: str = Field(min_length=1)
    room: str = Field(min_length=1)
    venue: str = ""
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    capacity: int | None = Field(default=None, ge=0)
    registration_required: bool = False

    @model_validator(mode="after")
    def _window(self) -> Session:
        if self.ends_at <= self.starts_at:
            raise ValueError(f"session {self.id} ends before it starts")
        return self


class Registration(_Strict):
    session_id: int
    attendee_id: int


class Deleted(_Strict):
    attendees: list[int] = []
    sessions: list[int] = []
    registrations: list[Registration] = []


class RosterSnapshot(_Strict):
    format: Literal["bramka.roster/1", "bramka.roster/2", "bramka.roster/3"] = FORMAT
    event: EventInfo
    cursor: str = ""
    full: bool = True
    attendees: list[Attendee] = []
    sessions: list[Session] = []
    registrations: list[Registration] = []
    deleted: Deleted = Deleted()
    # The event's badge template. In a full snapshot None means the default badge; in a
    # delta None means unchanged (the admin sends the default when one was reset).
    badge_template: BadgeTemplate | None = None

    @model_validator(mode="after")
    def _consistent(self) -> RosterSnapshot:
        if self.full and (self.deleted.attendees or self.deleted.sessions
                          or self.deleted.registrations):
            raise ValueError("a full snapshot cannot delete anything")
        if self.full:
            attendees = {a.id for a in self.attendees}
            sessions = {s.id for s in self.sessions}
            for reg in self.registrations:
                if reg.attendee_id not in attendees or reg.session_id not in sessions:
                    raise ValueError(
                        f"registration of attendee {reg.attendee_id} for session "
                        f"{reg.session_id} names someone or something not in the snapshot"
                    )
        return self


class RosterError(Exception):
    """A roster file or download that cannot be used; nothing was applied."""

    code = "roster_invalid"


def _describe(exc: ValidationError, limit: int = 5) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "document"
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


def parse_snapshot(data: bytes | str | dict) -> RosterSnapshot:
    """Validate a snapshot (JSON text or a decoded dict); raise :class:`RosterError`."""
    try:
        if isinstance(data, dict):
            return RosterSnapshot.model_validate(data)
        return RosterSnapshot.model_validate_json(data)
    except ValidationError as exc:
        raise RosterError(f"roster is not valid: {_describe(exc)}") from None


def load_snapshot(path: Path) -> RosterSnapshot:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RosterError(f"cannot read roster file {path}: {exc.strerror}") from None
    return parse_snapshot(data)


def dump_snapshot(snapshot: RosterSnapshot) -> str:
    return snapshot.model_dump_json(indent=None, exclude_defaults=False)


def snapshot_json_schema() -> dict:
    return RosterSnapshot.model_json_schema()


__all__ = [
    "Attendee", "Deleted", "EventInfo", "LocalizedText", "Registration", "RosterError",
    "RosterSnapshot", "Session", "dump_snapshot", "load_snapshot", "parse_snapshot",
]
