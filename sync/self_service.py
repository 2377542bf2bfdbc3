"""Self-service check-in without a QR code (issue 14): the personal code and the seal.

An attendee who forgot the invitation finds themself on the kiosk by surname and proves
it is them with a second factor the organizers choose per event: the **personal code**
printed on the invitation beside the QR (six characters of an alphabet without look-alikes)
or the **e-mail address** they registered with.

The code is derived from the badge's token: a keyed permutation of the attendee id the
token carries (keyed per badge revision, so a replaced badge gets a new code), so two
first badges of one event never share a code (a permutation has no collisions) and
nobody without the event's secret can compute one.

Kiosks never hold codes, e-mail addresses or badge tokens. The roster carries, per
attendee, the **seal**: the signature of their current badge, encrypted with a key
derived from their factor (:func:`seal`). Only the right factor gives back a signature
that the event's public key accepts; the kiosk then rebuilds the badge's token
(``sync.token.assemble``) and checks the person in exactly as if the QR had been shown,
through the same rules, with the same badge printed. A wrong factor gives noise, refused.

Someone holding a kiosk's disk could still try all 148 million codes against one
person's seal (each try an HMAC and a signature check): the seal keeps codes, addresses
and tokens out of the roster and off the screen, not out of a determined thief's hands.
The lockouts at the kiosk (3 failures for one person, 10 on one kiosk in 10 minutes) are
what makes guessing at the screen useless.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import unicodedata
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from . import token as tokens

#: No 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G: what a person can misread on paper or a phone.
ALPHABET = "ACDEFHJKMNPQRTUVWXY3479"
CODE_LENGTH = 6
CODE_SPACE = len(ALPHABET) ** CODE_LENGTH  # 148 035 889
_BITS = 28  # the Feistel network's domain: 2**28 > CODE_SPACE, cycle-walked down to it
_HALF = _BITS // 2
_ROUNDS = 6
SEAL_LEN = 86  # 64 bytes of signature in unpadded base64

Factor = Literal["code", "email"]
FACTORS: tuple[Factor, ...] = ("code", "email")
FACTOR_WORDS: dict[str, tuple[str, str]] = {
    "code": ("kod osobisty z zaproszenia", "the personal code from the invitation"),
    "email": ("adres e-mail podany przy rejestracji", "the e-mail address used to register"),
}


class SelfService(BaseModel):
    """What a kiosk needs for lookup without a QR: on or off, the factor, the hash key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    factor: Factor = "code"
    # hex of 32 bytes: the key of every seal in this roster
    hash_key: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")


def _round(key: bytes, number: int, half: int) -> int:
    digest = hashlib.blake2b(number.to_bytes(1, "big") + half.to_bytes(4, "big"),
                             key=key[:64], digest_size=4).digest()  # a keyed PRF, fast
    return int.from_bytes(digest, "big") & ((1 << _HALF) - 1)


def _permute(key: bytes, value: int) -> int:
    """A keyed bijection of [0, 2**28) (a balanced Feistel network)."""
    left, right = value >> _HALF, value & ((1 << _HALF) - 1)
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    return (left << _HALF) | right


@functools.lru_cache(maxsize=1 << 17)  # a roster is built again after every change
def code_for_id(secret: bytes, attendee_id: int, revision: int = 1) -> str:
    """The personal code of ``attendee_id``'s badge ``revision``: a keyed bijection of
    [0, CODE_SPACE) by cycle walking (permute again while outside the code space), in
    :data:`ALPHABET`. A replaced badge (revision n+1) has a new code, so the old
    invitation's code stops working as the old QR does."""
    if not 0 <= attendee_id < CODE_SPACE:
        raise ValueError(f"attendee id {attendee_id} is beyond the personal codes' range")
    key = secret if revision == 1 else hmac.new(secret, f"revision:{revision}".encode(),
                                                hashlib.sha256).digest()
    value = _permute(key, attendee_id)
    while value >= CODE_SPACE:
        value = _permute(key, value)
    chars = []
    for _ in range(CODE_LENGTH):
        value, digit = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def personal_code(secret: bytes, token: str) -> str:
    """The code printed beside the QR of ``token`` (its attendee's and revision's)."""
    claim = tokens.parse_unverified(token)[0]
    return code_for_id(secret, claim.attendee_id, claim.revision)


def format_code(code: str) -> str:
    """``ABC-123``: easier to read aloud and to type."""
    return f"{code[:3]}-{code[3:]}"


def normalize_code(text: str) -> str:
    """What a person typed, as a code: upper case, without spaces and dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -\u00a0\t")


def normalize_email(text: str) -> str:
    """An address as typed or registered: trimmed, NFC, lower case (a kiosk's keyboard
    and a registration form may differ in case; nobody runs case-sensitive mailboxes)."""
    return unicodedata.normalize("NFC", text.strip()).lower()


def _keystream(hash_key: str, factor: Factor, value: str, attendee_id: int,
               revision: int) -> bytes:
    normal = normalize_code(value) if factor == "code" else normalize_email(value)
    key = hmac.new(bytes.fromhex(hash_key),
                   f"{factor}:{attendee_id}:{revision}:{normal}".encode(), hashlib.sha256)
    return hashlib.sha512(key.digest()).digest()  # 64 bytes: one signature's length


def seal(hash_key: str, factor: Factor, value: str, attendee_id: int, revision: int,
         token: str) -> str:
    """The roster's seal of ``token`` (the attendee's current badge) under their factor's
    ``value``: its signature XOR a keystream of the factor (base64, 86 characters)."""
    signature = tokens.parse_unverified(token)[2]
    stream = _keystream(hash_key, factor, value, attendee_id, revision)
    sealed = bytes(a ^ b for a, b in zip(signature, stream, strict=True))
    return base64.urlsafe_b64encode(sealed).decode("ascii").rstrip("=")


def unseal(hash_key: str, factor: Factor, typed: str, event_id: int, attendee_id: int,
           revision: int, sealed: str) -> str | None:
    """The badge token ``typed`` opens, or None for an empty input or a damaged seal. A
    wrong factor gives a token whose signature is noise: ``sync.token.verify`` (the scan
    path) refuses it."""
    if not typed.strip() or not hash_key or len(sealed) != SEAL_LEN:
        return None
    try:
        raw = base64.urlsafe_b64decode(sealed + "==")
    except (ValueError, binascii.Error):
        return None
    stream = _keystream(hash_key, factor, typed, attendee_id, revision)
    signature = bytes(a ^ b for a, b in zip(raw, stream, strict=True))
    return tokens.assemble(event_id, attendee_id, revision, signature)


def hash_key_of(secret: bytes) -> str:
    """The roster's seal key, derived from the event's secret (the codes' key is not
    sent: a kiosk can open a seal with a code but cannot make codes)."""
    return hmac.new(secret, b"bramka self-service seal key", hashlib.sha256).hexdigest()
