"""Attendance lists, certificates, formula injection, and the retention command."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date, timedelta
from pathlib import Path

from admin_fixtures import DAY2_10, add_person, make_event
from admin_scans import scan
from admin_testkit import Client
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from support import require_tool

from admin.cli import admin_group
from admin.retention import anonymous_summary, purge_expired
from admin.scans import record_scans
from admin.schema import audit_log, people, presence, scans
from admin.tabular import neutralize, to_csv

MIN = timedelta(minutes=1)


def _attended(engine: Engine) -> tuple[dict, list[int]]:
    ev = make_event(engine)
    ids = [
        add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków"),
        add_person(engine, ev["id"], "Zofia", "Wiśniewska", "=HYPERLINK(\"http://x\",\"y\")"),
        add_person(engine, ev["id"], "Anna", "Nowak", "+48 GOPS"),
    ]
    t = DAY2_10 - 50 * MIN  # 09:10 Warsaw, the plenary runs 09:00-12:00
    records = [scan(ev["id"], p, t + i * MIN, session_id=ev["plenary"], direction="in")
               for i, p in enumerate(ids)]
    records += [scan(ev["id"], ids[0], t + 60 * MIN, session_id=ev["plenary"], direction="out")]
    records += [scan(ev["id"], p, t - 20 * MIN) for p in ids]
    with engine.begin() as conn:
        record_scans(conn, records)
    return ev, ids


def test_neutralize() -> None:
    assert neutralize("=1+1") == "'=1+1"
    assert neutralize("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize("-2") == "'-2"
    assert neutralize("MOPS") == "MOPS" and neutralize(None) == ""
    rows = list(csv.reader(io.StringIO(to_csv(["a"], [["=cmd|' /C calc'!A0"]])
                                       .decode("utf-8-sig")), delimiter=";"))
    assert rows[1][0].startswith("'=")


def test_attendance_csv_and_xlsx(organizer: Client, engine: Engine) -> None:
    ev, _ = _attended(engine)
    resp = organizer.get(f"/sessions/{ev['plenary']}/attendance.csv")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig")), delimiter=";"))
    assert rows.pop()[0].startswith("# bramka-seal: {")  # sync.seal: the last line
    assert rows[0][:4] == ["Lp.", "Nazwisko", "Imię", "Instytucja"]
    by_name = {r[1]: r for r in rows[1:]}
    assert list(by_name) == ["Nowak", "Wiśniewska", "Wójcik"]
    assert by_name["Wójcik"][5] == "2026-06-16 09:10" and by_name["Wójcik"][6] == "2026-06-16 10:10"
    # Minutes present, capped to the plenary (09:00-12:00): Łukasz left at 10:10; the
    # others never scanned out, so they count to its end and the list says so.
    assert by_name["Wójcik"][7] == "60" and "bez wyjścia" not in by_name["Wójcik"][9]
    assert by_name["Nowak"][7] == "168" and "bez wyjścia" in by_name["Nowak"][9]
    assert by_name["Wiśniewska"][3].startswith("'=HYPERLINK")
    assert by_name["Nowak"][3] == "'+48 GOPS"
    resp = organizer.get(f"/sessions/{ev['plenary']}/attendance.xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    values = [[c.value for c in row] for row in ws.iter_rows(min_row=3)]
    assert [v[1] for v in values] == ["Nowak", "Wiśniewska", "Wójcik"]
    # The name as typed, without the CSV's safety quote, in a string cell: never a formula.
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    zofia = next(row for row in ws.iter_rows(min_row=3) if row[1].value == "Wiśniewska")
    assert (zofia[3].value, zofia[3].data_type) == ('=HYPERLINK("http://x","y")', "s")
    nowak = next(row for row in ws.iter_rows(min_row=3) if row[1].value == "Nowak")
    assert (nowak[3].value, nowak[3].data_type) == ("+48 GOPS", "s")
    csv_type = organizer.get(f"/sessions/{ev['plenary']}/attendance.csv").headers[
        "Content-Type"]
    assert csv_type == "text/csv; charset=utf-8"
    # Times, minutes and numbers are real cells: Łukasz came at 09:10 Warsaw, stayed 60 min.
    from datetime import datetime as naive
    wojcik = next(v for v in values if v[1] == "Wójcik")
    assert wojcik[0] == 3 and wojcik[5] == naive(2026, 6, 16, 9, 10) and wojcik[7] == 60


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "x.pdf"
    path.write_bytes(data)
    pdftotext = require_tool("pdftotext", "poppler-utils")
    return subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def test_attendance_pdf(organizer: Client, engine: Engine, tmp_path: Path) -> None:
    ev, _ = _attended(engine)
    resp = organizer.get(f"/sessions/{ev['plenary']}/attendance.pdf")
    assert resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    text = _pdf_text(resp.data, tmp_path)
    assert "Wójcik Łukasz" in text and "Sesja plenarna" in text and "Podpis" in text


def test_pdf_for_500_people_has_every_row(engine: Engine, tmp_path: Path) -> None:
    """Its speed is a benchmark (bench/bench_admin.py), not a timed test."""
    from admin.pdf import attendance_pdf

    rows = [(f"Nazwisko{i} Imię", "Miejski Ośrodek Pomocy Społecznej w Krakowie", "09:00",
             "12:00", str(180 - i % 7)) for i in range(500)]
    data = attendance_pdf("Kongres", "Sesja", "sala", rows, ["a", "b", "c", "d", "e", "f", "g"],
                          "x")
    assert data.startswith(b"%PDF")
    text = _pdf_text(data, tmp_path)
    assert "Nazwisko499 Imię" in text and "Nazwisko0 Imię" in text


def test_certificate_follows_the_events_rule(organizer: Client, engine: Engine,
                                             tmp_path: Path) -> None:
    """The rule is 80 % of a session by default: Anna (168 of 180 minutes) gets one,
    Łukasz (60 minutes) does not until the organizer lowers it to 30 %."""
    ev, ids = _attended(engine)
    lukasz, anna = ids[0], ids[2]
    resp = organizer.get(f"/people/{anna}/certificate.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    text = _pdf_text(resp.data, tmp_path)
    assert "ZAŚWIADCZENIE" in text and "Anna Nowak" in text and "Sesja plenarna" in text
    assert "168 min obecności" in text and "09:00–12:00" in text and "2 h 48 min" in text
    assert "(a)" not in text
    refused = organizer.get(f"/people/{lukasz}/certificate.pdf")
    assert refused.status_code == 409 and "80 %" in refused.get_data(as_text=True)
    organizer.post(f"/events/{ev['id']}/certificate-rule", {"min_percent": "30",
                                                             "basis": "session"})
    resp = organizer.get(f"/people/{lukasz}/certificate.pdf")
    assert resp.status_code == 200
    assert "60 min obecności" in _pdf_text(resp.data, tmp_path)
    page = organizer.get(f"/events/{ev['id']}/exports").get_data(as_text=True)
    assert 'value="30"' in page
    bad = organizer.post(f"/events/{ev['id']}/certificate-rule", {"min_percent": "120",
                                                                   "basis": "session"})
    assert "0 do 100" in organizer.get(bad.headers["Location"]).get_data(as_text=True)
    nobody = add_person(engine, ev["id"], "Nie", "Był")
    assert organizer.get(f"/people/{nobody}/certificate.pdf").status_code == 409


def test_retention_deletes_people_and_keeps_counts(engine: Engine, organizer: Client) -> None:
    ev, ids = _attended(engine)
    with engine.begin() as conn:
        assert purge_expired(conn, date(2026, 7, 1), retention_days=30) == []
        purged = purge_expired(conn, date(2026, 7, 20), retention_days=30)
    assert [(p.event_id, p.people) for p in purged] == [(ev["id"], 3)]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(presence)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(audit_log)
                            .where(audit_log.c.event_id == ev["id"])).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(scans)
                            .where(scans.c.attendee_id.is_not(None))).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(scans)).scalar_one() == 7
        counts = {c["label"]: (c["registered"], c["attended"])
                  for c in anonymous_summary(conn, ev["id"])}
    assert counts["*"] == (3, 3) and counts["Sesja plenarna"] == (0, 3)
    assert counts["day 2026-06-16"] == (3, 3)
    page = organizer.get(f"/events/{ev['id']}").get_data(as_text=True)
    assert "Dane osobowe usunięto" in page and "Wójcik" not in page
    with engine.begin() as conn:  # a second run has nothing left to do
        assert purge_expired(conn, date(2026, 7, 20), retention_days=30) == []


def test_retention_command(tmp_path: Path, db_url: str, engine: Engine) -> None:
    ev, _ = _attended(engine)
    config = tmp_path / "config.toml"
    config.write_text(f'[admin]\ndatabase_url = "{db_url}"\nretention_days = 0\n'
                      f'data_dir = "{tmp_path}"\n')
    result = CliRunner().invoke(admin_group, ["--config", str(config), "retention", "--dry-run"])
    assert result.exit_code == 0 and "would delete personal data of 3 people" in result.output
    result = CliRunner().invoke(admin_group, ["--config", str(config), "retention"])
    assert result.exit_code == 0 and f"event {ev['id']}" in result.output
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(people)).scalar_one() == 0


def test_signin_sheet_lists_everyone_registered_and_wraps_long_names(
        organizer: Client, engine: Engine, tmp_path: Path) -> None:
    from admin.queries import program as q_program

    ev = make_event(engine)
    long_name = ("Miejsko-Gminny Ośrodek Pomocy Społecznej im. św. Brata Alberta "
                 "w Szczawnicy, Dział Wsparcia Rodziny i Pieczy Zastępczej")
    a = add_person(engine, ev["id"], "Anna", "Kowalska", long_name)
    add_person(engine, ev["id"], "Jan", "Niezapisany", "GOPS")
    with engine.begin() as conn:
        q_program.change_registration(conn, ev["workshop"], a, "ola")
    resp = organizer.get(f"/sessions/{ev['workshop']}/signin.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    text = _pdf_text(resp.data, tmp_path)
    assert "Lista obecności" in text and "Podpis" in text and "Kowalska Anna" in text
    assert "Niezapisany" not in text  # the workshop takes registrations: only those
    words = " ".join(text.split())
    assert "Pieczy Zastępczej" in words and "…" not in text  # wrapped, not cut
    plenary = _pdf_text(organizer.get(f"/sessions/{ev['plenary']}/signin.pdf").data, tmp_path)
    assert "Niezapisany Jan" in plenary  # no registrations: every participant


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (0, 51, 153)).save(buf, format="PNG")
    return buf.getvalue()


def test_funding_logo_strip_goes_on_lists_and_certificates(organizer: Client,
                                                           engine: Engine) -> None:
    ev, ids = _attended(engine)
    before = organizer.get(f"/sessions/{ev['plenary']}/attendance.pdf").data
    assert b"/Subtype /Image" not in before
    for bad, message in ((b"not an image", "nie jest obraz PNG"), (_png(50, 200), "poziomy")):
        resp = organizer.raw.post(f"/events/{ev['id']}/logo", data={
            "csrf_token": organizer.csrf(), "logo": (io.BytesIO(bad), "logo.png")},
            content_type="multipart/form-data")
        assert message in organizer.get(resp.headers["Location"]).get_data(as_text=True)
    resp = organizer.raw.post(f"/events/{ev['id']}/logo", data={
        "csrf_token": organizer.csrf(), "logo": (io.BytesIO(_png(1200, 150)), "logo.png")},
        content_type="multipart/form-data")
    page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "1200×150" in page and 'id="logo-state"' in page
    for url in (f"/sessions/{ev['plenary']}/attendance.pdf",
                f"/sessions/{ev['plenary']}/signin.pdf", f"/people/{ids[2]}/certificate.pdf"):
        assert b"/Subtype /Image" in organizer.get(url).data, url


def test_all_certificates_as_one_zip_only_for_those_who_meet_the_rule(
        organizer: Client, engine: Engine) -> None:
    import zipfile

    ev, ids = _attended(engine)
    resp = organizer.get(f"/events/{ev['id']}/certificates.zip")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    names = sorted(zipfile.ZipFile(io.BytesIO(resp.data)).namelist())
    # 80 % of the plenary: Zofia (169 min) and Anna (168 min), not Łukasz (60 min).
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)
    assert any("nowak-anna" in n for n in names) and not any("wojcik" in n for n in names)


def test_the_person_page_shows_minutes_per_day(organizer: Client, engine: Engine) -> None:
    ev, ids = _attended(engine)
    page = organizer.get(f"/people/{ids[0]}").get_data(as_text=True)
    assert "16.06: 1 h 0 min" in page  # Łukasz: 09:10-10:10 in the plenary
    page = organizer.get(f"/people/{ids[2]}").get_data(as_text=True)
    assert "16.06: 2 h 48 min (bez wyjścia)" in page


def test_lists_are_in_polish_alphabetical_order(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    ids = [add_person(engine, ev["id"], "Ola", last) for last in ("Zalewska", "Łabuda", "Lis")]
    with engine.begin() as conn:
        record_scans(conn, [scan(ev["id"], p, DAY2_10 - 50 * MIN, session_id=ev["plenary"],
                                 direction="in") for p in ids])
    text = organizer.get(f"/sessions/{ev['plenary']}/attendance.csv").get_data(as_text=True)
    order = [text.index(name) for name in ("Lis", "Łabuda", "Zalewska")]
    assert order == sorted(order)


def test_the_certificate_link_is_offered_only_to_those_who_earned_one(
        organizer: Client, engine: Engine) -> None:
    ev, ids = _attended(engine)  # Łukasz left after an hour: under the 80 % rule
    absent = add_person(engine, ev["id"], "Jan", "Nieobecny")
    for person, offered in ((ids[1], True), (ids[0], False), (absent, False)):
        page = organizer.get(f"/people/{person}").get_data(as_text=True)
        assert ('id="certificate-link"' in page) is offered, person
        assert ('id="no-certificate"' in page) is not offered
