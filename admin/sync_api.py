"""The admin's side of the sync protocol (``sync/wire.py``), under ``/api/sync/v4``.

Kiosks authenticate with their own token (only its SHA-256 is stored). Every failure
is a :class:`~sync.wire.WireError` JSON body with a 4xx/5xx status; nothing is applied
from a request that fails. A scan batch commits in one transaction and is idempotent
on the scan ids, so kiosks retry blindly.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import hmac
import json
import logging
import math
import secrets
import zlib
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import Connection

from admin import db
from admin.auth import csrf_exempt, public
from admin.queries import badge_templates as q_badge
from admin.queries import kiosk_plans
from admin.queries import sync as q_sync
from admin.queries.sync import normalize_code
from admin.replace_times import replace_boot
from admin.scan_chain import ChainBroken, verify_chain
from admin.scan_trust import Verdict, accept_batch
from admin.security import LoginLimiter
from admin.sync_roster import RosterVersions, roster_for
from sync.bounds import time_in_range
from sync.clock import Anchor, Placed, anchor_of, place, wall_offset
from sync.openapi import DOCUMENT_PATH, openapi_document
from sync.scans import ScanRecord
from sync.timekeeping import utc_now
from sync.wire import (
    BASE_PATH,
    CLOCK_OFFSET_MAX,
    MAX_BODY_BYTES,
    PROTOCOL,
    ClockSample,
    EnrollRequest,
    EnrollResponse,
    Heartbeat,
    HeartbeatReply,
    Quarantined,
    ScanBatch,
    ScanReceipt,
    parse,
)
from sync.words import Bilingual

log = logging.getLogger(__name__)

bp = Blueprint("sync_api", __name__, url_prefix=BASE_PATH)
VERSIONS = "bramka_roster_versions"
ENROLL_LIMITER = "bramka_enroll_limiter"
ENROLL_MAX_FAILURES, ENROLL_WINDOW_SECONDS = 10, 15 * 60  # wrong codes per address
MAX_COMPRESSED = 4 * 1024 * 1024

MESSAGES: dict[str, tuple[str, str]] = {
    "bad_request": ("Nieprawidłowe zapytanie.", "The request is malformed."),
    "unauthenticated": ("Kiosk nie jest zarejestrowany w tym panelu.",
                        "This kiosk is not enrolled with this admin."),
    "kiosk_revoked": ("Ten kiosk został wyłączony przez organizatora.",
                      "This kiosk was revoked by the organizers."),
    "enrollment_invalid": ("Kod rejestracji kiosku jest nieprawidłowy, wykorzystany lub "
                           "wygasł.", "The enrollment code is invalid, used or expired."),
    "too_many_attempts": ("Za wiele błędnych kodów rejestracji z tego adresu. Spróbuj za "
                          "kilka minut.", "Too many wrong enrollment codes from this address. "
                          "Try again in a few minutes."),
    "protocol_unsupported": ("Oprogramowanie kiosku jest niezgodne z panelem: zaktualizuj je.",
                             "The kiosk's software does not match this admin: update it."),
    "too_large": ("Zapytanie jest za duże.", "The request is too large."),
    "chain_broken": ("Zapis skanów kiosku został zmieniony, skrócony lub przestawiony: "
                     "wysyłanie wstrzymane do wyjaśnienia.", "The kiosk's record of scans was "
                     "changed, cut or reordered: uploads stop until this is explained."),
    "clock_invalid": ("Zegar kiosku podaje niemożliwy czas.",
                      "The kiosk's clock gives an impossible time."),
    "server_error": ("Błąd serwera.", "Server error."),
}


class WireFailure(Exception):
    def __init__(self, status: int, code: str, detail: Any = None) -> None:
        super().__init__(code)
        self.status, self.code, self.detail = status, code, detail


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def enrollment_token(secret_key: str, code: str, request_id: str) -> str:
    """The token an enrollment hands out. Without a request id, a fresh secret. With one,
    the same token for the same request (a keyed hash of code and request id): a request
    the network doubled, or one retried because its reply was lost, gets the token the
    first reply carried, so whichever reply reaches the kiosk works. The key is the
    admin's secret key, shared by all its processes."""
    if not request_id:
        return new_secret()
    message = f"bramka-enroll-token\0{normalize_code(code)}\0{request_id}".encode()
    mac = hmac.new(secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


# -- request and response plumbing --------------------------------------------------------------


def _body(model: type[BaseModel]) -> Any:
    length = request.content_length
    if length is not None and length > MAX_COMPRESSED:
        raise WireFailure(413, "too_large")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_COMPRESSED:
        raise WireFailure(413, "too_large")
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = inflater.decompress(raw, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise WireFailure(400, "bad_request", "body is not valid gzip") from None
        if len(raw) > MAX_BODY_BYTES or inflater.unconsumed_tail:
            raise WireFailure(413, "too_large")
    try:
        parsed = parse(model, raw)
    except ValidationError as exc:
        _refuse_other_protocol(raw)
        detail = [{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()[:5]]
        raise WireFailure(400, "bad_request", detail) from None
    if getattr(parsed, "protocol", PROTOCOL) != PROTOCOL:
        _refuse_other_protocol(raw)
    return parsed


def _unsupported(requested: Any) -> WireFailure:
    return WireFailure(426, "protocol_unsupported",
                       {"supported": [PROTOCOL], "requested": requested})


def _refuse_other_protocol(raw: bytes) -> None:
    """A body that names another protocol version gets 426 with the versions served here.

    Checked only when the body does not validate as ours (or names another version), so a
    good request is parsed once."""
    try:
        document = json.loads(raw)
    except RecursionError:
        raise WireFailure(400, "bad_request", "body is nested too deeply") from None
    except ValueError:
        raise WireFailure(400, "bad_request", "body is not JSON") from None
    if not isinstance(document, dict):
        raise WireFailure(400, "bad_request", "body is not a JSON object")
    protocol = document.get("protocol", PROTOCOL)
    if protocol != PROTOCOL:
        raise _unsupported(protocol)


def _reply(payload: BaseModel | str, status: int = 200) -> Response:
    text = payload if isinstance(payload, str) else payload.model_dump_json()
    data = text.encode()
    headers = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    if len(data) > 1024 and "gzip" in request.headers.get("Accept-Encoding", ""):
        data = gzip.compress(data, 6)
        headers["Content-Encoding"] = "gzip"
    return Response(data, status=status, headers=headers)


def _error(status: int, code: str, detail: Any = None) -> Response:
    pl, en = MESSAGES.get(code, MESSAGES["server_error"])
    body = json.dumps({"error": code, "message": Bilingual(pl, en).to_dict(), "detail": detail},
                      ensure_ascii=False)
    return Response(body, status=status, headers={"Content-Type": "application/json"})


@bp.errorhandler(WireFailure)
def _failure(exc: WireFailure) -> Response:
    return _error(exc.status, exc.code, exc.detail)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, HTTPException):
        code = {404: "bad_request", 405: "bad_request", 413: "too_large"}.get(
            exc.code or 500, "bad_request")
        return _error(exc.code or 400, code, exc.description)
    log.exception("sync request failed")
    return _error(500, "server_error")


def _kiosk(conn: Connection, *, lock: bool = False) -> dict[str, Any]:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer ") or len(auth) > 200:
        raise WireFailure(401, "unauthenticated")
    kiosk = q_sync.kiosk_by_token(conn, hash_token(auth[7:].strip()), lock=lock)
    if kiosk is None:
        raise WireFailure(401, "unauthenticated")
    if kiosk["revoked_at"] is not None:
        raise WireFailure(403, "kiosk_revoked")
    return kiosk


def _versions() -> RosterVersions:
    return current_app.extensions[VERSIONS]


def init_app(app: Any) -> None:
    from pathlib import Path

    app.extensions[VERSIONS] = RosterVersions(Path(app.config["DATA_DIR"]) / "roster-versions")
    # Codes are 40 bits and live 24 h; this keeps guessing from one address hopeless.
    app.extensions[ENROLL_LIMITER] = LoginLimiter(ENROLL_MAX_FAILURES, ENROLL_WINDOW_SECONDS)


# -- endpoints ----------------------------------------------------------------------------------


@bp.post("/enroll")
@public
@csrf_exempt
def enroll() -> Response:
    limiter: LoginLimiter = current_app.extensions[ENROLL_LIMITER]
    keys = [f"enroll:{request.remote_addr}"]
    wait = limiter.blocked_for(keys)
    if wait:
        failure = _error(429, "too_many_attempts", {"retry_after_seconds": math.ceil(wait)})
        failure.headers["Retry-After"] = str(math.ceil(wait))
        return failure
    body: EnrollRequest = _body(EnrollRequest)
    token = enrollment_token(current_app.config["SECRET_KEY"], body.code, body.request_id)
    with db.write() as conn:
        kiosk = q_sync.use_enrollment(conn, body.code, hash_token(token), utc_now(),
                                      body.request_id, body.public_key, body.chain_seq,
                                      body.chain_head)
    if kiosk is None:
        limiter.failed(keys)
        raise WireFailure(400, "enrollment_invalid")
    limiter.succeeded(keys)
    log.info("kiosk %s enrolled (software %s)", kiosk["id"], body.software)
    return _reply(EnrollResponse(kiosk_id=kiosk["id"], token=token, event_id=kiosk["event_id"],
                                 mode=kiosk["mode"], room=kiosk["room"] or "",
                                 name=kiosk["name"], server_time=utc_now()))


@bp.post("/scans")
@public
@csrf_exempt
def upload_scans() -> Response:
    received = utc_now()
    batch: ScanBatch = _body(ScanBatch)
    offset = _checked_offset(batch.clock, received)
    try:
        with db.write() as conn:
            verdict, kiosk = _store_batch(conn, batch, received, offset)
    except ChainBroken as exc:
        with db.write() as conn:
            q_sync.record_chain_problem(conn, exc.kiosk_id, exc.brk.describe(), received)
        log.error("kiosk %s: scan chain broken at %s; upload refused", exc.kiosk_id,
                  exc.brk.describe())
        raise WireFailure(409, "chain_broken", {"seq": exc.brk.seq, "scan": exc.brk.scan_id,
                                                "problem": exc.brk.problem}) from None
    if verdict.quarantined:
        log.warning("kiosk %s: %d scans quarantined (%s)", kiosk["id"],
                    len(verdict.quarantined), ", ".join(sorted(set(verdict.quarantined.values()))))
    return _reply(ScanReceipt(
        stored=verdict.stored, server_time=utc_now(),
        quarantined=[Quarantined(id=i, reason=r)  # type: ignore[arg-type]
                     for i, r in verdict.quarantined.items()]))


def _store_batch(conn: Connection, batch: ScanBatch, received: datetime, offset: timedelta
                 ) -> tuple[Verdict, dict[str, Any]]:
    """Verify the batch's chain, place, judge and store it: one transaction."""
    kiosk = _kiosk(conn, lock=True)
    verify_chain(conn, kiosk, batch.scans, batch.head_signature, received)
    q_sync.save_anchor(conn, kiosk["id"], anchor_of(batch.clock, received),
                       on_reanchor=functools.partial(replace_boot, conn, kiosk["id"]))
    anchors = q_sync.anchors(conn, kiosk["id"], {s.boot_id for s in batch.scans})
    records, times, estimated = [], {}, set()
    for scan in batch.scans:
        record = scan if scan.kiosk_id == kiosk["id"] else scan.model_copy(
            update={"kiosk_id": kiosk["id"]})
        records.append(record)
        placed = _placed(record, anchors, offset)
        times[record.id] = placed.corrected_time
        if placed.estimated:
            estimated.add(record.id)
    verdict = accept_batch(conn, kiosk, records, times, estimated, received)
    q_sync.touch(conn, kiosk["id"], received, int(offset.total_seconds() * 1000))
    return verdict, kiosk


def _checked_offset(sample: ClockSample, received: datetime) -> timedelta:
    """The kiosk's wall-clock offset; a sample no real clock can give is refused."""
    try:
        offset = wall_offset(sample, received)
    except OverflowError:
        offset = CLOCK_OFFSET_MAX * 2
    if abs(offset) > CLOCK_OFFSET_MAX:
        raise WireFailure(400, "clock_invalid", [{"loc": ["clock", "wall_time"],
                                                  "msg": "wall time impossibly far off"}])
    return offset


def _placed(scan: ScanRecord, anchors: dict[str, Anchor], offset: timedelta) -> Placed:
    """The scan's time on the server's clock; a wall time so far off that it cannot be
    placed (or lands outside the calendar) refuses the batch."""
    try:
        placed: Placed | None = place(scan, anchors, offset)
    except OverflowError:
        placed = None
    if placed is None or not time_in_range(placed.corrected_time):
        raise WireFailure(400, "bad_request", [{"loc": ["scans", scan.id, "wall_time"],
                                                "msg": "time out of range"}])
    return placed


@bp.get("/roster")
@public
@csrf_exempt
def roster() -> Response:
    cursor = request.args.get("cursor", "")[:64]
    with db.read() as conn:
        kiosk = _kiosk(conn)
        if kiosk["event_id"] is None:
            raise WireFailure(400, "bad_request", "this kiosk is not assigned to an event")
        snapshot = roster_for(_versions(), conn, kiosk["event_id"], cursor)
    return _reply(snapshot)


@bp.get("/badge-images/<sha256>")
@public
@csrf_exempt
def badge_image(sha256: str) -> Response:
    """An image of the kiosk's event's badge template, by its SHA-256 (immutable)."""
    with db.read() as conn:
        kiosk = _kiosk(conn)
        found = (q_badge.get_image(conn, kiosk["event_id"], sha256)
                 if kiosk["event_id"] is not None and len(sha256) == 64 else None)
    if found is None:
        raise WireFailure(404, "bad_request", f"no badge image {sha256[:64]}")
    media_type, data = found
    return Response(data, mimetype=media_type,
                    headers={"Cache-Control": "private, max-age=31536000, immutable"})


@bp.post("/heartbeat")
@public
@csrf_exempt
def heartbeat() -> Response:
    received = utc_now()
    beat: Heartbeat = _body(Heartbeat)
    _checked_offset(beat.clock, received)
    with db.write() as conn:
        kiosk = _kiosk(conn, lock=True)
        q_sync.save_anchor(conn, kiosk["id"], anchor_of(beat.clock, received),
                           on_reanchor=functools.partial(replace_boot, conn, kiosk["id"]))
        offset_ms = int(_checked_offset(beat.clock, received).total_seconds() * 1000)
        q_sync.record_health(conn, kiosk["id"], beat.health, received, offset_ms)
        q_sync.record_results(conn, kiosk["id"], beat.results)
        commands = q_sync.deliver_commands(conn, kiosk["id"])
        plan = kiosk_plans.plan_of(conn, kiosk)
    return _reply(HeartbeatReply(server_time=utc_now(), commands=commands, plan=plan))


# A kiosk of another protocol version calls paths of its own version (``/api/sync/v2/...``):
# it is told which versions this admin serves (426), not sent an HTML 404.
other_versions = Blueprint("sync_versions", __name__, url_prefix=BASE_PATH.rsplit("/", 1)[0])


@other_versions.route("/v<int:version>/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
@public
@csrf_exempt
def other_version(version: int, rest: str) -> Response:
    if version == PROTOCOL:  # our own version: a wrong method on a real path, or no path
        allowed = sorted({m for rule in current_app.url_map.iter_rules()
                          if rule.rule == request.path and rule.endpoint.startswith("sync_api.")
                          for m in rule.methods or ()} - {"HEAD", "OPTIONS"})
        if allowed:
            failure = _error(405, "bad_request", f"use {' or '.join(allowed)}")
            failure.headers["Allow"] = ", ".join(allowed)
            return failure
        return _error(404, "bad_request", f"no such endpoint: {BASE_PATH}/{rest}")
    return _failure(_unsupported(version))  # this blueprint has no error handlers


@cache
def _document_text() -> str:
    return json.dumps(openapi_document(), ensure_ascii=False)


@bp.get(DOCUMENT_PATH)
@public
@csrf_exempt
def openapi() -> Response:
    """The protocol's OpenAPI document (``sync.openapi``): public, no token."""
    return _reply(_document_text())
