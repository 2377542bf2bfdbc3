"""The badge QR token: signed, ASCII, no personal data.

Layout of the decoded bytes (big-endian)::

    version  u8   = 1
    event    u32  event id
    attendee u32  attendee id
    revision u16  badge revision (a replaced badge gets n+1)
    signature     64 bytes Ed25519 over DOMAIN + the 11 bytes above

75 bytes are 600 bits, exactly 120 RFC 4648 base32 characters with no padding,
so the text fits QR alphanumeric mode (version 6 at level M) and every character
carries signed bits: any single-character change is rejected.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

VERSION = 1
DOMAIN = b"bramka-badge/1:"
_BODY = struct.Struct(">BIIH")
SIGNATURE_LEN = 64
TOKEN_BYTES = _BODY.size + SIGNATURE_LEN
TOKEN_LEN = 120
_ALPHABET = re.compile(rf"[A-Z2-7]{{{TOKEN_LEN}}}")
MAX_U32 = 2**32 - 1
MAX_U16 = 2**16 - 1


class TokenError(Exception):
    """A token that cannot be accepted. ``code`` is a scan result code."""

    code = "invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedToken(TokenError):
    """Not a Bramka token at all (wrong length, alphabet, version)."""


class BadSignature(TokenError):
    """Well-formed, but the signature does not match any key of the event."""


class WrongEvent(TokenError):
    """A Bramka token for another event."""

    code = "wrong_event"

    def __init__(self, reason: str, event_id: int) -> None:
        super().__init__(reason)
        self.event_id = event_id


@dataclass(frozen=True, slots=True)
class BadgeClaim:
    """What a verified token says: whose badge, for which event, which revision."""

    event_id: int
    attendee_id: int
    revision: int

    def to_dict(self) -> dict[str, int]:
        return {"event": self.event_id, "attendee": self.attendee_id, "revision": self.revision}


def _check_range(name: str, value: int, maximum: int, minimum: int = 0) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise ValueError(f"{name} must be an integer from {minimum} to {maximum}, got {value!r}")


# -- keys -------------------------------------------------------------------------------------


def generate_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the private key is not an Ed25519 key")
    return key


def load_private_key(path: Path) -> Ed25519PrivateKey:
    return private_key_from_pem(Path(path).read_bytes())


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The public key as it travels in rosters and on the command line (base64, 44 chars)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def parse_public_key(text: str) -> Ed25519PublicKey:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("public key is not base64") from None
    if len(raw) != 32:
        raise ValueError(f"public key must be 32 bytes, got {len(raw)}")
    return Ed25519PublicKey.from_public_bytes(raw)


# -- tokens -----------------------------------------------------------------------------------


def issue(key: Ed25519PrivateKey, event_id: int, attendee_id: int, revision: int = 1) -> str:
    """Sign a badge claim and return its 120-character token text."""
    _check_range("event id", event_id, MAX_U32)
    _check_range("attendee id", attendee_id, MAX_U32)
    _check_range("revision", revision, MAX_U16, minimum=1)
    body = _BODY.pack(VERSION, event_id, attendee_id, revision)
    signature = key.sign(DOMAIN + body)
    return base64.b32encode(body + signature).decode("ascii")


def assemble(event_id: int, attendee_id: int, revision: int, signature: bytes) -> str:
    """The token text of a claim and its signature (unverified: :func:`verify` checks it).
    A kiosk rebuilds a person's badge code this way from the roster and a signature it
    could unseal (``sync.self_service``)."""
    _check_range("event id", event_id, MAX_U32)
    _check_range("attendee id", attendee_id, MAX_U32)
    _check_range("revision", revision, MAX_U16, minimum=1)
    if len(signature) != SIGNATURE_LEN:
        raise MalformedToken(f"a signature is {SIGNATURE_LEN} bytes, not {len(signature)}")
    body = _BODY.pack(VERSION, event_id, attendee_id, revision)
    return base64.b32encode(body + signature).decode("ascii")


def parse_unverified(text: str) -> tuple[BadgeClaim, bytes, bytes]:
    """Split a token into its claim, signed body and signature without checking the signature."""
    if not isinstance(text, str) or not _ALPHABET.fullmatch(text):
        raise MalformedToken("not a Bramka badge code")
    raw = base64.b32decode(text)
    body, signature = raw[: _BODY.size], raw[_BODY.size :]
    version, event_id, attendee_id, revision = _BODY.unpack(body)
    if version != VERSION:
        raise MalformedToken(f"unsupported badge code version {version}")
    if revision == 0:
        raise MalformedToken("badge revision 0 is never issued")
    return BadgeClaim(event_id, attendee_id, revision), body, signature


def verify(
    text: str,
    public_keys: Ed25519PublicKey | list[Ed25519PublicKey],
    event_id: int | None = None,
) -> BadgeClaim:
    """Return the claim of a valid token or raise a :class:`TokenError`.

    ``public_keys`` may hold several keys (an event that rotated its key). When
    ``event_id`` is given, a token of another event raises :class:`WrongEvent`.
    """
    claim, body, signature = parse_unverified(text)
    if event_id is not None and claim.event_id != event_id:
        raise WrongEvent(
            f"badge of event {claim.event_id}, this is event {event_id}", claim.event_id
        )
    keys = public_keys if isinstance(public_keys, list) else [public_keys]
    for key in keys:
        try:
            key.verify(signature, DOMAIN + body)
        except InvalidSignature:
            continue
        return claim
    raise BadSignature("signature does not match this event's key")
