"""Tamper-evident scans: a hash chain per kiosk, its head signed by the kiosk's own key.

Every scan a kiosk makes carries ``seq`` (its place in the kiosk's record, 1, 2, ...),
``prev`` (the previous scan's ``chain``; :data:`GENESIS` for the first) and
``chain = sha256(prev "\\n" canonical(scan))``. A scan changed, dropped, duplicated or
moved after the fact breaks a link. Each upload carries an Ed25519 signature over the
batch's last link (:func:`head_message`), made with the key the kiosk generated at
enrollment; the admin keeps its public key, verifies every link on arrival and keeps the
signed heads, so ``bramka admin audit verify`` can check the stored record again later.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .scans import ScanRecord
from .token import public_key_text

__all__ = ["GENESIS", "Break", "chained", "head_valid", "link", "public_key_text",
           "sign_head", "verify_run"]

GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(when: datetime) -> int:
    delta = when.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def canonical(scan: ScanRecord | Any) -> bytes:
    """The bytes a link covers: every field of the scan but the link itself and the kiosk
    id (the admin files scans under the id it enrolled the kiosk with; the chain is the
    kiosk's own and its head signature names that id), times as integer microseconds."""
    fields = [scan.id, scan.event_id, scan.attendee_id, scan.badge_revision,
              scan.session_id, scan.direction, scan.result, scan.admitted, scan.source,
              _micros(scan.wall_time), scan.monotonic_ns, scan.boot_id, scan.raw, scan.seq]
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def link(prev: str, scan: ScanRecord | Any) -> str:
    """``scan``: a ScanRecord, or anything with its attributes (a stored row read back)."""
    return hashlib.sha256(prev.encode() + b"\n" + canonical(scan)).hexdigest()


def chained(scan: ScanRecord, seq: int, prev: str) -> ScanRecord:
    """``scan`` placed at ``seq`` after ``prev``."""
    placed = scan.model_copy(update={"seq": seq, "prev": prev, "chain": None})
    return placed.model_copy(update={"chain": link(prev, placed)})


def head_message(kiosk_id: str, seq: int, chain: str) -> bytes:
    return f"bramka-chain/1:{kiosk_id}:{seq}:{chain}".encode()


def sign_head(key: Ed25519PrivateKey, kiosk_id: str, seq: int, chain: str) -> str:
    return base64.b64encode(key.sign(head_message(kiosk_id, seq, chain))).decode()


def head_valid(public_key: str, kiosk_id: str, seq: int, chain: str, signature: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key, validate=True))
        key.verify(base64.b64decode(signature, validate=True),
                   head_message(kiosk_id, seq, chain))
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Break:
    """Where a chain does not hold: the scan's seq and id, and what is wrong."""

    seq: int | None
    scan_id: str
    problem: str  # "gap", "reordered", "unlinked", "edited", "unchained", "signature"

    def describe(self) -> str:
        return f"seq {self.seq} (scan {self.scan_id}): {self.problem}"


def verify_run(scans: Iterable[ScanRecord], head_seq: int, head: str) -> Break | None:
    """Check scans that follow the known head ``(head_seq, head)``, in seq order: each
    must come next, point at the link before it and match its own link."""
    seq, prev = head_seq, head
    for scan in scans:
        if scan.seq is None or scan.chain is None or scan.prev is None:
            return Break(scan.seq, scan.id, "unchained")
        if scan.seq != seq + 1:
            return Break(scan.seq, scan.id, "gap" if scan.seq > seq + 1 else "reordered")
        if scan.prev != prev:
            return Break(scan.seq, scan.id, "unlinked")
        if link(prev, scan) != scan.chain:
            return Break(scan.seq, scan.id, "edited")
        seq, prev = scan.seq, scan.chain
    return None
