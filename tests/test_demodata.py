from __future__ import annotations

import csv
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bramka import demodata
from bramka.demodata import Congress, demo_badges, generate_congress, write_registration_csv
from sync import roster, token

START = date(2026, 5, 12)
WARSAW = ZoneInfo("Europe/Warsaw")
POLISH = set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ")


@pytest.fixture(scope="module")
def congress() -> Congress:
    return generate_congress(start=START)


@pytest.fixture(scope="module")
def key():
    return token.generate_key()


def test_same_seed_same_congress_other_seed_other_people(congress: Congress) -> None:
    assert generate_congress(start=START) == congress
    other = generate_congress(seed=7, start=START)
    assert other.sessions == congress.sessions
    assert [p.full_name for p in other.people] != [p.full_name for p in congress.people]


def test_default_start_is_today_in_warsaw() -> None:
    before = datetime.now(WARSAW).date()
    c = generate_congress(attendees=10)
    assert c.starts_on in (before, datetime.now(WARSAW).date())
    assert c.ends_on == c.starts_on + timedelta(days=2)
    assert str(c.starts_on.year) in c.name


@pytest.mark.parametrize("n", [2, 5, 60, 520])
def test_attendee_count_and_ids(n: int) -> None:
    c = generate_congress(attendees=n, start=START)
    assert [p.id for p in c.people] == list(range(1, n + 1))


def test_too_few_attendees() -> None:
    with pytest.raises(ValueError):
        generate_congress(attendees=1, start=START)


def test_fixed_people_have_stable_ids() -> None:
    for seed in (1, 2026, 99):
        c = generate_congress(seed=seed, attendees=100, start=START)
        assert c.person(1).full_name == "Anna Kowalska"
        assert c.person(2).full_name == "Łukasz Wójcik"
        names = [p.full_name for p in c.people]
        assert names.count("Anna Kowalska") == 1
        assert names.count("Łukasz Wójcik") == 1
        assert c.person(1).status == c.person(2).status == "active"
        assert c.person(1).institution == "MOPS Kraków"
        assert c.person(2).email == "lukasz.wojcik@gops.gdow.example"
        mine = {r.session_id for r in c.registrations if r.attendee_id == 1}
        first_workshop = next(s for s in c.sessions if s.category == "workshop")
        assert first_workshop.id in mine and first_workshop.starts_at.date() == START
        assert not [r for r in c.registrations if r.attendee_id == 2]


def test_names_look_polish(congress: Congress) -> None:
    text = "".join(p.full_name for p in congress.people)
    assert POLISH & set(text)
    assert any("-" in p.last_name for p in congress.people)
    assert "Katarzyna Cecuga-Nowak" in {p.full_name for p in congress.people}
    dupes = [n for n, k in Counter(p.full_name for p in congress.people).items() if k > 1]
    assert dupes
    for first, last in ((p.first_name, p.last_name) for p in congress.people):
        if first in demodata.FEMALE_FIRST:
            assert not last.endswith(("ski", "cki")), (first, last)
        else:
            assert not last.endswith(("ska", "cka")), (first, last)


def test_roles_statuses_and_emails(congress: Congress) -> None:
    roles = Counter(p.role for p in congress.people)
    assert roles["speaker"] >= 50
    assert roles["participant"] > 400
    assert all(roles[r] for r in ("organizer", "press", "volunteer", "guest"))
    assert 0 < sum(p.status == "cancelled" for p in congress.people) < 30
    assert 0 < sum(p.badge_revision == 2 for p in congress.people) < 30
    emails = [p.email for p in congress.people]
    assert len(set(emails)) == len(emails)
    assert all(e.isascii() and e.count("@") == 1 and e.endswith(".example") for e in emails)
    assert congress.person(1).email == "a.kowalska@mops.krakow.example"


def test_snapshot_round_trips_and_respects_capacity(congress: Congress, key) -> None:
    snap = congress.to_snapshot([token.public_key_text(key)])
    back = roster.parse_snapshot(roster.dump_snapshot(snap))
    assert back == snap
    assert back.full and back.cursor == "demo"
    assert back.event.help_desk.pl.startswith("Punkt informacyjny")
    assert len(back.attendees) == 520
    counts = Counter(r.session_id for r in back.registrations)
    by_id = {s.id: s for s in back.sessions}
    assert len(set(back.registrations)) == len(back.registrations)
    for sid, count in counts.items():
        s = by_id[sid]
        assert s.registration_required
        assert s.capacity is not None and count <= s.capacity
    bus = next(s for s in back.sessions if "Niepołomice" in s.title)
    assert bus.kind == "side_event" and bus.capacity == 45 and counts[bus.id] == 45
    side = [s for s in back.sessions if s.kind == "side_event"]
    assert len(side) == 4 and all(s.registration_required and s.capacity for s in side)
    workshops = [s for s in congress.sessions if s.category == "workshop"]
    assert workshops and all(25 <= (s.capacity or 0) <= 40 for s in workshops)
    assert any(s.capacity is None and s.room == "Aula Główna" for s in back.sessions)


def test_nobody_is_booked_twice_at_once_or_while_cancelled(congress: Congress) -> None:
    by_id = {s.id: s for s in congress.sessions}
    mine: dict[int, list] = {}
    for r in congress.registrations:
        assert congress.person(r.attendee_id).status == "active"
        mine.setdefault(r.attendee_id, []).append(by_id[r.session_id])
    for sessions in mine.values():
        sessions.sort(key=lambda s: s.starts_at)
        for a, b in zip(sessions, sessions[1:], strict=False):
            assert a.ends_at <= b.starts_at, (a.title, b.title)


def _open_at(congress: Congress, moment: datetime) -> bool:
    return any(s.starts_at <= moment < s.ends_at for s in congress.sessions)


def test_day_one_runs_from_eight_to_eight(congress: Congress) -> None:
    assert all(s.starts_at.utcoffset() == timedelta(0) for s in congress.sessions)
    first = min(s.starts_at for s in congress.sessions)
    assert first == datetime.combine(START, time(8), tzinfo=WARSAW)
    moment = datetime.combine(START, time(8), tzinfo=WARSAW)
    while moment < datetime.combine(START, time(20), tzinfo=WARSAW):
        assert _open_at(congress, moment), moment
        moment += timedelta(minutes=15)
    for day in (START + timedelta(days=1), START + timedelta(days=2)):
        hours = [h for h in range(8, 18)
                 if _open_at(congress, datetime.combine(day, time(h, 30), tzinfo=WARSAW))]
        assert len(hours) >= 7, (day, hours)


def test_times_are_warsaw_local_across_dst() -> None:
    c = generate_congress(attendees=3, start=date(2026, 1, 15))
    assert min(s.starts_at for s in c.sessions).hour == 7  # 08:00 CET
    c = generate_congress(attendees=3, start=date(2026, 7, 15))
    assert min(s.starts_at for s in c.sessions).hour == 6  # 08:00 CEST


def test_demo_badges_verify_as_labelled(congress: Congress, key) -> None:
    badges = demo_badges(congress, key)
    assert badges == demo_badges(congress, key)
    kinds = Counter(b.expected for b in badges)
    assert kinds["forged"] == 5 and kinds["revoked"] == 5
    assert kinds["cancelled"] == sum(p.status == "cancelled" for p in congress.people)
    pub = token.parse_public_key(token.public_key_text(key))
    for b in badges:
        if b.expected == "forged":
            assert b.attendee_id is None
            with pytest.raises(token.BadSignature):
                token.verify(b.token, [pub], event_id=congress.event_id)
            continue
        claim = token.verify(b.token, [pub], event_id=congress.event_id)
        person = congress.person(claim.attendee_id)
        assert claim.attendee_id == b.attendee_id
        if b.expected == "valid":
            assert person.status == "active" and claim.revision == person.badge_revision
        elif b.expected == "revoked":
            assert person.badge_revision == 2 and claim.revision == 1
        else:
            assert person.status == "cancelled"


def _read(path: Path, flavour: str) -> list[dict[str, str]]:
    encoding, delimiter = demodata.CSV_FORMATS[flavour]
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter=delimiter))


@pytest.mark.parametrize("flavour", ["google", "excel_pl", "msforms"])
def test_registration_csv_round_trips(congress: Congress, tmp_path: Path, flavour: str) -> None:
    path = write_registration_csv(congress, tmp_path / f"{flavour}.csv", flavour=flavour)
    rows = _read(path, flavour)
    assert len(rows) == len(congress.people)
    assert {"Imię", "Nazwisko", "Adres e-mail", "Instytucja", "Stanowisko", "Warsztaty"} \
        <= set(rows[0])
    assert all(None not in r and None not in r.values() for r in rows)  # no ragged rows
    by_email = {r["Adres e-mail"]: r for r in rows}
    anna = by_email["a.kowalska@mops.krakow.example"]
    assert (anna["Imię"], anna["Nazwisko"]) == ("Anna", "Kowalska")
    titles = {s.title for s in congress.sessions if s.category == "workshop"}
    sessions = {s.id: s for s in congress.sessions}
    expected = Counter(sessions[r.session_id].title for r in congress.registrations
                       if sessions[r.session_id].category == "workshop")
    got: Counter[str] = Counter()
    for row in rows:
        cell = row["Warsztaty"]
        parts = [p for p in cell.split(";") if p] if flavour == "msforms" else \
            [p for p in cell.split(", ") if p]
        assert set(parts) <= titles
        got.update(parts)
    assert got == expected
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == (flavour == "msforms")
    if flavour == "excel_pl":
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
        assert raw.splitlines()[0].decode("cp1250").startswith("Lp.;")


def test_registration_csv_headers(congress: Congress, tmp_path: Path) -> None:
    google = _read(write_registration_csv(congress, tmp_path / "g.csv", flavour="google"),
                   "google")
    assert next(iter(google[0])) == "Sygnatura czasowa"
    ms = _read(write_registration_csv(congress, tmp_path / "m.csv", flavour="msforms"),
               "msforms")
    assert list(ms[0])[:4] == ["ID", "Godzina rozpoczęcia", "Godzina ukończenia", "Adres e-mail"]
    with pytest.raises(ValueError):
        write_registration_csv(congress, tmp_path / "x.csv", flavour="xlsx")  # type: ignore[arg-type]


def test_form_titles_can_be_split() -> None:
    for s in generate_congress(attendees=2, start=START).sessions:
        if s.registration_required:
            assert "," not in s.title and ";" not in s.title


def test_rooms_are_never_double_booked(congress: Congress) -> None:
    by_room: dict[tuple[str, str], list] = {}
    for s in congress.sessions:
        by_room.setdefault((s.venue, s.room), []).append(s)
    assert {(r.venue, r.name) for r in congress.rooms} >= set(by_room)
    for sessions in by_room.values():
        sessions.sort(key=lambda s: s.starts_at)
        for a, b in zip(sessions, sessions[1:], strict=False):
            assert a.ends_at <= b.starts_at, (a.title, b.title)
