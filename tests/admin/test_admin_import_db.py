"""Imports into the database: pages, atomicity, re-import, registrations, 20 000 rows."""

from __future__ import annotations

import io
import re
import time

import pytest
from admin_fixtures import make_event
from admin_testkit import Client
from flask import Flask
from sqlalchemy import Engine, func, select

from admin import sample_data
from admin.importer import ImportFileError
from admin.queries.importing import run_import
from admin.schema import badge_revisions, people, registrations, waitlist


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_import_then_reimport_updates_instead_of_duplicating(engine: Engine) -> None:
    ev = make_event(engine)
    regs = sample_data.registrants(40)
    with engine.begin() as conn:
        first = run_import(conn, ev["id"], sample_data.google_forms_csv(regs), "a.csv")
    assert first.summary()["created"] == 40 and len(first.created_ids) == 40
    assert _count(engine, people) == 40 and _count(engine, badge_revisions) == 40
    workshop_regs = _count(engine, registrations)
    # Every request is a registration, or (the 2-seat workshop is full) a waiting-list place.
    assert workshop_regs + _count(engine, waitlist) == sum(
        len([w for w in r.workshops.split(", ") if w]) for r in regs)
    assert _count(engine, waitlist) == first.summary()["waitlisted"] > 0
    waiting = _count(engine, waitlist)
    # The same people again from Polish Excel, one with a corrected institution.
    changed = regs[:3] + [regs[3].__class__(**{**regs[3].__dict__, "institution": "DPS Bochnia"})]
    with engine.begin() as conn:
        again = run_import(conn, ev["id"], sample_data.polish_excel_csv(changed + regs[4:]), "b")
    assert again.summary()["created"] == 0
    assert again.summary()["updated"] == 1
    assert _count(engine, people) == 40 and _count(engine, registrations) == workshop_regs
    assert _count(engine, waitlist) == waiting  # nobody queued twice
    with engine.connect() as conn:
        inst = conn.execute(select(people.c.institution)
                            .where(people.c.email == regs[3].email)).scalar_one()
    assert inst == "DPS Bochnia"


def test_dry_run_writes_nothing(engine: Engine) -> None:
    ev = make_event(engine)
    with engine.begin() as conn:
        result = run_import(conn, ev["id"], sample_data.google_forms_csv(
            sample_data.registrants(5)), "a.csv", dry_run=True)
    assert result.summary()["created"] == 5 and not result.applied
    assert _count(engine, people) == 0


def test_failure_mid_import_leaves_nothing_behind(engine: Engine) -> None:
    ev = make_event(engine)
    data = sample_data.google_forms_csv(sample_data.registrants(1200))

    def explode(done: int, total: int) -> None:
        if done >= 500:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError), engine.begin() as conn:
        run_import(conn, ev["id"], data, "a.csv", progress=explode)
    assert _count(engine, people) == 0 and _count(engine, badge_revisions) == 0


def test_unusable_file_changes_nothing(engine: Engine) -> None:
    ev = make_event(engine)
    with pytest.raises(ImportFileError), engine.begin() as conn:
        run_import(conn, ev["id"], b"Kolor;Smak\nczerwony;slodki\n", "a.csv")
    assert _count(engine, people) == 0


def test_twenty_thousand_rows(engine: Engine) -> None:
    ev = make_event(engine)
    data = sample_data.polish_excel_csv(sample_data.registrants(20_000))
    with engine.begin() as conn:  # its speed is a benchmark (bench/bench_admin.py, import)
        result = run_import(conn, ev["id"], data, "big.csv")
    assert result.summary()["created"] == 20_000
    assert _count(engine, people) == 20_000


def test_import_pages_preview_then_import(app: Flask, organizer: Client, engine: Engine) -> None:
    app.config["JOBS_JOIN"] = True
    ev = make_event(engine)
    text = ("Imię;Nazwisko;Adres e-mail;Instytucja;Warsztaty\n"
            "Łukasz;Wójcik;lukasz.wojcik@mops.krakow.pl;MOPS Kraków;Gra miejska po Podgórzu\n"
            "Anna;;anna@gops.pl;GOPS Gdów;\n")
    resp = organizer.post(f"/events/{ev['id']}/import",
                          {"file": (io.BytesIO(text.encode("cp1250")), "lista.csv")},
                          content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-k="created">1<' in page and 'data-k="rejected">1<' in page
    assert "brak nazwiska" in page and "<td>3</td>" in page
    assert _count(engine, people) == 0
    token = re.search(r"/import/([0-9a-f]{32})", page).group(1)  # type: ignore[union-attr]
    resp = organizer.post(f"/events/{ev['id']}/import/{token}", {
        "action": "import", "map_first_name": "1", "map_last_name": "2", "map_email": "3",
        "map_institution": "4", "map_sessions": "5"})
    assert resp.status_code == 302
    job_page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Zakończono" in job_page
    status = organizer.get(resp.headers["Location"] + ".json").get_json()
    assert status["status"] == "done" and status["result"]["created"] == 1
    assert status["done"] == status["total"] > 0
    assert _count(engine, people) == 1 and _count(engine, registrations) == 1


def test_unrecognized_columns_ask_for_a_mapping(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    text = "Uczestnik - imię,Uczestnik - nazwisko,Skąd\nAnna,Nowak,GOPS Gdów\n"
    resp = organizer.post(f"/events/{ev['id']}/import",
                          {"file": (io.BytesIO(text.encode()), "x.csv")},
                          content_type="multipart/form-data")
    # "imię" and "nazwisko" appear inside the headers, so this one is still guessed.
    assert resp.status_code == 200
    text = "Kto,Skąd\nAnna Nowak,GOPS Gdów\n"
    resp = organizer.post(f"/events/{ev['id']}/import",
                          {"file": (io.BytesIO(text.encode()), "x.csv")},
                          content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Wskaż je ręcznie" in page
    token = re.search(r"/import/([0-9a-f]{32})", page).group(1)  # type: ignore[union-attr]
    resp = organizer.post(f"/events/{ev['id']}/import/{token}",
                          {"action": "preview", "map_full_name": "1", "map_institution": "2"})
    assert 'data-k="created">1<' in resp.get_data(as_text=True)


def test_upload_token_cannot_escape(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    assert organizer.post(f"/events/{ev['id']}/import/..%2f..%2fetc",
                          {"action": "preview"}).status_code == 404


def test_uploads_left_unimported_are_pruned(app: Flask, organizer: Client,
                                            engine: Engine) -> None:
    import os
    from pathlib import Path

    ev = make_event(engine)
    uploads = Path(app.config["DATA_DIR"]) / "imports"
    uploads.mkdir(parents=True, exist_ok=True)
    old = uploads / ("0" * 32 + ".bin")
    old.write_bytes(b"Imie;Nazwisko\nJan;Stary\n")
    os.utime(old, (time.time() - 3 * 86400, time.time() - 3 * 86400))
    organizer.post(f"/events/{ev['id']}/import",
                   {"file": (io.BytesIO(b"Imie,Nazwisko\nAnna,Nowak\n"), "x.csv")},
                   content_type="multipart/form-data")
    assert not old.exists()
    assert len(list(uploads.glob("*.bin"))) == 1


def test_preview_lists_rejected_rows_by_sheet_row_and_number(organizer: Client,
                                                             engine: Engine) -> None:
    ev = make_event(engine)
    text = "Lp.;Imię;Nazwisko\n1;Anna;Nowak\n2;;\n3;Jan;\n"
    resp = organizer.post(f"/events/{ev['id']}/import",
                          {"file": (io.BytesIO(text.encode("cp1250")), "lista.csv")},
                          content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert 'data-k="created">1<' in page and 'data-k="rejected">1<' in page
    assert "<th>Lp.</th>" in page and "<td>4</td><td>3</td><td>brak nazwiska</td>" in page


def test_yes_no_side_event_columns_register_through_the_pages(app: Flask, organizer: Client,
                                                              engine: Engine) -> None:
    from datetime import UTC, datetime

    from test_admin_importer import FORMS_HEADERS, google_forms_with_choices

    from admin.queries import program as q_program

    app.config["JOBS_JOIN"] = True
    ev = make_event(engine)
    with engine.begin() as conn:
        visit = q_program.add_session(conn, ev["id"], {
            "title": "Wizyta studyjna w CUS Niepołomice (autokar)", "kind": "side_event",
            "room_id": ev["sala"], "starts_at": datetime(2026, 6, 17, 10, 0, tzinfo=UTC),
            "ends_at": datetime(2026, 6, 17, 15, 0, tzinfo=UTC), "capacity": 45,
            "registration_required": True})
    resp = organizer.post(f"/events/{ev['id']}/import",
                          {"file": (io.BytesIO(google_forms_with_choices()), "Formularz.csv")},
                          content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'class="flash warn column-note"' in page and "Czy potrzebujesz noclegu?" in page
    col = FORMS_HEADERS.index("Wizyta studyjna w CUS Niepołomice")
    assert re.search(rf'<select name="prog_{col}">.*?<option value="{visit}" selected>',
                     page, re.S)
    token = re.search(r"/import/([0-9a-f]{32})", page).group(1)  # type: ignore[union-attr]
    columns = re.search(r'name="program_columns" value="([0-9,]+)"', page).group(1)  # type: ignore[union-attr]
    # Unchecking the visit in the preview drops its 20 registrations from the plan...
    resp = organizer.post(f"/events/{ev['id']}/import/{token}", {
        "action": "preview", "program_columns": columns, f"prog_{col}": ""})
    without = int(re.search(r'data-k="registrations">(\d+)<',  # type: ignore[union-attr]
                            resp.get_data(as_text=True)).group(1))
    # ... and importing as guessed stores them.
    resp = organizer.post(f"/events/{ev['id']}/import/{token}", {
        "action": "import", "program_columns": columns, f"prog_{col}": str(visit)})
    status = organizer.get(resp.headers["Location"] + ".json").get_json()
    assert status["status"] == "done", status
    with engine.connect() as conn:
        on_visit = conn.execute(select(func.count()).select_from(registrations)
                                .where(registrations.c.session_id == visit)).scalar_one()
        total = conn.execute(select(func.count()).select_from(registrations)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(waitlist)).scalar_one()
    assert on_visit == 20 and total + queued == without + 20
