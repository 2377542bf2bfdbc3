"""Documents benchmark: minutes present for a 20 000-person list, 500 certificates as a ZIP.

    .venv/bin/python bench/bench_documents.py

SQLite in a temp dir. 1. An event of 20 000 people in one plenary, each with an entry and
most with an exit (80 000 scans with a coffee break): the attendance list with everyone's
minutes present (``admin.queries.attendance.attendance_list``), target <= 2 s. 2. An event
of 500 who all meet the certificate rule: ``/events/N/certificates.zip`` through the HTTP
route (Flask test client, logged in), target <= 30 s.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from admin import create_app  # noqa: E402
from admin.queries import attendance as q_attendance  # noqa: E402
from admin.queries import events as q_events  # noqa: E402
from admin.queries import program as q_program  # noqa: E402
from admin.queries.users import create_user  # noqa: E402
from admin.scans import record_scans  # noqa: E402
from admin.schema import people, utcnow  # noqa: E402
from bench.common import write_result  # noqa: E402
from bramka.config import AdminSettings  # noqa: E402
from sync.scans import ScanRecord  # noqa: E402

TARGETS = {"minutes_20k_s": 2.0, "certificates_500_s": 30.0}
START = datetime(2026, 6, 16, 7, 0, tzinfo=UTC)


def _event(conn, n: int) -> tuple[int, int, list[int]]:  # type: ignore[no-untyped-def]
    event_id = q_events.create_event(conn, "Kongres", date(2026, 6, 16), date(2026, 6, 16))
    venue = q_program.add_venue(conn, event_id, "Hala", "")
    room = q_program.add_room(conn, venue, "Aula", None)
    session = q_program.add_session(conn, event_id, {
        "title": "Sesja plenarna", "kind": "session", "room_id": room, "starts_at": START,
        "ends_at": START + timedelta(hours=3), "capacity": None})
    now = utcnow()
    conn.execute(insert(people), [{
        "event_id": event_id, "first_name": f"Imię{i}", "last_name": f"Nazwisko{i:05d}",
        "institution": "Miejski Ośrodek Pomocy Społecznej", "created_at": now,
        "updated_at": now} for i in range(n)])
    ids = [r[0] for r in conn.exec_driver_sql(
        "SELECT id FROM people WHERE event_id = ? ORDER BY id", (event_id,))]
    return event_id, session, ids


def _scans(event_id: int, session: int, ids: list[int], seed: int) -> list[ScanRecord]:
    rnd = random.Random(seed)
    out = []
    for pid in ids:
        t = START + timedelta(minutes=rnd.randint(-20, 10))
        moves = [(t, "in")]
        if rnd.random() < 0.9:  # a coffee break and back
            out_at = START + timedelta(minutes=rnd.randint(80, 90))
            moves += [(out_at, "out"), (out_at + timedelta(minutes=15), "in")]
        if rnd.random() < 0.8:
            moves.append((START + timedelta(minutes=rnd.randint(170, 185)), "out"))
        out += [ScanRecord(id=uuid.uuid4().hex, kiosk_id="aula", event_id=event_id,
                           attendee_id=pid, badge_revision=1, session_id=session,
                           direction=d, result="ok", admitted=True, wall_time=w,
                           monotonic_ns=10**9, boot_id="b") for w, d in moves]
    return out


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bramka-bench-docs-"))
    app = create_app(AdminSettings(database_url=f"sqlite:///{tmp / 'admin.db'}",
                                   data_dir=tmp), {"TESTING": True,
                                                   "FAST_PASSWORD_HASH": True})
    engine = app.extensions["bramka_db"]
    with engine.begin() as conn:
        big, big_session, big_ids = _event(conn, 20_000)
        record_scans(conn, _scans(big, big_session, big_ids, 1))
        small, small_session, small_ids = _event(conn, 500)
        record_scans(conn, [s for s in _scans(small, small_session, small_ids, 2)
                            if s.direction == "in"])  # no exits: to the end, all qualify
        create_user(conn, "ola", "ola-bench-haslo", "organizer", fast_hash=True)
    started = time.perf_counter()
    with engine.connect() as conn:
        _, rows = q_attendance.attendance_list(conn, big_session)
    minutes_s = time.perf_counter() - started
    assert len(rows) == 20_000 and all(0 < r["minutes"] <= 180 for r in rows)
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as sess:
        csrf = sess["_csrf"]
    client.post("/login", data={"username": "ola", "password": "ola-bench-haslo",
                                "csrf_token": csrf})
    started = time.perf_counter()
    resp = client.get(f"/events/{small}/certificates.zip")
    certificates_s = time.perf_counter() - started
    assert resp.status_code == 200 and resp.mimetype == "application/zip", resp.status_code
    import io
    import zipfile
    count = len(zipfile.ZipFile(io.BytesIO(resp.data)).namelist())
    assert count == 500, count
    results = {"minutes_20k_s": round(minutes_s, 2), "certificates_500_s":
               round(certificates_s, 2), "zip_bytes": len(resp.data)}
    print(f"minutes present, 20 000-person list: {results['minutes_20k_s']} s; "
          f"500 certificates as a ZIP: {results['certificates_500_s']} s", flush=True)
    engine.dispose()
    write_result("documents", {"targets": TARGETS, "results": results})
    return 0 if all(results[k] <= v for k, v in TARGETS.items()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
