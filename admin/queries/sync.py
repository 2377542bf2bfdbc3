"""Kiosk enrollment, authentication, clock anchors, health and commands (sync layer)."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from admin.schema import (
    kiosk_clock,
    kiosk_commands,
    kiosk_enrollments,
    kiosks,
    rooms,
    utcnow,
    venues,
)
from sync.bounds import INT32_MAX
from sync.chain import GENESIS
from sync.clock import Anchor, AnchorState, agree, reconcile
from sync.text import fold
from sync.wire import ENROLL_RETRY_MINUTES, BadgePayload, Command, CommandResult, Health

# Crockford's base32 without look-alikes (no I, L, O, U): easy to read out and type.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
ENROLLMENT_VALID = timedelta(hours=24)
ENROLL_RETRY = timedelta(minutes=ENROLL_RETRY_MINUTES)


def normalize_code(code: str) -> str:
    return code.strip().upper().replace("-", "").replace(" ", "").replace("O", "0") \
        .replace("I", "1").replace("L", "1")


def _code_hash(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def new_enrollment(conn: Connection, kiosk_id: str, now: datetime | None = None) -> str:
    """A fresh single-use code for the kiosk (earlier unused codes stop working)."""
    now = now or utcnow()
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    conn.execute(delete(kiosk_enrollments).where(kiosk_enrollments.c.kiosk_id == kiosk_id,
                                                 kiosk_enrollments.c.used_at.is_(None)))
    conn.execute(insert(kiosk_enrollments).values(
        code_hash=_code_hash(code), kiosk_id=kiosk_id, created_at=now,
        expires_at=now + ENROLLMENT_VALID))
    return format_code(code)


def use_enrollment(conn: Connection, code: str, token_hash: str, now: datetime,
                   request_id: str = "", public_key: str = "", chain_seq: int = 0,
                   chain_head: str = GENESIS) -> dict[str, Any] | None:
    """Trade a valid code for the kiosk row, setting its new token; None if not valid.

    A code used a moment ago by a request with the same ``request_id`` is valid again
    (the kiosk never got the reply): the kiosk gets a new token, the lost one stops
    working."""
    row = conn.execute(select(kiosk_enrollments).where(
        kiosk_enrollments.c.code_hash == _code_hash(code))).mappings().first()
    if row is None:
        return None
    request_hash = hashlib.sha256(request_id.encode()).hexdigest() if request_id else None
    if row["used_at"] is None:
        if row["expires_at"] <= now:
            return None
    elif (request_hash is None or row["request_hash"] != request_hash
          or now - row["used_at"] > ENROLL_RETRY):
        return None
    kiosk = conn.execute(select(kiosks).where(kiosks.c.id == row["kiosk_id"])).mappings().first()
    if kiosk is None or kiosk["revoked_at"] is not None:
        return None
    if row["used_at"] is None:
        used = conn.execute(update(kiosk_enrollments).where(
            kiosk_enrollments.c.code_hash == row["code_hash"],
            kiosk_enrollments.c.used_at.is_(None)).values(used_at=now,
                                                          request_hash=request_hash))
        if used.rowcount != 1:  # another request used the code a moment ago
            return None
    # The chain is verified from the head the kiosk has now, with the key it just made.
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk["id"]).values(
        token_hash=token_hash, enrolled_at=now, last_contact_at=now,
        public_key=public_key or None, chain_seq=chain_seq if public_key else None,
        chain_head=chain_head if public_key else None, chain_problem=""))
    return dict(kiosk)


def kiosk_by_token(conn: Connection, token_hash: str, *, lock: bool = False
                   ) -> dict[str, Any] | None:
    """The kiosk with this token. ``lock`` (for requests that write) holds its row until
    the transaction ends on PostgreSQL, so two requests of one kiosk (a batch and its
    retry, or two batches in flight) apply one after the other."""
    stmt = select(kiosks).where(kiosks.c.token_hash == token_hash)
    if lock and conn.dialect.name == "postgresql":
        # FOR NO KEY UPDATE: rows that only point at the kiosk (a help-desk reprint
        # command) can still be inserted meanwhile; FOR UPDATE blocked their foreign-key
        # check and deadlocked with a walk-in holding the presence lock.
        stmt = stmt.with_for_update(key_share=True)
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row else None


def revoke(conn: Connection, kiosk_id: str) -> None:
    """The kiosk is refused at its next contact (and wipes its roster then)."""
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(revoked_at=utcnow()))
    conn.execute(delete(kiosk_enrollments).where(kiosk_enrollments.c.kiosk_id == kiosk_id,
                                                 kiosk_enrollments.c.used_at.is_(None)))


# -- clocks ---------------------------------------------------------------------------------------


def save_anchor(conn: Connection, kiosk_id: str, sample: Anchor,
                on_reanchor: Callable[[Anchor], None] | None = None) -> AnchorState:
    """Keep the best anchor per boot (``sync.clock.reconcile``): a slow, duplicated or
    impossible request must not replace it; the state after ``sample`` is returned.
    ``on_reanchor(new_anchor)`` is called when later samples replaced a wrong anchor (the
    boot's stored times must move: ``admin.replace_times``)."""
    row = conn.execute(select(kiosk_clock).where(
        kiosk_clock.c.kiosk_id == kiosk_id, kiosk_clock.c.boot_id == sample.boot_id,
    )).mappings().first()
    old = None if row is None else _state(row)
    new = reconcile(old, sample)
    challenger = new.challenger
    values = {"monotonic_ns": new.anchor.monotonic_ns, "server_time": new.anchor.server_time,
              "disputes": new.disputes, "reanchored_ms": _offset(new.reanchored_ms),
              "challenger_monotonic_ns": challenger.monotonic_ns if challenger else None,
              "challenger_server_time": challenger.server_time if challenger else None}
    if old is None:
        conn.execute(insert(kiosk_clock).values(kiosk_id=kiosk_id, boot_id=sample.boot_id,
                                                **values))
    elif new != old:
        conn.execute(update(kiosk_clock).where(
            kiosk_clock.c.kiosk_id == kiosk_id, kiosk_clock.c.boot_id == sample.boot_id,
        ).values(**values))
        if on_reanchor is not None and not agree(old.anchor, new.anchor):
            on_reanchor(new.anchor)
    return new


def _state(row: Any) -> AnchorState:
    challenger = None
    if row["challenger_monotonic_ns"] is not None and row["challenger_server_time"]:
        challenger = Anchor(row["boot_id"], row["challenger_monotonic_ns"],
                            row["challenger_server_time"])
    return AnchorState(Anchor(row["boot_id"], row["monotonic_ns"], row["server_time"]),
                       row["disputes"], challenger, row["reanchored_ms"])


def anchors(conn: Connection, kiosk_id: str, boot_ids: Iterable[str]) -> dict[str, Anchor]:
    wanted = sorted(set(boot_ids))
    if not wanted:
        return {}
    rows = conn.execute(select(kiosk_clock).where(kiosk_clock.c.kiosk_id == kiosk_id,
                                                  kiosk_clock.c.boot_id.in_(wanted))).mappings()
    return {r["boot_id"]: Anchor(r["boot_id"], r["monotonic_ns"], r["server_time"])
            for r in rows}


def record_chain_problem(conn: Connection, kiosk_id: str, problem: str,
                         at: datetime) -> None:
    """A broken scan chain found in an upload (admin.scan_chain): kept until mended."""
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(
        chain_problem=f"{at.isoformat(timespec='seconds')} {problem}"[:300]))


def reanchored_boots(conn: Connection, kiosk_id: str) -> list[dict[str, Any]]:
    """Boots of the kiosk whose anchor later samples showed wrong (times before moved)."""
    rows = conn.execute(select(kiosk_clock.c.boot_id, kiosk_clock.c.reanchored_ms).where(
        kiosk_clock.c.kiosk_id == kiosk_id, kiosk_clock.c.reanchored_ms != 0))
    return [dict(r._mapping) for r in rows]


# -- health and commands ------------------------------------------------------------------------




def _offset(offset_ms: int) -> int:
    """Clamped to the column (about 24.8 days): beyond that it only says "very wrong";
    scans are placed by their boot's monotonic anchor, not by this figure."""
    return max(-INT32_MAX, min(INT32_MAX, offset_ms))


def touch(conn: Connection, kiosk_id: str, at: datetime, offset_ms: int) -> None:
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(
        last_contact_at=at, clock_offset_ms=_offset(offset_ms)))


def record_health(conn: Connection, kiosk_id: str, health: Health, at: datetime,
                  offset_ms: int) -> None:
    conn.execute(update(kiosks).where(kiosks.c.id == kiosk_id).values(
        last_contact_at=at, clock_offset_ms=_offset(offset_ms),
        queue_length=health.unsent_scans,
        printer_state=health.printer, camera_state=health.camera,
        software=health.software, plan_seen=health.plan_revision,
        print_queue=health.print_queue, self_service_paused=health.self_service_paused))


def record_results(conn: Connection, kiosk_id: str, results: list[CommandResult]) -> None:
    for result in results:
        # Ids we issued are ASCII digits within the column ("²".isdigit() is true too).
        if not (result.id.isascii() and result.id.isdigit()) or int(result.id) > INT32_MAX:
            continue
        conn.execute(update(kiosk_commands).where(
            kiosk_commands.c.kiosk_id == kiosk_id, kiosk_commands.c.id == int(result.id),
        ).values(status="done" if result.ok else "failed", error=result.error[:500],
                 reported_at=utcnow()))


def deliver_commands(conn: Connection, kiosk_id: str, limit: int = 20) -> list[Command]:
    """Commands the kiosk has not reported on yet: sent again until it does (a reply can
    be lost on the way); the kiosk runs each id once and only reports it again."""
    rows = conn.execute(select(kiosk_commands).where(
        kiosk_commands.c.kiosk_id == kiosk_id,
        kiosk_commands.c.status.in_(["pending", "delivered"]),
    ).order_by(kiosk_commands.c.id).limit(limit)).mappings().all()
    out = []
    for row in rows:
        payload = json.loads(row["payload"])
        out.append(Command(id=str(row["id"]), kind="reprint",
                           attendee_id=payload["attendee_id"],
                           badge=BadgePayload.model_validate(payload["badge"])))
    fresh = [r["id"] for r in rows if r["status"] == "pending"]
    if fresh:
        conn.execute(update(kiosk_commands).where(kiosk_commands.c.id.in_(fresh)).values(
            status="delivered", delivered_at=utcnow()))
    return out


def create_kiosk(conn: Connection, event_id: int, name: str, mode: str, room: str) -> str:
    """A kiosk the organizers plan to set up; it gets its token when it enrolls."""
    from admin.errors import Invalid

    name = " ".join(name.split())
    if not name:
        raise Invalid("Podaj nazwę kiosku.", "Give the kiosk a name.")
    if mode not in ("entrance", "room"):
        raise Invalid("Nieznany tryb kiosku.", "Unknown kiosk mode.")
    if mode == "room" and not room.strip():
        raise Invalid("Kiosk przy sali potrzebuje nazwy sali.", "A room kiosk needs its room.")
    if mode == "room":
        known = set(conn.execute(select(rooms.c.name).join(venues, venues.c.id == rooms.c.venue_id)
                                 .where(venues.c.event_id == event_id)).scalars())
        if room.strip() not in known:
            raise Invalid(f"W programie wydarzenia nie ma sali „{room.strip()}”.",
                          f"The event's program has no room “{room.strip()}”.")
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(name)))[:40].strip("-") or "kiosk"
    kiosk_id = f"{slug}-{secrets.token_hex(2)}"
    conn.execute(insert(kiosks).values(id=kiosk_id, event_id=event_id, name=name, mode=mode,
                                       room=room.strip() if mode == "room" else ""))
    return kiosk_id
