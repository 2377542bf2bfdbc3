"""Uploaded scans: stored once, presence derived, order of arrival irrelevant; roster export."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from admin_fixtures import DAY2_10, add_person, make_event, span_today
from admin_scans import scan
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, insert, select

from admin.queries import kiosks as q_kiosks
from admin.queries import people as q_people
from admin.roster_export import build_snapshot
from admin.scans import bucket_of, record_scans
from admin.schema import presence, registrations, scans, utcnow
from sync.roster import dump_snapshot, parse_snapshot
from sync.token import parse_public_key, verify

MIN = timedelta(minutes=1)


def _presence(engine: Engine, person: int, session: int = 0) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(select(presence).where(
            presence.c.person_id == person, presence.c.session_id == session)).mappings().one())


def test_record_scans_is_idempotent(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    batch = [scan(ev["id"], anna, DAY2_10), scan(ev["id"], None, DAY2_10, result="invalid",
                                                  admitted=False, raw="GARBAGE")]
    with engine.begin() as conn:
        assert record_scans(conn, batch) == 2
    with engine.begin() as conn:
        assert record_scans(conn, batch + batch) == 0  # a blind retry
    with engine.begin() as conn:
        assert record_scans(conn, [*batch, scan(ev["id"], anna, DAY2_10 + MIN,
                                                result="already_checked_in")]) == 1
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scans)).scalar_one() == 3
    p = _presence(engine, anna)
    assert p["first_in"] == DAY2_10 and p["admits"] == 1 and p["inside"]


def test_a_failed_batch_stores_nothing(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    try:
        with engine.begin() as conn:
            record_scans(conn, [scan(ev["id"], anna, DAY2_10)])
            raise RuntimeError("connection dropped")
    except RuntimeError:
        pass
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scans)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(presence)).scalar_one() == 0


def test_presence_in_and_out_in_any_order(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    ws = ev["workshop"]
    events = [
        scan(ev["id"], anna, DAY2_10 + 60 * MIN, session_id=ws, direction="in", kiosk="k2"),
        scan(ev["id"], anna, DAY2_10 + 90 * MIN, session_id=ws, direction="out", kiosk="k2"),
        scan(ev["id"], anna, DAY2_10 + 100 * MIN, session_id=ws, direction="in", kiosk="k2",
             result="already_checked_in"),
    ]
    # Upload in reverse: the later re-entry first, then the exit, then the first entry.
    for record in reversed(events):
        with engine.begin() as conn:
            record_scans(conn, [record])
    p = _presence(engine, anna, ws)
    assert p["first_in"] == DAY2_10 + 60 * MIN
    assert p["last_out"] == DAY2_10 + 90 * MIN
    assert p["inside"] and p["admits"] == 1
    with engine.begin() as conn:
        record_scans(conn, [scan(ev["id"], anna, DAY2_10 + 110 * MIN, session_id=ws,
                                 direction="out", kiosk="k2")])
    assert not _presence(engine, anna, ws)["inside"]


def test_two_offline_kiosks_admitting_the_same_person_are_both_kept(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    with engine.begin() as conn:
        record_scans(conn, [scan(ev["id"], anna, DAY2_10, kiosk="k1")])
    with engine.begin() as conn:
        record_scans(conn, [scan(ev["id"], anna, DAY2_10 + MIN, kiosk="k2")])
    assert _presence(engine, anna)["admits"] == 2


def test_kiosk_clock_offset_corrects_scan_time(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    with engine.begin() as conn:
        q_kiosks.ensure_kiosk(conn, "slow-pi", ev["id"])
        q_kiosks.record_status(conn, "slow-pi", clock_offset_ms=3_600_000)
        record_scans(conn, [scan(ev["id"], anna, DAY2_10 - timedelta(hours=1), kiosk="slow-pi")])
    assert _presence(engine, anna)["first_in"] == DAY2_10


def test_manual_check_in(engine: Engine) -> None:
    ev = make_event(engine)
    span_today(engine, ev["id"])  # the help desk admits only on the event's days
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    with engine.begin() as conn:
        assert q_people.check_in_by_hand(conn, anna, None, "wojtek") == "ok"
    with engine.begin() as conn:
        assert q_people.check_in_by_hand(conn, anna, None, "wojtek") == "already_checked_in"
    with engine.connect() as conn:
        rows = conn.execute(select(scans.c.source, scans.c.kiosk_id)).all()
    assert [tuple(r) for r in rows] == [("manual", "helpdesk")] * 2


def test_build_snapshot(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków", "anna@mops.pl",
                      role="speaker")
    jan = add_person(engine, ev["id"], "Jan", "Nowak", status="cancelled")
    with engine.begin() as conn:
        conn.execute(insert(registrations).values(session_id=ev["workshop"], person_id=anna,
                                                  created_at=utcnow()))
        q_people.replace_badge(conn, anna, "wojtek", "lost")
        snap = build_snapshot(conn, ev["id"])
        token_text = q_people_token(conn, ev["id"], anna)
    assert snap.full and snap.event.id == ev["id"]
    by_id = {a.id: a for a in snap.attendees}
    assert by_id[anna].badge_revision == 2 and by_id[anna].role == "speaker"
    assert by_id[jan].status == "cancelled"
    workshop = next(s for s in snap.sessions if s.id == ev["workshop"])
    assert workshop.capacity == 2 and workshop.registration_required
    assert workshop.room == "Sala 101" and workshop.venue == "Auditorium Maximum"
    plenary = next(s for s in snap.sessions if s.id == ev["plenary"])
    assert plenary.capacity == 600  # the room's
    assert [(r.session_id, r.attendee_id) for r in snap.registrations] == [
        (ev["workshop"], anna)]
    # What the kiosk downloads round-trips, carries no private key, and verifies our badges.
    text = dump_snapshot(snap)
    assert parse_snapshot(text) == snap and "PRIVATE" not in text and "@" not in text
    claim = verify(token_text, [parse_public_key(k) for k in snap.event.public_keys],
                   ev["id"])
    assert claim.revision == 2
    # The cursor moves when people change.
    with engine.begin() as conn:
        assert build_snapshot(conn, ev["id"]).cursor == snap.cursor
        q_people.update_person(conn, jan, {"first_name": "Janusz"}, "wojtek")
        assert build_snapshot(conn, ev["id"]).cursor != snap.cursor


def q_people_token(conn, event_id: int, person_id: int) -> str:  # type: ignore[no-untyped-def]
    from admin.queries.events import issue_token

    person = q_people.get_person(conn, person_id)
    return issue_token(conn, event_id, person_id, person["badge_revision"])


def _recount(conn, event_id: int) -> dict[str, dict[int, int]]:  # type: ignore[no-untyped-def]
    """The running totals computed the slow way, straight from presence."""
    out: dict[str, dict[int, int]] = {}
    rows = conn.execute(select(presence).where(presence.c.event_id == event_id)).mappings()
    visitors = set()
    first_of_day: dict[tuple[int, Any], Any] = {}  # (person, day) -> earliest entry or None
    for r in rows:
        # Checked in on a day by any admission that day: entrance, room or help desk.
        visitors.add(r["person_id"])
        day = (r["person_id"], r["day"])
        earliest = first_of_day.get(day)
        if r["first_in"] is not None and (earliest is None or r["first_in"] < earliest):
            earliest = r["first_in"]
        first_of_day[day] = earliest
        if r["session_id"] != 0:
            a = out.setdefault("attended", {})
            a[r["session_id"]] = a.get(r["session_id"], 0) + 1
            if r["inside"]:
                i = out.setdefault("inside", {})
                i[r["session_id"]] = i.get(r["session_id"], 0) + 1
    for (_person, day), earliest in first_of_day.items():
        d = out.setdefault("day", {})
        d[day.toordinal()] = d.get(day.toordinal(), 0) + 1
        if earliest is not None:
            b = out.setdefault("bucket", {})
            b[bucket_of(earliest)] = b.get(bucket_of(earliest), 0) + 1
    if visitors:
        out["visitors"] = {0: len(visitors)}
    return out


scan_facts = st.lists(
    st.tuples(st.integers(0, 3),                     # person
              st.sampled_from([None, "ws", "plenary"]),  # where
              st.sampled_from(["in", "out"]),
              st.integers(-600, 3000),               # minutes from DAY2_10 (spans 3 days)
              st.sampled_from(["ok", "ok", "already_checked_in"])),
    min_size=1, max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facts=scan_facts, cut=st.integers(1, 5), seed=st.randoms(use_true_random=False))
def test_running_totals_match_presence_in_any_upload_order(
        engine: Engine, facts: list, cut: int, seed: Any) -> None:
    from admin.scans import read_counts

    ev = make_event(engine)
    people_ids = [add_person(engine, ev["id"], f"P{i}", "X") for i in range(4)]
    sessions_by = {None: None, "ws": ev["workshop"], "plenary": ev["plenary"]}
    records = [scan(ev["id"], people_ids[p], DAY2_10 + m * MIN, session_id=sessions_by[w],
                    direction=d if w else None, result=r)
               for p, w, d, m, r in facts]
    seed.shuffle(records)
    for start in range(0, len(records), cut):
        with engine.begin() as conn:
            record_scans(conn, records[start:start + cut] + records[:1])  # plus a retry
    with engine.connect() as conn:
        running = {m: {k: v for k, v in keys.items() if v}
                   for m, keys in read_counts(conn, ev["id"]).items()}
        running = {m: keys for m, keys in running.items() if keys}
        assert running == _recount(conn, ev["id"])


def test_times_placed_by_the_sync_layer_win(engine: Engine) -> None:
    ev = make_event(engine)
    anna = add_person(engine, ev["id"], "Anna", "Kowalska")
    wrong_clock = scan(ev["id"], anna, DAY2_10 - timedelta(days=1))  # a Pi booted offline
    with engine.begin() as conn:
        record_scans(conn, [wrong_clock], scan_times={wrong_clock.id: DAY2_10})
    assert _presence(engine, anna)["first_in"] == DAY2_10


def test_migration_0010_counts_session_only_admissions_as_checked_in(db_url: str) -> None:
    """A database whose totals were kept the old way (entrance rows only) is recounted."""
    from admin.db import make_engine, migrate
    from admin.scans import read_counts

    engine = make_engine(db_url)
    try:
        migrate(engine, "0009")
        ev = make_event(engine)
        people_ids = [add_person(engine, ev["id"], f"P{i}", "X") for i in range(3)]
        t = DAY2_10
        with engine.begin() as conn:
            conn.execute(presence.insert(), [
                {"event_id": ev["id"], "person_id": p, "session_id": ev["plenary"],
                 "day": t.date(), "first_in": t + i * MIN, "last_in": t + i * MIN,
                 "last_out": None, "inside": True, "admits": 1, "first_bucket": None}
                for i, p in enumerate(people_ids)])
        migrate(engine)
        with engine.connect() as conn:
            counts = read_counts(conn, ev["id"])
        assert counts["visitors"] == {0: 3}
        assert counts["day"] == {t.date().toordinal(): 3}
        assert sum(counts["bucket"].values()) == 3
    finally:
        engine.dispose()
