"""The QR token: round trip, tampering, arbitrary input, key handling."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import token as tokens

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return tokens.generate_key()


@given(
    event=st.integers(0, 2**32 - 1),
    attendee=st.integers(0, 2**32 - 1),
    revision=st.integers(1, 2**16 - 1),
)
@settings(max_examples=200, deadline=None)
def test_round_trip_fits_qr_alphanumeric(key, event, attendee, revision):
    text = tokens.issue(key, event, attendee, revision)
    assert len(text) == tokens.TOKEN_LEN == 120
    assert set(text) <= set(ALPHABET)  # QR alphanumeric mode, no padding
    claim = tokens.verify(text, key.public_key(), event)
    assert claim == tokens.BadgeClaim(event, attendee, revision)


def test_token_carries_no_personal_data(key):
    text = tokens.issue(key, 7, 42, 3)
    raw = base64.b32decode(text)
    assert raw[:11] == bytes([1, 0, 0, 0, 7, 0, 0, 0, 42, 0, 3])
    assert len(raw) == 75


@given(data=st.data())
@settings(max_examples=300, deadline=None)
def test_every_single_character_change_is_rejected(key, data):
    text = tokens.issue(key, data.draw(st.integers(0, 1000)), data.draw(st.integers(0, 10**6)))
    pos = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(
        st.characters(codec="utf-8").filter(lambda c: c != text[pos])
    )
    forged = text[:pos] + replacement + text[pos + 1:]
    with pytest.raises(tokens.TokenError):
        tokens.verify(forged, key.public_key())


def test_every_position_and_every_alphabet_letter_exhaustively(key):
    text = tokens.issue(key, 1, 2, 1)
    pub = key.public_key()
    rejected = 0
    for pos in range(len(text)):
        for ch in ALPHABET:
            if ch == text[pos]:
                continue
            with pytest.raises(tokens.TokenError):
                tokens.verify(text[:pos] + ch + text[pos + 1:], pub)
            rejected += 1
    assert rejected == 120 * 31


@given(st.text(max_size=300))
@settings(max_examples=500, deadline=None)
def test_arbitrary_strings_are_rejected_with_a_typed_error(key, text):
    with pytest.raises(tokens.TokenError):
        tokens.verify(text, key.public_key())


@given(st.text(alphabet=ALPHABET, min_size=120, max_size=120))
@settings(max_examples=300, deadline=None)
def test_well_formed_random_tokens_are_rejected(key, text):
    with pytest.raises(tokens.TokenError) as info:
        tokens.verify(text, key.public_key())
    assert info.value.code == "invalid"


def test_other_key_is_bad_signature(key):
    other = tokens.generate_key()
    text = tokens.issue(other, 1, 5)
    with pytest.raises(tokens.BadSignature):
        tokens.verify(text, key.public_key(), 1)


def test_rotated_keys_accept_either(key):
    old = tokens.generate_key()
    text = tokens.issue(old, 1, 5)
    assert tokens.verify(text, [key.public_key(), old.public_key()], 1).attendee_id == 5


def test_wrong_event_is_reported_as_such(key):
    text = tokens.issue(key, 2, 5)
    with pytest.raises(tokens.WrongEvent) as info:
        tokens.verify(text, key.public_key(), 1)
    assert info.value.code == "wrong_event" and info.value.event_id == 2


def test_lowercase_is_not_a_token(key):
    with pytest.raises(tokens.MalformedToken):
        tokens.verify(tokens.issue(key, 1, 1).lower(), key.public_key())


def test_unsupported_version_is_malformed(key):
    raw = bytearray(base64.b32decode(tokens.issue(key, 1, 1)))
    raw[0] = 2
    with pytest.raises(tokens.MalformedToken, match="version 2"):
        tokens.verify(base64.b32encode(bytes(raw)).decode(), key.public_key())


@pytest.mark.parametrize("args", [(-1, 1, 1), (1, 2**32, 1), (1, 1, 0), (1, 1, 2**16)])
def test_issue_refuses_out_of_range(key, args):
    with pytest.raises(ValueError):
        tokens.issue(key, *args)


def test_key_pem_and_public_text_round_trip(key, tmp_path):
    path = tmp_path / "k.pem"
    path.write_bytes(tokens.private_key_to_pem(key))
    loaded = tokens.load_private_key(path)
    assert tokens.public_key_text(loaded) == tokens.public_key_text(key)
    pub = tokens.parse_public_key(tokens.public_key_text(key))
    assert tokens.verify(tokens.issue(loaded, 3, 4), pub, 3).attendee_id == 4


@pytest.mark.parametrize("bad", ["", "not base64!", base64.b64encode(b"short").decode()])
def test_bad_public_key_text(bad):
    with pytest.raises(ValueError):
        tokens.parse_public_key(bad)


def test_non_pem_private_key(tmp_path):
    with pytest.raises(ValueError, match="PEM"):
        tokens.private_key_from_pem(b"hello")
