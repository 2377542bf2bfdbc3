"""admin.bulk writes what SQLAlchemy would, on SQLite and PostgreSQL, read back through it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from admin.bulk import insert_many, one_of, update_many
from admin.schema import presence, scans

T0 = datetime(2026, 6, 15, 7, 30, tzinfo=UTC)
WARSAW_SUMMER = timezone(timedelta(hours=2))


def scan_row(n: int, **changes):
    row = {"id": f"{n:032x}", "kiosk_id": "k-1", "event_id": 1, "attendee_id": n,
           "badge_revision": 1, "session_id": None, "direction": None, "result": "ok",
           "admitted": True, "source": "camera", "wall_time": T0 + timedelta(seconds=n),
           "scan_time": T0 + timedelta(seconds=n, microseconds=n), "monotonic_ns": 2**62 + n,
           "boot_id": "boot", "raw": "Zażółć gęślą jaźń", "received_at": T0,
           "time_estimated": n % 2 == 0, "override_reason": "wpis ręczny" if n == 3 else "",
           "chain_seq": n, "chain_prev": "0" * 64, "chain": f"{n:064x}"}
    row.update(changes)
    return row


def test_insert_many_stores_what_sqlalchemy_reads_back(engine):
    rows = [scan_row(1), scan_row(2, attendee_id=None, event_id=None, raw=None,
                                  admitted=False, result="invalid"),
            scan_row(3, session_id=7, direction="out",
                     wall_time=datetime(2026, 6, 15, 9, 0, tzinfo=WARSAW_SUMMER))]
    with engine.begin() as conn:
        assert sorted(insert_many(conn, scans, rows, skip_conflicts_on=["id"],
                                  returning="id")) == [r["id"] for r in rows]
    with engine.connect() as conn:
        stored = {r["id"]: dict(r) for r in conn.execute(select(scans)).mappings()}
    for row in rows:
        # Times come back aware, in UTC, equal to what went in (whatever its zone).
        assert stored[row["id"]] == row
    assert stored[rows[2]["id"]]["wall_time"] == datetime(2026, 6, 15, 7, 0, tzinfo=UTC)
    assert stored[rows[0]["id"]]["admitted"] is True and stored[rows[1]["id"]]["admitted"] is False


def test_times_do_not_depend_on_the_database_sessions_time_zone(engine):
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL TIME ZONE 'Asia/Kathmandu'")  # UTC+05:45
        insert_many(conn, scans, [scan_row(1)])
        update_many(conn, scans, ("id",), [{"id": scan_row(1)["id"], "scan_time": T0}])
    with engine.connect() as conn:
        stored = conn.execute(select(scans.c.wall_time, scans.c.scan_time)).one()
    assert tuple(stored) == (scan_row(1)["wall_time"], T0)


def test_insert_many_skips_conflicts_and_returns_only_the_new_ids(engine):
    with engine.begin() as conn:
        insert_many(conn, scans, [scan_row(1), scan_row(2)], skip_conflicts_on=["id"])
    with engine.begin() as conn:
        new = insert_many(conn, scans, [scan_row(2, raw="changed"), scan_row(3), scan_row(1)],
                          skip_conflicts_on=["id"], returning="id")
    assert new == [scan_row(3)["id"]]
    with engine.connect() as conn:
        assert conn.execute(select(scans.c.raw).where(scans.c.id == scan_row(2)["id"])
                            ).scalar() == "Zażółć gęślą jaźń"  # the first one stays


def test_insert_many_without_a_conflict_clause_fails_whole(engine):
    with engine.begin() as conn:
        insert_many(conn, scans, [scan_row(1)])
    with pytest.raises(Exception, match="(?i)unique|duplicate"), engine.begin() as conn:
        insert_many(conn, scans, [scan_row(5), scan_row(1)])
    with engine.connect() as conn:
        assert conn.execute(select(scans.c.id)).scalars().all() == [scan_row(1)["id"]]


def test_many_rows_are_split_below_the_variable_limit(engine):
    rows = [scan_row(n) for n in range(1, 1201)]  # 1 200 x 16 values
    with engine.begin() as conn:
        assert len(insert_many(conn, scans, rows, skip_conflicts_on=["id"],
                               returning="id")) == 1200
    with engine.connect() as conn:
        ids = conn.execute(select(scans.c.attendee_id).where(
            one_of(conn, scans.c.attendee_id, [5, 600, 1200, 5000]))).scalars().all()
    assert sorted(ids) == [5, 600, 1200]


def presence_row(person: int, **changes):
    row = {"event_id": 1, "person_id": person, "session_id": 0, "day": date(2026, 6, 15),
           "first_in": T0, "last_in": T0, "last_out": None, "inside": True, "admits": 1,
           "first_bucket": 1}
    row.update(changes)
    return row


def test_update_many_sets_only_the_matching_rows(engine):
    with engine.begin() as conn:
        insert_many(conn, presence, [presence_row(1), presence_row(2),
                                     presence_row(1, day=date(2026, 6, 16))])
    later = T0 + timedelta(hours=3, microseconds=1)
    with engine.begin() as conn:
        update_many(conn, presence, ("event_id", "person_id", "session_id", "day"), [
            presence_row(1, last_out=later, inside=False, admits=2),
            presence_row(3, admits=9),  # no such row: nothing happens
        ])
    with engine.connect() as conn:
        rows = {(r["person_id"], r["day"]): dict(r)
                for r in conn.execute(select(presence)).mappings()}
    assert rows[(1, date(2026, 6, 15))] == presence_row(1, last_out=later, inside=False,
                                                         admits=2)
    assert rows[(1, date(2026, 6, 16))] == presence_row(1, day=date(2026, 6, 16))
    assert rows[(2, date(2026, 6, 15))] == presence_row(2)
    assert len(rows) == 3


def test_text_longer_than_its_column_is_refused_not_cut(engine):
    # PostgreSQL would cut it silently in a cast to varchar(n): a cut scan id would then
    # collide with another and the scan be dropped while the kiosk hears "stored".
    with engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            pytest.skip("SQLite does not enforce varchar lengths at all")
    with pytest.raises(Exception, match="(?i)too long"), engine.begin() as conn:
        insert_many(conn, scans, [scan_row(1, kiosk_id="k" * 65)], skip_conflicts_on=["id"])


def test_names_outside_the_table_are_refused(engine):
    with pytest.raises(KeyError), engine.begin() as conn:
        insert_many(conn, scans, [scan_row(1)], skip_conflicts_on=["id); DROP TABLE scans; --"])


def test_naive_times_are_refused(engine):
    with pytest.raises(ValueError, match="naive"), engine.begin() as conn:
        insert_many(conn, scans, [scan_row(1, wall_time=datetime(2026, 6, 15, 7, 0))])
