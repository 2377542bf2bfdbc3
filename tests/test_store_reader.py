"""The store's one reader: read-only connections, and the RosterView decisions read."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from support import EVENT_ID, NOW, token_for

from kiosk.decide import RosterView, ScanContext, decide_token
from kiosk.store import Store
from kiosk.store_reader import StoreReader
from sync import token as tokens
from sync.scans import ScanRecord, new_scan_id


def context(store: Store, mode: str = "entrance", room: str = "") -> ScanContext:
    event = store.reader.event()
    assert event is not None
    return ScanContext(
        mode=mode, now=NOW, local_day=NOW.astimezone(ZoneInfo(event.timezone)).date(),
        event_id=EVENT_ID, public_keys=[tokens.parse_public_key(k) for k in event.public_keys],
        room=room, event_days=(event.starts_on, event.ends_on))


def admitted(attendee_id: int, session_id: int | None = None) -> ScanRecord:
    return ScanRecord(id=new_scan_id(), kiosk_id="k1", event_id=EVENT_ID,
                      attendee_id=attendee_id, badge_revision=1, session_id=session_id,
                      direction="in" if session_id else None, result="ok", admitted=True,
                      source="camera", wall_time=NOW, monotonic_ns=1, boot_id="b")


def test_a_reader_connection_refuses_every_write(store: Store) -> None:
    db = store.reader.db
    assert db.execute("PRAGMA query_only").fetchone()[0] == 1
    for sql in ("INSERT INTO meta (key, value) VALUES ('x', 'y')",
                "UPDATE attendees SET last_name = 'X'",
                "DELETE FROM outbox",
                "CREATE TABLE other (id INTEGER)"):
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.execute(sql)
    assert store.reader.get_meta("x") is None
    assert store.reader.attendee(1).last_name == "Kowalska"
    assert store._writer.execute("PRAGMA query_only").fetchone()[0] == 0


def test_each_thread_reads_through_its_own_read_only_connection(store: Store) -> None:
    mine = store.reader
    seen: list[StoreReader] = []
    worker = threading.Thread(target=lambda: (seen.append(store.reader),
                                              store.release_reader()))
    worker.start()
    worker.join()
    assert store.reader is mine and seen[0] is not mine
    assert seen[0].db.conn is not mine.db.conn
    assert store.open_readers() == 1  # the worker's was closed when it was done


def test_decide_runs_on_the_threads_reader_and_sees_each_commit(store: Store, event_key
                                                                 ) -> None:
    view: RosterView = store.reader
    ctx = context(store)
    first = decide_token(token_for(event_key, 1), view, ctx)
    assert (first.result, first.print_badge) == ("ok", True)
    with store.write() as db:
        Store.insert_scan(db, admitted(1), ctx.local_day)
    again = decide_token(token_for(event_key, 1), view, ctx)
    assert (again.result, again.first_seen_at) == ("already_checked_in", NOW)


def test_inside_a_write_the_reader_of_its_connection_sees_what_is_not_committed(
        store: Store, event_key) -> None:
    room = context(store, mode="room", room="Sala 101")
    token = token_for(event_key, 1)
    with store.write() as db:
        Store.insert_scan(db, admitted(4, session_id=10), room.local_day)
        inside = decide_token(token, StoreReader(db), room)
        outside = decide_token(token, store.reader, room)
        assert (inside.result, inside.occupancy) == ("ok", 2)  # Paweł is in
        assert (outside.result, outside.occupancy) == ("ok", 1)  # not committed yet
    assert store.reader.occupancy(10) == 1


def test_a_replacement_badge_seen_here_revokes_the_old_one_through_the_reader(
        store: Store, event_key) -> None:
    with store.write() as db:
        Store.insert_scan(db, admitted(1).model_copy(update={"badge_revision": 3}),
                          context(store).local_day + timedelta(days=1))
    decision = decide_token(token_for(event_key, 1), store.reader, context(store))
    assert (decision.result, decision.reason) == ("revoked", "badge revision 1, current is 3")
