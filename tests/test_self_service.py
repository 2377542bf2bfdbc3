"""Self-service without a QR (issue 14): the personal code, the seal, the surname lookup and
the lockouts of a kiosk, on real SQLite stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from support import NOW, SELF_SECRET, personal_code_of, token_for, with_self_service

from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from kiosk.self_service import (
    KIOSK_FAILURES,
    KIOSK_PAUSE,
    MAX_MATCHES,
    PERSON_FAILURES,
    SelfServiceUnavailable,
    SurnameIndex,
)
from sync import token as tokens
from sync.roster import Attendee, RosterSnapshot
from sync.self_service import (
    ALPHABET,
    CODE_LENGTH,
    code_for_id,
    format_code,
    hash_key_of,
    normalize_code,
    personal_code,
    seal,
    unseal,
)

# -- the personal code --------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(secret=st.binary(min_size=32, max_size=32))
def test_ten_thousand_attendees_never_share_a_code(secret: bytes) -> None:
    codes = [code_for_id(secret, attendee_id) for attendee_id in range(1, 10_001)]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == CODE_LENGTH and set(c) <= set(ALPHABET) for c in codes)


@given(secret=st.binary(min_size=32, max_size=32),
       attendee_id=st.integers(min_value=0, max_value=2**27))
def test_the_code_is_derived_from_the_token_deterministically(secret: bytes,
                                                             attendee_id: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes(32))
    token = tokens.issue(key, 7, attendee_id, 3)
    assert personal_code(secret, token) == code_for_id(secret, attendee_id, 3)
    assert personal_code(secret, token) == personal_code(secret, token)


def test_the_alphabet_has_no_look_alikes() -> None:
    assert not set("0O1IL2Z5S8B6G") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)


def test_another_event_has_other_codes() -> None:
    other = os.urandom(32)
    same = sum(code_for_id(SELF_SECRET, i) == code_for_id(other, i) for i in range(1000))
    assert same < 5


@pytest.mark.parametrize("typed", ["ACD-EFH", "acd efh", " acdefh ", "AcD-eFh"])
def test_a_code_is_typed_in_any_case_with_or_without_the_dash(typed: str) -> None:
    assert normalize_code(typed) == "ACDEFH"


# -- the seal -----------------------------------------------------------------------------------


def test_only_the_factor_opens_the_seal(event_key: Ed25519PrivateKey) -> None:
    hash_key = hash_key_of(SELF_SECRET)
    token = token_for(event_key, 2, revision=2)
    code = code_for_id(SELF_SECRET, 2)
    sealed = seal(hash_key, "code", code, 2, 2, token)
    assert token not in sealed and code not in sealed
    assert unseal(hash_key, "code", format_code(code).lower(), 7, 2, 2, sealed) == token
    wrong = unseal(hash_key, "code", code_for_id(SELF_SECRET, 3), 7, 2, 2, sealed)
    assert wrong is not None and wrong != token
    with pytest.raises(tokens.BadSignature):
        tokens.verify(wrong, event_key.public_key(), 7)
    assert unseal(hash_key, "code", "", 7, 2, 2, sealed) is None
    assert unseal(hash_key, "code", code, 7, 2, 2, sealed[:-1]) is None  # damaged


def test_an_email_opens_its_seal_in_any_case(event_key: Ed25519PrivateKey) -> None:
    hash_key = hash_key_of(SELF_SECRET)
    token = token_for(event_key, 1)
    sealed = seal(hash_key, "email", "Anna.Kowalska@MOPS.krakow.pl", 1, 1, token)
    assert unseal(hash_key, "email", " anna.kowalska@mops.krakow.pl ", 7, 1, 1, sealed) == token
    assert unseal(hash_key, "email", "anna.kowalska@mops.krakow.p", 7, 1, 1, sealed) != token


# -- the surname lookup -------------------------------------------------------------------------


PEOPLE = [(1, "Anna", "Kowalska", "MOPS Kraków"), (2, "Łukasz", "Wójcik", "GOPS w Gdowie"),
          (5, "Katarzyna", "Cecuga-Nowak", "MOPS w Krakowie"), (6, "Jan", "Wójcik", ""),
          (7, "Li", "Xu", "PCPR")]


@pytest.mark.parametrize(("typed", "found"), [
    ("wojcik", [6, 2]),  # no Polish letters needed; both Wójciks, by first name
    ("WÓJCIK", [6, 2]),
    ("wojick", [6, 2]),  # one swap forgiven
    ("kowalsak", [1]),
    ("nowak", [5]),  # one part of a compound surname
    ("cecuga-nowak", [5]),
    ("cecuga nowak", [5]),
    ("xu", [7]),  # short surnames work, typo-free
    ("woj", []),  # no listing by prefix
    ("wo", []),
    ("w", []),
    ("", []),
    ("kowal", []),
    ("xy", []),  # a short surname forgives no typo
])
def test_only_the_whole_surname_finds_people(typed: str, found: list[int]) -> None:
    assert [m.attendee_id for m in SurnameIndex(PEOPLE).find(typed).matches] == found


def test_a_very_common_surname_lists_nobody() -> None:
    many = [(i, f"Osoba{i}", "Nowak", "") for i in range(MAX_MATCHES + 1)]
    found = SurnameIndex(many).find("nowak")
    assert found.too_many and found.matches == ()
    assert len(SurnameIndex(many[:MAX_MATCHES]).find("nowak").matches) == MAX_MATCHES


def test_a_match_carries_no_surname_and_no_address() -> None:
    [match] = SurnameIndex(PEOPLE).find("kowalska").matches
    assert set(match.__slots__) == {"attendee_id", "first_name", "institution"}


# -- a kiosk's desk -----------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_runtime(data: Path, clock: Clock) -> KioskRuntime:
    runtime = KioskRuntime(load_settings(None, {
        "BRAMKA_KIOSK__DATA_DIR": str(data), "BRAMKA_PRINTER__BACKEND": "none",
        "BRAMKA_SYNC__ADMIN_URL": "http://127.0.0.1:9/"}))  # an admin that never answers
    runtime.checkin.clock = clock
    runtime.self_service.clock = clock
    return runtime


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def kiosk(tmp_path: Path, roster: RosterSnapshot, event_key: Ed25519PrivateKey,
          clock: Clock) -> Iterator[KioskRuntime]:
    runtime = make_runtime(tmp_path / "kiosk", clock)
    runtime.checkin.apply_roster(with_self_service(roster, event_key))
    yield runtime
    runtime.stop()


def test_the_right_code_checks_in_as_a_scan_would(kiosk: KioskRuntime) -> None:
    desk = kiosk.self_service
    [match] = desk.lookup("Wojcik").matches
    result = desk.confirm(match.attendee_id, personal_code_of(2, 2).lower())
    assert result.refused is None and result.outcome is not None
    scan = result.outcome.scan
    assert (scan.result, scan.admitted, scan.source, scan.attendee_id, scan.badge_revision) == (
        "ok", True, "self_service", 2, 2)
    assert result.outcome.decision.print_badge  # the same badge as for the QR
    again = desk.confirm(2, personal_code_of(2, 2))
    assert again.outcome is not None and again.outcome.scan.result == "already_checked_in"


def test_a_replaced_badge_has_a_new_code_and_the_old_one_stops_working(
        kiosk: KioskRuntime) -> None:
    """Łukasz's badge was replaced (revision 2): the code of the first invitation, which
    may have been lost or stolen with it, opens nothing."""
    assert personal_code_of(2, 1) != personal_code_of(2, 2)
    assert kiosk.self_service.confirm(2, personal_code_of(2, 1)).refused == "wrong"
    assert kiosk.self_service.confirm(2, personal_code_of(2, 2)).outcome is not None


def test_an_empty_answer_is_no_attempt(kiosk: KioskRuntime) -> None:
    for _ in range(PERSON_FAILURES + 1):
        assert kiosk.self_service.confirm(1, "   ").refused == "wrong"
    assert kiosk.self_service.paused_until() is None


def test_a_wrong_code_is_refused_and_records_no_scan(kiosk: KioskRuntime) -> None:
    before = kiosk.store.reader.count_scans()
    result = kiosk.self_service.confirm(2, personal_code_of(1))  # another person's code
    assert (result.refused, result.outcome) == ("wrong", None)
    assert kiosk.store.reader.count_scans() == before


def test_a_cancelled_person_cannot_check_in(kiosk: KioskRuntime) -> None:
    assert kiosk.self_service.lookup("wisniewska").matches == ()  # Zofia, cancelled
    assert kiosk.self_service.confirm(3, personal_code_of(3)).refused == "unknown"


def test_three_wrong_codes_for_one_person_pause_the_kiosk_across_a_restart(
        tmp_path: Path, kiosk: KioskRuntime, clock: Clock) -> None:
    desk = kiosk.self_service
    for _ in range(PERSON_FAILURES - 1):
        assert desk.confirm(1, "AAAAAA").refused == "wrong"
        assert desk.paused_until() is None
    assert desk.confirm(1, "AAAAAA").refused == "wrong"
    until = desk.paused_until()
    assert until == clock.now + KIOSK_PAUSE
    with pytest.raises(SelfServiceUnavailable) as caught:
        desk.lookup("kowalska")
    assert caught.value.reason == "paused"
    assert any(w["code"] == "self_service_paused" for w in kiosk.status()["warnings"])
    assert kiosk._health()["self_service_paused"] is True
    kiosk.stop()
    again = make_runtime(tmp_path / "kiosk", clock)  # pulling the plug resets nothing
    try:
        assert again.self_service.paused_until() == until
        clock.now += KIOSK_PAUSE + timedelta(seconds=1)
        assert again.self_service.paused_until() is None
        assert again.self_service.confirm(1, personal_code_of(1)).outcome is not None
    finally:
        again.stop()


def test_ten_wrong_codes_on_one_kiosk_pause_it(kiosk: KioskRuntime, clock: Clock,
                                               roster: RosterSnapshot) -> None:
    desk = kiosk.self_service
    people = [a.id for a in roster.attendees if a.status == "active"]
    revisions = {a.id: a.badge_revision for a in roster.attendees}
    for n in range(KIOSK_FAILURES):
        assert desk.paused_until() is None, n
        desk.confirm(people[n % len(people)], "AAAAAA")
        clock.now += timedelta(seconds=50)  # no person reaches three within the window
        if n % len(people) == len(people) - 1:
            clock.now += timedelta(minutes=11)  # ... and no ten within one either, yet
    assert desk.paused_until() is None
    clock.now += timedelta(minutes=11)
    # Now quickly: two wrong codes for a person, then their right one (which clears that
    # person's count, not the kiosk's), person after person.
    failures = 0
    for person in people * 3:
        for _ in range(2):
            if failures == KIOSK_FAILURES:
                break
            assert desk.paused_until() is None, failures
            assert desk.confirm(person, "AAAAAA").refused == "wrong"
            failures += 1
        if failures == KIOSK_FAILURES:
            break
        assert desk.confirm(person, personal_code_of(person, revisions[person])).outcome

    assert desk.paused_until() == clock.now + KIOSK_PAUSE


def test_lookup_is_off_when_the_event_does_not_offer_it(tmp_path: Path, roster: RosterSnapshot,
                                                        clock: Clock) -> None:
    runtime = make_runtime(tmp_path / "plain", clock)
    try:
        runtime.checkin.apply_roster(roster)
        with pytest.raises(SelfServiceUnavailable) as caught:
            runtime.self_service.lookup("kowalska")
        assert caught.value.reason == "off"
        assert runtime.self_service.state()["offered"] is False
    finally:
        runtime.stop()


def test_a_room_kiosk_offers_no_lookup(kiosk: KioskRuntime) -> None:
    kiosk.checkin.settings = kiosk.checkin.settings.model_copy(
        update={"mode": "room", "room": "Sala 101"})
    with pytest.raises(SelfServiceUnavailable) as caught:
        kiosk.self_service.lookup("kowalska")
    assert caught.value.reason == "off"


def test_a_seal_that_is_not_a_signature_of_the_roster_is_refused(
        kiosk: KioskRuntime, roster: RosterSnapshot, event_key: Ed25519PrivateKey) -> None:
    """A roster of another key (a hostile admin copy): the code opens something, but no
    badge this event's key signed."""
    forger = tokens.generate_key()
    forged = with_self_service(roster, forger)
    good_keys = kiosk.store.reader.event().public_keys  # type: ignore[union-attr]
    forged = forged.model_copy(update={"event": forged.event.model_copy(
        update={"public_keys": good_keys}), "cursor": "c2"})
    kiosk.checkin.apply_roster(forged)
    assert kiosk.self_service.confirm(1, personal_code_of(1)).refused == "wrong"


def test_seals_travel_through_the_roster_file(roster: RosterSnapshot,
                                              event_key: Ed25519PrivateKey) -> None:
    sealed = with_self_service(roster, event_key)
    again = RosterSnapshot.model_validate_json(sealed.model_dump_json())
    assert again == sealed and again.event.self_service is not None
    with pytest.raises(ValueError):
        Attendee(id=1, first_name="A", last_name="B", seal="not a seal")


def test_parallel_guesses_get_no_more_tries_than_the_limit(kiosk: KioskRuntime) -> None:
    import threading

    refused: list[str] = []
    paused: list[str] = []
    start = threading.Barrier(20)

    def guess() -> None:
        start.wait()
        try:
            refused.append(str(kiosk.self_service.confirm(1, "AAAAAA").refused))
        except SelfServiceUnavailable as exc:
            paused.append(exc.reason)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert refused == ["wrong"] * PERSON_FAILURES
    assert paused == ["paused"] * (20 - PERSON_FAILURES)
    rows = kiosk.store.reader.db.execute("SELECT count(*) FROM self_service_attempts").fetchone()
    assert rows[0] == PERSON_FAILURES


def test_the_pages_answer_bad_requests_with_words_not_errors(kiosk: KioskRuntime) -> None:
    from kiosk.web import create_app

    client = create_app(kiosk, {"TESTING": True, "SECRET_KEY": "t"}).test_client()
    assert client.get("/self/?endpoint=x&surname=kowalska").status_code == 200
    assert client.get("/self/confirm?attendee=1&surname=kowalska&endpoint=1").status_code == 200
    assert client.get("/self/confirm?attendee=abc").status_code == 400
    assert client.get("/self/confirm?attendee=99&surname=kowalska").status_code == 302
    assert client.get("/self/?surname=" + "x" * 5000).status_code == 200
    page = client.get("/self/?surname=kowalska").text
    assert "Anna" in page and "Kowalska</" not in page and "@" not in page
