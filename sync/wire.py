"""The sync protocol between kiosks and the admin (HTTP + JSON, gzip both ways).

Version 5, under ``/api/sync/v5``. Every request but enrollment carries the kiosk's own
token (``Authorization: Bearer ...``). Order of a contact: upload scans first (batches of
at most :data:`MAX_BATCH`), then pull the roster since the server-issued cursor, then a
heartbeat that reports health and fetches commands.

=====================  ===========================  ===================================
endpoint               request body                 response body
=====================  ===========================  ===================================
POST /enroll           :class:`EnrollRequest`       :class:`EnrollResponse`
POST /scans            :class:`ScanBatch`           :class:`ScanReceipt`
GET  /roster?cursor=   (none)                       ``sync.roster.RosterSnapshot``
GET  /badge-images/H   (none)                       the image's bytes (PNG or JPEG)
POST /heartbeat        :class:`Heartbeat`           :class:`HeartbeatReply`
=====================  ===========================  ===================================

Errors are :class:`WireError` bodies with a 4xx/5xx status; ``code`` is one of
:data:`ERROR_CODES`. A kiosk whose protocol is not served gets ``protocol_unsupported``
(HTTP 426) and says so on its status; a revoked kiosk gets ``kiosk_revoked`` (403) and
wipes its roster.

Bodies are parsed strictly (:func:`parse`): ``"1"`` is not 1 and ``"true"`` is not true.

Version 2 (issue 10) over version 1: strict types; monotonic readings bounded by
:data:`sync.bounds.UPTIME_MAX_NS` and clock samples whose wall time is further than
:data:`CLOCK_OFFSET_MAX` from the admin's are refused (``clock_invalid``); the scan reply
names the scans the admin keeps in quarantine (``ScanReceipt.quarantined``, reasons in
``sync.rules``): the kiosk takes them off its outbox like stored ones, as the admin holds
them, and keeps the reason.

Version 3 (issue 12) over version 2: the roster (``bramka.roster/2``) carries the event's
badge template (``sync.badge_template``) when it changed, and the template names its
images by SHA-256; a kiosk downloads an image it lacks from ``GET /badge-images/<sha256>``
(the bytes exactly, checked against the hash), so each image crosses the network once and
the template only with a roster change. A kiosk of version 2 would not understand the
roster, so it gets 426 ``protocol_unsupported`` with ``detail.supported: [3]``: update it.

Version 4 (issue 13) over version 3: the heartbeat reply carries the kiosk's plan
(``sync.plan.KioskPlan``: mode, room, direction, pinned session, language, result time,
staff PIN hash, help desk, printer profile) as set on the admin's Kiosks page, and the
kiosk reports the revision it follows (``Health.plan_revision``), so the admin's plan wins
over the kiosk's local file within one contact. A version-3 kiosk would ignore the plan
(and refuse the unknown field), so it gets 426 with ``detail.supported: [4]``.

Version 5 (issue 14) over version 4: self-service without a QR. The roster
(``bramka.roster/3``) carries the event's ``self_service`` settings and each attendee's
``seal`` (``sync.self_service``); scans may have the source ``self_service``; the
kiosk's health says whether its lookup is paused after too many wrong factors
(``Health.self_service_paused``). A version-4 kiosk would refuse the roster's new fields,
so it gets 426 with ``detail.supported: [5]``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .bounds import Count, Nanoseconds, Text, Time
from .plan import KioskPlan
from .rules import QuarantineReason
from .scans import ScanRecord
from .words import BilingualMixin

PROTOCOL = 5
BASE_PATH = f"/api/sync/v{PROTOCOL}"
MAX_BATCH = 500
MAX_BODY_BYTES = 8 * 1024 * 1024  # after gunzip
ENROLL_PREFIX = "BRAMKA-ENROLL:"
ENROLL_RETRY_MINUTES = 10
STATUS_MAX = 64  # characters of a camera or printer status in a heartbeat
CLOCK_OFFSET_MAX = timedelta(days=60 * 366)
"""The furthest a kiosk's wall clock may be from the admin's. A Pi has no battery clock and
may boot at the Unix epoch (1970), so the bound is wide; beyond it a sample is refused."""

ErrorCode = Literal[
    "bad_request",          # malformed JSON, schema violation, bad gzip
    "unauthenticated",      # no or unknown token
    "kiosk_revoked",        # token was revoked: wipe the roster
    "enrollment_invalid",   # unknown, used or expired enrollment code
    "too_many_attempts",    # too many wrong enrollment codes from this address: wait
    "protocol_unsupported",  # this admin does not speak the kiosk's protocol
    "too_large",            # body or batch over the limits
    "clock_invalid",        # a clock sample no real kiosk clock can give
    "chain_broken",         # a scan changed, dropped or moved, or a bad head signature
    "server_error",
]
ERROR_CODES: tuple[str, ...] = ErrorCode.__args__  # type: ignore[attr-defined]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: bytes | str) -> M:
    """A body of the protocol: JSON types as they are, no coercion (raises ValidationError)."""
    return model.model_validate_json(raw, strict=True)


# An error's words on the wire (sync.words), {"pl": …, "en": …}; no docstring (see
# roster.LocalizedText).
class LocalizedMessage(_Wire, BilingualMixin):
    pl: str
    en: str


class WireError(_Wire):
    error: ErrorCode
    message: LocalizedMessage
    detail: Any = None


class ClockSample(_Wire):
    """The kiosk's clocks at the moment it sent the request.

    The admin pairs ``monotonic_ns`` with its own receive time to anchor every scan of the
    same boot on the server's clock, however wrong the kiosk's wall clock is.
    """

    boot_id: Text = Field(max_length=64)
    monotonic_ns: Nanoseconds
    wall_time: Time


class EnrollRequest(_Wire):
    """``request_id`` is made by the kiosk for one enrollment and sent again with each
    retry: if the reply to the first request was lost, a retry with the same id within
    :data:`ENROLL_RETRY_MINUTES` gets a fresh token instead of "code used"."""

    protocol: int = PROTOCOL
    code: Text = Field(min_length=6, max_length=64)
    software: Text = Field(default="", max_length=64)
    request_id: Text = Field(default="", max_length=64)
    # The kiosk's own Ed25519 public key (raw, base64) and the head of its scan chain now:
    # the admin verifies every later scan and upload against them (sync.chain).
    public_key: Text = Field(default="", max_length=64)
    chain_seq: Count = 0
    chain_head: str = Field(default="0" * 64, pattern=r"^[0-9a-f]{64}$")


class EnrollResponse(_Wire):
    kiosk_id: str
    token: str
    event_id: int
    mode: Literal["entrance", "room"]
    room: str = ""
    name: str = ""
    server_time: AwareDatetime


class ScanBatch(_Wire):
    """``head_signature``: the kiosk's Ed25519 signature over the last scan's link
    (``sync.chain.head_message``), required from a kiosk that enrolled with a key."""

    protocol: int = PROTOCOL
    clock: ClockSample
    scans: list[ScanRecord] = Field(max_length=MAX_BATCH)
    head_signature: Text = Field(default="", max_length=200)


class Quarantined(_Wire):
    id: str
    reason: QuarantineReason


class ScanReceipt(_Wire):
    """Ids the server holds now (new or stored before) as facts, and those it holds in
    quarantine with the reason: the kiosk marks both sent."""

    stored: list[str]
    quarantined: list[Quarantined] = []
    server_time: AwareDatetime


class Health(_Wire):
    camera: Text = Field(default="off", max_length=STATUS_MAX)
    printer: Text = Field(default="off", max_length=STATUS_MAX)
    unsent_scans: Count = 0
    print_queue: Count = 0
    last_scan_at: Time | None = None
    software: Text = Field(default="", max_length=64)
    roster_cursor: Text = Field(default="", max_length=200)
    plan_revision: Count = 0  # the revision of the admin's plan it follows (0: none yet)
    # Self-service lookup paused after too many wrong factors (staff should look).
    self_service_paused: bool = False


class CommandResult(_Wire):
    id: Text = Field(max_length=64)
    ok: bool
    error: Text = Field(default="", max_length=500)


class Heartbeat(_Wire):
    protocol: int = PROTOCOL
    clock: ClockSample
    health: Health
    results: list[CommandResult] = Field(default=[], max_length=100)


class BadgePayload(_Wire):
    name: str
    institution: str = ""
    role: str = "participant"
    token: str


class Command(_Wire):
    id: str
    kind: Literal["reprint"]
    attendee_id: int
    badge: BadgePayload


class HeartbeatReply(_Wire):
    server_time: AwareDatetime
    commands: list[Command] = []
    plan: KioskPlan | None = None  # the kiosk's plan now (sync.plan): follow it
