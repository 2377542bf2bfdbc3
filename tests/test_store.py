"""The kiosk store: pragmas, migrations, atomic roster, append-only scans, search."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from sqlite_utils import Database

from kiosk.store import StoreError, open_store
from kiosk.store_schema import MIGRATIONS, migrate
from sync.chain import GENESIS, link
from sync.roster import Attendee, Deleted, Registration, RosterError, RosterSnapshot
from sync.scans import ScanRecord, new_scan_id


def test_pragmas(store):
    w = store._writer
    assert w.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert w.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert w.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.reader.db.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert w.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_reopen_keeps_data_and_does_not_remigrate(tmp_path, roster):
    s = open_store(tmp_path)
    s.apply_roster(roster)
    s.close()
    s = open_store(tmp_path)
    try:
        assert s.reader.roster_size() == 5 and s.reader.event().id == roster.event.id
    finally:
        s.close()


def test_newer_database_refuses(tmp_path):
    s = open_store(tmp_path)
    with pytest.raises(StoreError, match="newer than this software"):
        migrate(s._writer, MIGRATIONS[:0])
    s.close()


def test_corrupt_file_is_a_clear_error(tmp_path):
    (tmp_path / "kiosk.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        open_store(tmp_path)


def scan(**kw):
    base = dict(id=new_scan_id(), kiosk_id="k1", event_id=7, attendee_id=1, result="ok",
                admitted=True, wall_time=datetime(2026, 6, 16, 8, tzinfo=UTC),
                monotonic_ns=1, boot_id="b")
    return ScanRecord(**{**base, **kw})


def test_outbox_pages_oldest_first_and_continues_after_a_seq(store):
    made = [scan(attendee_id=i) for i in range(1, 8)]
    with store.write() as db:
        for rec in made:
            store.insert_scan(db, rec, datetime(2026, 6, 16).date())
    assert store.mark_sent([made[1].id, made[4].id, "not-a-scan"]) == 2
    first, after = store.reader.outbox_page(3)
    second, after = store.reader.outbox_page(3, after)
    third, last = store.reader.outbox_page(3, after)
    assert [r.id for r in first + second] == [made[i].id for i in (0, 2, 3, 5, 6)]
    assert (third, last) == ([], after)
    unlinked = {"seq": None, "prev": None, "chain": None}
    assert first[0].model_copy(update=unlinked) == made[0]  # read back whole
    # ... with its place in the kiosk's hash chain (sync.chain).
    assert (first[0].seq, first[0].prev) == (1, GENESIS) and first[0].chain == link(
        GENESIS, first[0])
    assert (first[1].seq, first[2].seq) == (3, 4) and first[2].prev == first[1].chain
    assert store.reader.outbox_batch(10) == first + second


def test_a_nul_kept_by_older_software_does_not_block_the_outbox(store):
    rec = scan(result="invalid", admitted=False, attendee_id=None, raw="A")
    with store.write() as db:
        store.insert_scan(db, rec, datetime(2026, 6, 16).date())
        db.execute("DROP TRIGGER scans_append_only_update")  # as older software stored it
        db.execute("UPDATE scans SET raw = ? WHERE id = ?", ["A\x00B", rec.id])
    assert [r.raw for r in store.reader.outbox_batch(5)] == ["A\ufffdB"]


def test_outbox_of_a_version_2_store_is_carried_over_in_order(tmp_path):
    # A kiosk updated in the middle of an event: its unsent scans must all go up after.
    old = sqlite3.connect(tmp_path / "kiosk.db")
    db = Database(old)
    migrate(db, MIGRATIONS[:2])
    made = [scan(attendee_id=i) for i in range(1, 5)]
    for rec in made:
        row = rec.model_dump(exclude={"seq", "prev", "chain"})
        row.update(wall_time=rec.wall_time.isoformat(), admitted=1, local_day="2026-06-16")
        db["scans"].insert(row)
    for rec in reversed(made[1:]):  # the old outbox had no order of its own
        db.execute("INSERT INTO outbox (scan_id) VALUES (?)", [rec.id])
    old.commit()
    old.close()
    store = open_store(tmp_path)
    try:
        assert store.reader.outbox_size() == 3
        assert [r.id for r in store.reader.outbox_batch(10)] == [r.id for r in made[1:]]
        assert all(r.chain is None and r.seq is None for r in store.reader.outbox_batch(10))
        with store.write() as db:  # the chain starts with the first scan after the update
            new = store.insert_scan(db, scan(attendee_id=9), datetime(2026, 6, 16).date())
        assert (new.seq, new.prev) == (5, GENESIS) and store.reader.chain_head() == (5, new.chain)
    finally:
        store.close()


def test_scans_are_append_only(store):
    rec = scan()
    with store.write() as db:
        store.insert_scan(db, rec, datetime(2026, 6, 16).date())
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as db:
        db.execute("UPDATE scans SET result='invalid'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), store.write() as db:
        db.execute("DELETE FROM scans")
    assert store.reader.scan_exists(rec.id) and store.reader.outbox_size() == 1


def test_duplicate_scan_id_is_refused(store):
    rec = scan()
    with store.write() as db:
        store.insert_scan(db, rec, datetime(2026, 6, 16).date())
    with pytest.raises(sqlite3.IntegrityError), store.write() as db:
        store.insert_scan(db, rec, datetime(2026, 6, 16).date())
    assert store.reader.count_scans() == 1 and store.reader.outbox_size() == 1


@pytest.mark.parametrize(("query", "expected"), [
    ("lukasz", ["Wójcik"]),
    ("LUKASZ WOJC", ["Wójcik"]),
    ("wojcik gdow", ["Wójcik"]),
    ("dabrowski", ["Dąbrowski"]),
    ("cecuga", ["Cecuga-Nowak"]),
    ("krakow", ["Cecuga-Nowak", "Kowalska"]),
    ("wiśniewska", ["Wiśniewska"]),
    ("100%", []),
    ("", []),
])
def test_search_without_diacritics(store, query, expected):
    assert [a.last_name for a in store.reader.search(query)] == expected


def test_delta_updates_and_deletes(store, roster):
    delta = RosterSnapshot(
        event=roster.event, cursor="c2", full=False,
        attendees=[Attendee(id=1, first_name="Anna", last_name="Kowalska-Nowak",
                            badge_revision=2), Attendee(id=6, first_name="Jan", last_name="Nowy")],
        registrations=[Registration(session_id=10, attendee_id=6)],
        deleted=Deleted(attendees=[3], registrations=[Registration(session_id=10,
                                                                   attendee_id=4)]),
    )
    store.apply_roster(delta)
    changed = store.reader.attendee(1)
    assert changed.last_name == "Kowalska-Nowak" and changed.badge_revision == 2
    assert store.reader.attendee(3) is None and store.reader.attendee(6) is not None
    assert store.reader.is_registered(10, 6) and not store.reader.is_registered(10, 4)
    assert store.reader.get_meta("cursor") == "c2"
    assert [a.last_name for a in store.reader.search("kowalska nowak")] == ["Kowalska-Nowak"]


def test_bad_delta_applies_nothing(store, roster):
    delta = RosterSnapshot(
        event=roster.event, cursor="c2", full=False,
        attendees=[Attendee(id=1, first_name="Changed", last_name="Name")],
        registrations=[Registration(session_id=999, attendee_id=1)],
    )
    with pytest.raises(RosterError):
        store.apply_roster(delta)
    assert store.reader.attendee(1).first_name == "Anna" and store.reader.get_meta("cursor") == "c1"


def test_delta_for_other_event_or_before_full(tmp_path, roster):
    s = open_store(tmp_path)
    try:
        delta = roster.model_copy(update={"full": False})
        with pytest.raises(RosterError, match="before any full roster"):
            s.apply_roster(delta)
        s.apply_roster(roster)
        other = roster.model_copy(update={
            "full": False, "event": roster.event.model_copy(update={"id": 8})})
        with pytest.raises(RosterError, match="event 8"):
            s.apply_roster(other)
    finally:
        s.close()


def test_full_snapshot_replaces_everything(store, roster):
    smaller = roster.model_copy(update={"attendees": roster.attendees[:2], "registrations": [],
                                        "cursor": "c9"})
    store.apply_roster(smaller)
    assert store.reader.roster_size() == 2 and not store.reader.is_registered(10, 1)


def test_snapshot_refuses_dangling_registration(roster):
    data = roster.model_dump(mode="json")
    data["registrations"].append({"session_id": 10, "attendee_id": 404})
    from sync.roster import parse_snapshot
    with pytest.raises(RosterError, match="404"):
        parse_snapshot(data)


def test_write_is_not_broken_by_a_commit_from_another_connection(tmp_path, roster):
    """The print worker writes through its own connection. A check-in that has already
    read must still be able to write: with a deferred BEGIN, SQLite refuses the upgrade
    at once ("database is locked")."""
    import threading
    import time

    s = open_store(tmp_path)
    s.apply_roster(roster)
    other_done = threading.Event()

    def other_writer() -> None:
        conn = sqlite3.connect(tmp_path / "kiosk.db", isolation_level=None, timeout=10)
        try:
            conn.execute("INSERT INTO meta (key, value) VALUES ('worker', 'x')")
        finally:
            conn.close()
            other_done.set()

    try:
        with s.write() as db:
            db.execute("SELECT count(*) FROM attendees").fetchone()
            worker = threading.Thread(target=other_writer)
            worker.start()
            time.sleep(0.3)
            db.execute("INSERT INTO meta (key, value) VALUES ('checkin', 'y')")
        worker.join(timeout=15)
        assert other_done.is_set()
        assert s.reader.get_meta("checkin") == "y" and s.reader.get_meta("worker") == "x"
    finally:
        s.close()


def test_search_results_in_polish_alphabetical_order(store, roster):
    """Ł after L and before M, Ż after Z: not by code point (Ł after Z)."""
    store.apply_roster(RosterSnapshot(
        event=roster.event, cursor="c3", full=False, attendees=[
            Attendee(id=20 + i, first_name="Ola", last_name=last, institution="DPS Bochnia")
            for i, last in enumerate(["Żak", "Zalewska", "Łabuda", "Lis", "Mazur"])]))
    assert [a.last_name for a in store.reader.search("bochnia")] == [
        "Lis", "Łabuda", "Mazur", "Zalewska", "Żak"]
