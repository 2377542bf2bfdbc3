"""Kiosk <-> admin sync over real HTTP on 127.0.0.1: the kiosk's own client, the real admin.

Runs on SQLite and (when BRAMKA_TEST_DATABASE_URL is set) PostgreSQL.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import add_person, make_event, span_today
from admin_testkit import Client, make_user
from sqlalchemy import func, insert, select, update
from support import served as serve_app

from admin.queries import events as q_events
from admin.queries import kiosks as q_kiosks
from admin.queries import people as q_people
from admin.queries import sync as q_sync
from admin.queries.stats import dashboard_data
from admin.scans import record_scans
from admin.schema import events, kiosk_commands, people, scans
from bramka.config import load_settings
from kiosk.checkin import CheckinService
from kiosk.events import EventBus
from kiosk.store import Store, open_store
from kiosk.sync_client import EnrollmentError, SyncClient
from sync.scans import ScanRecord, new_scan_id
from sync.transport import SyncRejected
from sync.wire import BASE_PATH, PROTOCOL


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    with serve_app(app) as url:
        yield url


@pytest.fixture
def event(engine: Any) -> dict[str, Any]:
    ev = make_event(engine)
    # The kiosks here keep a June clock while the admin places their scans on its own,
    # real one (sync.clock): the event also spans today, or the admin would rightly hold
    # every scan as "outside the event's dates".
    span_today(engine, ev["id"])
    ev["anna"] = add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków")
    ev["lukasz"] = add_person(engine, ev["id"], "Łukasz", "Wójcik", "GOPS w Gdowie")
    return ev


class Kiosk:
    """A kiosk's store, check-in service and sync client, as the runtime builds them."""

    def __init__(self, data_dir: Path, url: str, clock: Any = None) -> None:
        self.settings = load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": str(data_dir), "BRAMKA_SYNC__ADMIN_URL": url,
            "BRAMKA_SYNC__INTERVAL_SECONDS": "0.2", "BRAMKA_SYNC__MAX_BACKOFF_SECONDS": "0.5",
            "BRAMKA_PRINTER__BACKEND": "none"})
        self.store: Store = open_store(data_dir)
        kw = {"clock": clock} if clock else {}
        self.checkin = CheckinService(self.store, self.settings.kiosk, bus=EventBus(), **kw)
        self.commands: list[Any] = []
        self.client = SyncClient(self.store, self.settings, checkin=self.checkin,
                                 on_command=self.commands.append)

    def close(self) -> None:
        self.client.stop()
        self.store.close()


def enroll(engine: Any, url: str, event_id: int, tmp: Path, name: str = "Wejście A",
           **kw: Any) -> Kiosk:
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event_id, name, "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
    kiosk = Kiosk(tmp / name.replace(" ", "-"), url, **kw)
    reply = kiosk.client.enroll(url, code)
    assert reply.kiosk_id == kiosk_id and reply.event_id == event_id
    return kiosk


def token(engine: Any, event_id: int, person_id: int, revision: int = 1) -> str:
    with engine.begin() as conn:
        return q_events.issue_token(conn, event_id, person_id, revision)


def test_enroll_pull_scan_push(engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        report = kiosk.client.contact()
        assert report.roster_applied and kiosk.store.reader.roster_size() == 2
        assert kiosk.store.reader.event().public_keys  # only the public key travels
        outcome = kiosk.checkin.scan(token(engine, event["id"], event["anna"]))
        assert outcome.scan.result == "ok"
        report = kiosk.client.contact()
        assert report.pushed == 1 and kiosk.store.reader.outbox_size() == 0
        assert not report.roster_applied  # nothing changed: the cursor stayed
        with engine.connect() as conn:
            row = conn.execute(select(scans).where(scans.c.id == outcome.scan.id)).one()
            kiosk_row = q_kiosks.get_kiosk(conn, row.kiosk_id)
        assert row.attendee_id == event["anna"] and row.result == "ok"
        assert kiosk_row["last_contact_at"] is not None and kiosk_row["queue_length"] == 0
    finally:
        kiosk.close()


def test_a_scan_the_admin_holds_in_quarantine_leaves_the_outbox_with_its_reason(
        engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        outcome = kiosk.checkin.scan(token(engine, event["id"], event["anna"]))
        with engine.begin() as conn:  # the organizer moved the event: the scan is outside it
            conn.execute(update(events).where(events.c.id == event["id"]).values(
                starts_on=date(2026, 6, 15), ends_on=date(2026, 6, 17)))
        report = kiosk.client.contact()
        assert report.pushed == 1 and kiosk.store.reader.outbox_size() == 0
        assert kiosk.store.reader.quarantined() == {outcome.scan.id: "outside_event"}
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(scans)).scalar() == 0
    finally:
        kiosk.close()


def test_enrollment_code_is_single_use_and_expires(engine, served, event, tmp_path,
                                                    monkeypatch):
    monkeypatch.setattr("kiosk.sync_client.ENROLL_RETRY_SECONDS", 0.01)
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Sala", "room", "Sala 101")
        code = q_sync.new_enrollment(conn, kiosk_id)
        old = q_sync.new_enrollment(conn, kiosk_id, now=datetime.now(UTC) - timedelta(days=2))
    first = Kiosk(tmp_path / "a", served)
    second = Kiosk(tmp_path / "b", served)
    try:
        with pytest.raises(EnrollmentError, match="invalid, used or expired"):
            first.client.enroll(served, old)  # expired (and it replaced the first code)
        with engine.begin() as conn:
            code = q_sync.new_enrollment(conn, kiosk_id)
        reply = first.client.enroll(served, code.lower())  # typed in lower case: fine
        assert reply.mode == "room" and reply.room == "Sala 101"
        with pytest.raises(EnrollmentError):
            second.client.enroll(served, code)
        with pytest.raises(EnrollmentError, match="cannot be reached"):
            second.client.enroll("http://127.0.0.1:9", code)
    finally:
        first.close()
        second.close()


def test_an_enrollment_whose_reply_was_lost_is_retried_with_the_same_code(
        engine, served, event, tmp_path, monkeypatch):
    import kiosk.sync_client as client_module

    monkeypatch.setattr(client_module, "ENROLL_RETRY_SECONDS", 0.01)
    real_call, requests = client_module.transport.call, []

    def reply_lost_once(url, method, path, reply, **kw):
        answer = real_call(url, method, path, reply, **kw)  # the admin did enroll us
        if path != "/enroll":
            return answer
        requests.append(kw["body"])
        if len(requests) == 1:
            raise client_module.TransportError("connection reset before the reply")
        return answer

    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
    kiosk = Kiosk(tmp_path / "k", served)
    try:
        monkeypatch.setattr(client_module.transport, "call", reply_lost_once)
        assert kiosk.client.enroll(served, code).kiosk_id == kiosk_id
        monkeypatch.undo()
        assert len(requests) == 2 and requests[0].request_id == requests[1].request_id
        assert kiosk.client.contact().roster_applied  # the token it kept works
        # The code stays used for anyone else, and for a retry that comes too late.
        other = Kiosk(tmp_path / "other", served)
        try:
            with pytest.raises(EnrollmentError, match="invalid, used or expired"):
                other.client.enroll(served, code)
        finally:
            other.close()
        with engine.begin() as conn:
            later = datetime.now(UTC) + timedelta(minutes=11)
            assert q_sync.use_enrollment(conn, code, "x" * 64, later,
                                         requests[0].request_id) is None
            assert q_sync.use_enrollment(conn, code, "y" * 64, datetime.now(UTC),
                                         requests[0].request_id) is not None
    finally:
        kiosk.close()


def test_a_doubled_enrollment_request_gets_the_same_token_twice(engine, served, event):
    """A network that delivers the request twice (or a retry whose first reply did arrive
    after all): both replies carry one token, so whichever the kiosk keeps works."""
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
    body = json.dumps({"code": code, "request_id": "r-" + "7" * 30,
                       "software": "test"}).encode()
    replies = [post(served + BASE_PATH + "/enroll", body, {"Content-Type": "application/json"})
               for _ in range(2)]
    assert [status for status, _ in replies] == [200, 200], replies
    tokens = [reply["token"] for _, reply in replies]
    assert tokens[0] == tokens[1] and len(tokens[0]) >= 40
    roster = urllib.request.Request(served + BASE_PATH + "/roster?cursor=",
                                    headers={"Authorization": f"Bearer {tokens[0]}"})
    with urllib.request.urlopen(roster, timeout=10) as resp:  # noqa: S310
        assert resp.status == 200  # the token works
    # Another request id is another kiosk trying the used code: refused.
    other = body.replace(b"r-" + b"7" * 30, b"r-" + b"8" * 30)
    assert post(served + BASE_PATH + "/enroll", other,
                {"Content-Type": "application/json"})[0] == 400


def test_guessing_enrollment_codes_is_stopped_per_address(engine, served, event, tmp_path):
    from admin.sync_api import ENROLL_MAX_FAILURES

    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
    kiosk = Kiosk(tmp_path / "k", served)
    try:
        for n in range(ENROLL_MAX_FAILURES):
            with pytest.raises(EnrollmentError, match="invalid, used or expired"):
                kiosk.client.enroll(served, f"WRNG{n:04d}")
        status, body = post(served + BASE_PATH + "/enroll",
                            json.dumps({"code": code}).encode(),
                            {"Content-Type": "application/json"})
        assert status == 429 and body["error"] == "too_many_attempts"
        assert 0 < body["detail"]["retry_after_seconds"] <= 15 * 60
        assert body["message"]["pl"].startswith("Za wiele")
        with pytest.raises(EnrollmentError, match="Too many wrong enrollment codes"):
            kiosk.client.enroll(served, code)  # even the right code waits: not used up
        with engine.connect() as conn:
            assert q_kiosks.get_kiosk(conn, kiosk_id)["enrolled_at"] is None
    finally:
        kiosk.close()


def test_a_right_code_clears_the_wrong_ones_before_it(engine, served, event, tmp_path):
    # Kiosks behind one venue router share an address: a volunteer's typos on one kiosk
    # must not add up with the next kiosk's into a lockout.
    from admin.sync_api import ENROLL_MAX_FAILURES

    with engine.begin() as conn:
        codes = []
        for n in range(2):
            kiosk_id = q_sync.create_kiosk(conn, event["id"], f"Wejście {n}", "entrance", "")
            codes.append(q_sync.new_enrollment(conn, kiosk_id))
    kiosk = Kiosk(tmp_path / "k", served)
    try:
        for attempt, code in enumerate(codes):
            for n in range(ENROLL_MAX_FAILURES - 1):
                with pytest.raises(EnrollmentError, match="invalid, used or expired"):
                    kiosk.client.enroll(served, f"TYPO{attempt}{n:03d}")
            kiosk.client.enroll(served, code)
    finally:
        kiosk.close()


def test_roster_changes_come_down_as_deltas(engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        cursor = kiosk.store.reader.get_meta("cursor")
        walk_in = add_person(engine, event["id"], "Zofia", "Wiśniewska", "PCPR Limanowa")
        with engine.begin() as conn:
            conn.execute(update(people).where(people.c.id == event["lukasz"])
                         .values(status="cancelled"))
            conn.execute(update(people).where(people.c.id == event["anna"])
                         .values(badge_revision=2))
            q_events.bump_people_version(conn, event["id"])
        raw = urllib.request.urlopen(urllib.request.Request(  # noqa: S310
            f"{served}{BASE_PATH}/roster?cursor={cursor}",
            headers={"Authorization": f"Bearer {kiosk.client.token}"}), timeout=10).read()
        delta = json.loads(raw)
        assert delta["full"] is False
        assert sorted(a["id"] for a in delta["attendees"]) == sorted(
            [walk_in, event["lukasz"], event["anna"]])
        assert kiosk.client.contact().roster_applied
        assert kiosk.store.reader.attendee(walk_in).last_name == "Wiśniewska"
        old_badge = kiosk.checkin.scan(token(engine, event["id"], event["anna"], 1))
        assert old_badge.scan.result == "revoked"
        assert kiosk.checkin.scan(token(engine, event["id"], event["lukasz"])).scan.result \
            == "blocked"
    finally:
        kiosk.close()


def test_retried_upload_is_stored_once(engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        made = [kiosk.checkin.scan(token(engine, event["id"], p)).scan.id
                for p in (event["anna"], event["lukasz"], event["anna"])]
        kiosk.client.contact()
        with kiosk.store.write() as db:  # as if the confirmation had been lost on the way
            for scan_id in made:
                db.execute("INSERT INTO outbox (seq, scan_id) SELECT seq, id FROM scans "
                           "WHERE id = ?", [scan_id])
        assert kiosk.client.contact().pushed == 3
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(scans)).scalar() == 3
    finally:
        kiosk.close()


def test_kiosks_uploading_at_once_store_every_scan_once_and_count_people_once(
        engine, served, event, tmp_path):
    # Three kiosks were offline together and admitted the same 12 people; they come back
    # at the same moment, each with two small batches in flight (the window). Every
    # request touches the same presence rows and each kiosk's clock anchor at once.
    people_ids = [add_person(engine, event["id"], "Osoba", f"Numer {i}") for i in range(12)]
    kiosks = [enroll(engine, served, event["id"], tmp_path, f"Wejście {n}") for n in "ABC"]
    try:
        tokens_ = [token(engine, event["id"], p) for p in people_ids]
        for kiosk in kiosks:
            kiosk.client.settings = kiosk.client.settings.model_copy(update={"batch_size": 2})
            kiosk.client.contact()
            for text in tokens_:
                assert kiosk.checkin.scan(text).scan.result == "ok"
        errors: list[BaseException] = []

        def push(kiosk: Kiosk) -> None:
            try:
                kiosk.client.contact()
            except BaseException as exc:  # reported below, with the kiosk's name
                errors.append(exc)
            finally:
                kiosk.store.release_reader()

        threads = [threading.Thread(target=push, args=(k,)) for k in kiosks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert [k.store.reader.outbox_size() for k in kiosks] == [0, 0, 0]
        with engine.connect() as conn:
            stored = conn.execute(select(func.count()).select_from(scans)).scalar()
            data = dashboard_data(conn, event["id"], datetime.now(UTC))
        assert stored == 3 * 12
        assert data["checked_in"] == 12  # people, not scans
        # Each admitted by three kiosks: two double entries each, every person named.
        assert len(data["duplicates"]) == 24
        assert len({d["person_id"] for d in data["duplicates"]}) == 12
    finally:
        for kiosk in kiosks:
            kiosk.close()


def test_an_upload_and_a_walk_in_printed_at_that_kiosk_do_not_deadlock(engine, event):
    # PostgreSQL: an upload holds its kiosk's row and then wants the event's presence lock;
    # a help-desk walk-in holds the presence lock and then queues a print command for that
    # kiosk (a row pointing at it). Found by review: FOR UPDATE on the kiosk deadlocked.
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście", "entrance", "")
        conn.execute(update(q_sync.kiosks).where(q_sync.kiosks.c.id == kiosk_id)
                     .values(token_hash="t" * 64))
    upload_has_kiosk, walk_in_has_presence = threading.Event(), threading.Event()
    errors: list[str] = []

    def upload() -> None:
        try:
            with engine.begin() as conn:
                assert q_sync.kiosk_by_token(conn, "t" * 64, lock=True)
                upload_has_kiosk.set()
                walk_in_has_presence.wait(5)
                record_scans(conn, [ScanRecord(
                    id=new_scan_id(), kiosk_id=kiosk_id, event_id=event["id"],
                    attendee_id=event["anna"], badge_revision=1, result="ok", admitted=True,
                    wall_time=datetime.now(UTC), monotonic_ns=1, boot_id="b")])
        except Exception as exc:  # reported below
            errors.append(f"upload: {type(exc).__name__}")

    def walk_in() -> None:
        try:
            with engine.begin() as conn:
                upload_has_kiosk.wait(5)
                q_people.check_in_by_hand(conn, event["lukasz"], None, "wolontariusz")
                walk_in_has_presence.set()
                time.sleep(0.3)
                q_kiosks.queue_command(conn, kiosk_id, "reprint",
                                           {"attendee_id": event["lukasz"]}, "wolontariusz")
        except Exception as exc:  # reported below
            errors.append(f"walk-in: {type(exc).__name__}")

    threads = [threading.Thread(target=f) for f in (upload, walk_in)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scans)).scalar() == 2
        assert conn.execute(select(func.count()).select_from(kiosk_commands)).scalar() == 1


def test_a_kiosk_a_day_wrong_gets_a_correct_timeline(engine, served, event, tmp_path):
    skew = timedelta(hours=24)
    kiosk = enroll(engine, served, event["id"], tmp_path,
                   clock=lambda: datetime.now(UTC) - skew)
    try:
        kiosk.client.contact()
        first = kiosk.checkin.scan(token(engine, event["id"], event["anna"])).scan
        time.sleep(0.3)
        second = kiosk.checkin.scan(token(engine, event["id"], event["lukasz"])).scan
        kiosk.client.contact()
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(scans))}
            offset = q_kiosks.get_kiosk(conn, rows[first.id].kiosk_id)["clock_offset_ms"]
        now = datetime.now(UTC)
        for scan in (first, second):
            row = rows[scan.id]
            assert row.wall_time == scan.wall_time  # the kiosk's own claim is kept
            assert abs(row.scan_time - now) < timedelta(seconds=10)  # and corrected
        gap = rows[second.id].scan_time - rows[first.id].scan_time
        assert timedelta(seconds=0.25) < gap < timedelta(seconds=1)
        assert abs(offset - skew.total_seconds() * 1000) < 5000
    finally:
        kiosk.close()


def test_scans_of_a_boot_the_admin_never_heard_from_are_marked_estimated(
        engine, app, served, event, tmp_path):
    # The kiosk checked people in, then lost power before any contact; it came back up
    # (a new boot, a new monotonic clock). Those earlier scans can only be timed by the
    # kiosk's present clock offset: they are kept, and marked as estimated.
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        earlier = kiosk.checkin.scan(token(engine, event["id"], event["anna"])).scan
        earlier = earlier.model_copy(update={"id": "e" * 32, "boot_id": "an-earlier-boot"})
        with kiosk.store.write() as db:
            kiosk.store.insert_scan(db, earlier, earlier.wall_time.date())
        now = kiosk.checkin.scan(token(engine, event["id"], event["lukasz"])).scan
        kiosk.client.contact()
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(select(scans))}
        assert rows[earlier.id].time_estimated is True
        assert abs(rows[earlier.id].scan_time - earlier.wall_time) < timedelta(seconds=5)
        assert rows[now.id].time_estimated is False
        person = rows[earlier.id].attendee_id
        make_user(app, "wolontariusz", "volunteer")
        desk = Client(app.test_client())
        desk.login("wolontariusz")
        page = desk.get(f"/people/{person}").get_data(as_text=True)
        assert "≈" in page and "czas szacowany" in page
    finally:
        kiosk.close()


def test_two_offline_kiosks_admit_the_same_person_and_the_dashboard_flags_it(
        engine, served, event, tmp_path):
    a = enroll(engine, served, event["id"], tmp_path, "Wejście A")
    b = enroll(engine, served, event["id"], tmp_path, "Wejście B")
    try:
        a.client.contact()
        b.client.contact()
        anna = token(engine, event["id"], event["anna"])
        assert a.checkin.scan(anna).scan.result == "ok"  # both offline: each admits her
        assert b.checkin.scan(anna).scan.result == "ok"
        a.client.contact()
        b.client.contact()
        with engine.connect() as conn:
            data = dashboard_data(conn, event["id"], datetime.now(UTC))
            stored = conn.execute(select(func.count()).select_from(scans)).scalar()
        assert stored == 2
        assert [d["name"] for d in data["duplicates"]] == ["Anna Kowalska"]
        assert {data["duplicates"][0]["first_kiosk"], data["duplicates"][0]["kiosk"]} == {
            "Wejście A", "Wejście B"}
    finally:
        a.close()
        b.close()


def test_revoked_kiosk_is_refused_and_wipes_its_roster(engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        assert kiosk.store.reader.roster_size() == 2
        with engine.begin() as conn:
            q_sync.revoke(conn, kiosk.store.reader.get_meta("sync_kiosk_id"))
        with pytest.raises(SyncRejected) as info:
            kiosk.client.contact()
        assert info.value.code == "kiosk_revoked" and info.value.status == 403
        kiosk.client.start()
        deadline = time.monotonic() + 10
        while kiosk.client.state.status != "revoked" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (kiosk.client.state.status, kiosk.client.state.code) == ("revoked", "kiosk_revoked")
        assert kiosk.store.reader.roster_size() == 0 and kiosk.store.reader.event() is None
    finally:
        kiosk.close()


def test_health_and_reprint_commands(engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        kiosk_id = kiosk.store.reader.get_meta("sync_kiosk_id")
        with engine.begin() as conn:
            conn.execute(insert(kiosk_commands).values(
                kiosk_id=kiosk_id, kind="reprint", status="pending", created_at=datetime.now(UTC),
                payload=json.dumps({"attendee_id": event["anna"], "badge": {
                    "name": "Anna Kowalska", "institution": "MOPS Kraków",
                    "role": "participant", "token": token(engine, event["id"], event["anna"])}})))
        kiosk.client.contact()  # delivers the command
        kiosk.client.contact()  # reports it done (and the command is not run twice)
        assert [c.badge.name for c in kiosk.commands] == ["Anna Kowalska"]
        with engine.connect() as conn:
            status = conn.execute(select(kiosk_commands.c.status)).scalar()
        assert status == "done"
    finally:
        kiosk.close()


# -- refusals -------------------------------------------------------------------------------


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_malformed_unauthenticated_and_oversized_requests(engine, served, event, tmp_path):
    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        auth = {"Authorization": f"Bearer {kiosk.client.token}",
                "Content-Type": "application/json"}
        url = f"{served}{BASE_PATH}/scans"
        good = {"protocol": PROTOCOL, "clock": {"boot_id": "b", "monotonic_ns": 1,
                                         "wall_time": "2026-06-16T08:00:00Z"}, "scans": []}
        assert post(url, json.dumps(good).encode(), auth)[0] == 200
        cases = [
            (json.dumps(good).encode(), {"Content-Type": "application/json"}, 401,
             "unauthenticated"),
            (b"{not json", auth, 400, "bad_request"),
            (b"\x1f\x8b garbage", {**auth, "Content-Encoding": "gzip"}, 400, "bad_request"),
            (json.dumps({**good, "protocol": PROTOCOL + 1}).encode(), auth, 426,
             "protocol_unsupported"),
            (json.dumps({**good, "scans": [{"id": "x"}]}).encode(), auth, 400, "bad_request"),
            (gzip.compress(b" " * (9 * 1024 * 1024)), {**auth, "Content-Encoding": "gzip"},
             413, "too_large"),
        ]
        for body, headers, status, code in cases:
            got_status, got = post(url, body, headers)
            assert (got_status, got["error"]) == (status, code), got
            assert got["message"]["pl"] and got["message"]["en"]
        # A batch with one bad scan applies nothing.
        scan = kiosk.checkin.scan(token(engine, event["id"], event["anna"])).scan
        bad = {**good, "scans": [json.loads(scan.model_dump_json()),
                                 {**json.loads(scan.model_dump_json()), "id": "nothex"}]}
        assert post(url, json.dumps(bad).encode(), auth)[0] == 400
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(scans)).scalar() == 0
    finally:
        kiosk.close()


def test_a_change_during_a_roster_build_is_never_lost_by_a_delta(engine, event, tmp_path,
                                                                  monkeypatch):
    """The admin reads the roster in several statements. An organizer's change landing
    between them must not leave a snapshot kept under version n that holds version n + 1:
    a kiosk that got version n from a request running beside it would then be sent a delta
    from the wrong base, and miss the change for good (here, a cancellation)."""
    from admin import sync_roster

    versions = sync_roster.RosterVersions(tmp_path / "versions")
    real = sync_roster.build_snapshot

    def organizer_edits_meanwhile(conn: Any, event_id: int) -> Any:
        monkeypatch.setattr(sync_roster, "build_snapshot", real)
        with engine.begin() as other:
            q_people.update_person(other, event["lukasz"], {"status": "cancelled"}, "ola")
        return real(conn, event_id)

    with engine.connect() as conn:
        beside = real(conn, event["id"])  # what a kiosk served by another thread got
        monkeypatch.setattr(sync_roster, "build_snapshot", organizer_edits_meanwhile)
        versions.current(conn, event["id"])
        answer = sync_roster.roster_for(versions, conn, event["id"], beside.cursor)
    status = {a.id: a.status for a in beside.attendees}
    status.update({a.id: a.status for a in answer.attendees})
    assert answer.cursor.split("-")[0] == str(int(beside.cursor) + 1)
    assert status[event["lukasz"]] == "cancelled"


def test_enrollment_by_showing_the_admin_qr_to_the_kiosk_camera(engine, served, event,
                                                                tmp_path):
    from admin.kiosk_views import enrollment_qr
    from kiosk.runtime import KioskRuntime

    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście B", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
    text, png = enrollment_qr(served + "/", code)
    assert png.startswith("data:image/png;base64,")
    runtime = KioskRuntime(load_settings(None, {
        "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "qr-kiosk"), "BRAMKA_PRINTER__BACKEND": "none",
        "BRAMKA_SYNC__INTERVAL_SECONDS": "0.2"}))
    sub = runtime.bus.subscribe()
    try:
        runtime.start_devices(camera=False)  # sync thread runs, not enrolled yet
        runtime.on_code(text)  # what the scanner hands over when the QR is in view
        deadline = time.monotonic() + 15
        while runtime.store.reader.roster_size() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert runtime.store.reader.roster_size() == 2  # enrolled and synced, no restart
        screens = []
        while not sub.queue.empty():
            kind, data = sub.queue.get_nowait()
            if kind == "scan":
                screens.append(data["title"]["en"])
        assert "Kiosk enrolled" in screens
        assert runtime.store.reader.count_scans() == 0  # the code is not a scan
    finally:
        runtime.stop()


def test_a_wrong_enrollment_qr_is_explained_on_screen_in_both_languages(
        served, tmp_path):
    from admin.kiosk_views import enrollment_qr
    from kiosk.runtime import KioskRuntime

    runtime = KioskRuntime(load_settings(None, {
        "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "qr-kiosk"), "BRAMKA_PRINTER__BACKEND": "none"}))
    sub = runtime.bus.subscribe()
    try:
        runtime._enroll_from_qr(enrollment_qr(served + "/", "WRNG-CODE")[0])
        kind, data = sub.queue.get(timeout=5)
        assert data["title"] == {"pl": "Rejestracja stanowiska nieudana",
                                 "en": "Kiosk enrollment failed"}
        assert "wygasł" in data["detail"]["pl"] and "expired" in data["detail"]["en"]
        assert runtime.store.reader.get_meta("sync_token") is None
    finally:
        runtime.stop()


def test_an_enrolled_kiosk_ignores_enrollment_codes_shown_to_its_camera(
        engine, served, event, tmp_path):
    """The camera faces the public: a QR must never move a kiosk to another admin."""
    from admin.kiosk_views import enrollment_qr
    from kiosk.runtime import KioskRuntime

    kiosk = enroll(engine, served, event["id"], tmp_path)
    token_before = kiosk.client.token
    kiosk.close()
    with engine.begin() as conn:
        other = q_sync.create_kiosk(conn, event["id"], "Obcy", "entrance", "")
        code = q_sync.new_enrollment(conn, other)
    runtime = KioskRuntime(kiosk.settings)
    sub = runtime.bus.subscribe()
    try:
        runtime._enroll_from_qr(enrollment_qr("http://127.0.0.1:9/", code)[0])
        assert runtime.store.reader.get_meta("sync_token") == token_before
        kind, data = sub.queue.get(timeout=2)
        assert data["title"]["en"] == "This kiosk is already enrolled"
    finally:
        runtime.stop()


def test_event_edits_reach_the_kiosks(engine, served, event, tmp_path):
    from datetime import date

    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        with engine.begin() as conn:
            q_events.update_event(conn, event["id"], "Kongres (nowa nazwa)", date(2026, 6, 16),
                                  date(2026, 6, 18))
        assert kiosk.client.contact().roster_applied
        assert kiosk.store.reader.event().name == "Kongres (nowa nazwa)"
        assert kiosk.store.reader.event().starts_on == date(2026, 6, 16)
    finally:
        kiosk.close()


def test_re_enrolling_into_another_event_starts_clean(engine, served, event, tmp_path):
    from datetime import date

    kiosk = enroll(engine, served, event["id"], tmp_path)
    try:
        kiosk.client.contact()
        with engine.begin() as conn:
            other = q_events.create_event(conn, "Konferencja w Jarocinie", date(2026, 9, 1),
                                          date(2026, 9, 2))
        add_person(engine, other, "Jan", "Nowak", "CUS Jarocin")
        with engine.begin() as conn:
            kiosk_id = q_sync.create_kiosk(conn, other, "Jarocin", "entrance", "")
            code = q_sync.new_enrollment(conn, kiosk_id)
        kiosk.store.set_meta("sync_commands_done", '["1"]')
        kiosk.client.enroll(served, code)
        assert kiosk.store.reader.get_meta("sync_commands_done") is None
        assert kiosk.client.contact().roster_applied
        assert kiosk.store.reader.event().id == other and kiosk.store.reader.roster_size() == 1
    finally:
        kiosk.close()


def test_unknown_or_old_cursors_get_a_full_snapshot(engine, event, tmp_path):
    from admin import sync_roster

    versions = sync_roster.RosterVersions(tmp_path / "versions")
    with engine.connect() as conn:
        current = versions.current(conn, event["id"])
        for cursor in ("", "3", "3-0000000000000000", "../../etc/passwd", current.cursor):
            answer = sync_roster.roster_for(versions, conn, event["id"], cursor)
            assert answer.full == (cursor != current.cursor), cursor
    assert "-" in current.cursor


def test_a_slow_request_does_not_replace_a_better_clock_anchor(engine, event):
    from sync.clock import Anchor

    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "K", "entrance", "")
        t = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)
        q_sync.save_anchor(conn, kiosk_id, Anchor("b", 10 * 10**9, t))
        # 5 s of monotonic time later, but it took 3 s to arrive: worse.
        q_sync.save_anchor(conn, kiosk_id, Anchor("b", 15 * 10**9, t + timedelta(seconds=8)))
        kept = q_sync.anchors(conn, kiosk_id, ["b"])["b"]
        assert kept.monotonic_ns == 10 * 10**9
        # A faster one replaces it.
        q_sync.save_anchor(conn, kiosk_id, Anchor("b", 20 * 10**9,
                                                  t + timedelta(seconds=9.9)))
        assert q_sync.anchors(conn, kiosk_id, ["b"])["b"].monotonic_ns == 20 * 10**9
