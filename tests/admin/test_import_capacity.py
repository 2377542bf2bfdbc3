"""An import that would fill a 30-seat workshop with 35 people: the preview says so and
the organizer chooses a waiting list (the first 30 by the sheet's order get the seats) or
over capacity on purpose; nothing is filled past its seats without a word."""

from __future__ import annotations

import dataclasses
import io
import re
from typing import Any

from admin_fixtures import make_event
from admin_testkit import Client
from flask import Flask
from sqlalchemy import Engine, func, select, update

from admin import sample_data
from admin.import_capacity import waiting
from admin.schema import people, registrations, sessions, waitlist


def _sheet(n: int) -> bytes:
    regs = [dataclasses.replace(r, workshops="Warsztat: piecza zastępcza")
            for r in sample_data.registrants(n)]
    return sample_data.google_forms_csv(regs)


def _preview(organizer: Client, ev: dict[str, Any], n: int) -> tuple[str, str]:
    resp = organizer.post(f"/events/{ev['id']}/import",
                          {"file": (io.BytesIO(_sheet(n)), "Formularz.csv")},
                          content_type="multipart/form-data")
    page = resp.get_data(as_text=True)
    token = re.search(r"/import/([0-9a-f]{32})", page).group(1)  # type: ignore[union-attr]
    return page, token


def _counts(engine: Engine, session_id: int) -> tuple[int, int]:
    with engine.connect() as conn:
        seated = conn.execute(select(func.count()).select_from(registrations).where(
            registrations.c.session_id == session_id)).scalar_one()
        queued = conn.execute(select(func.count()).select_from(waitlist).where(
            waitlist.c.session_id == session_id)).scalar_one()
    return seated, queued


def _workshop_of_30(engine: Engine) -> dict[str, Any]:
    ev = make_event(engine)
    with engine.begin() as conn:
        conn.execute(update(sessions).where(sessions.c.id == ev["workshop"]).values(
            capacity=30))
    return ev


def test_the_preview_names_the_full_session_and_the_waiting_list_keeps_the_first_comers(
        app: Flask, organizer: Client, engine: Engine) -> None:
    app.config["JOBS_JOIN"] = True
    ev = _workshop_of_30(engine)
    page, token = _preview(organizer, ev, 35)
    table = page[page.index('id="over-capacity"'):]
    assert "Warsztat: piecza zastępcza" in table
    assert "zapisz pierwszych 30, pozostałych 5 na listę rezerwową" in table
    assert f'name="cap_{ev["workshop"]}" value="waitlist" checked' in table  # the default
    resp = organizer.post(f"/events/{ev['id']}/import/{token}", {
        "action": "import", f"cap_{ev['workshop']}": "waitlist"})
    status = organizer.get(resp.headers["Location"] + ".json").get_json()
    assert status["status"] == "done" and status["result"]["waitlisted"] == 5, status
    assert _counts(engine, ev["workshop"]) == (30, 5)
    # The first 30 rows of the sheet got the seats; rows 31-35 wait, in that order.
    regs = sample_data.registrants(35)
    with engine.connect() as conn:
        emails = dict(conn.execute(select(people.c.id, people.c.email)).all())
        queue = [emails[w["id"]] for w in waiting(conn, ev["workshop"])]
    assert queue == [r.email for r in regs[30:]]
    page = organizer.get(f"/sessions/{ev['workshop']}/registrations").get_data(as_text=True)
    assert 'id="waitlist"' in page and "30</strong> / 30" in page


def test_over_capacity_on_purpose_registers_everyone(app: Flask, organizer: Client,
                                                      engine: Engine) -> None:
    app.config["JOBS_JOIN"] = True
    ev = _workshop_of_30(engine)
    _page, token = _preview(organizer, ev, 35)
    organizer.post(f"/events/{ev['id']}/import/{token}", {
        "action": "import", f"cap_{ev['workshop']}": "accept"})
    assert _counts(engine, ev["workshop"]) == (35, 0)


def test_the_command_line_import_waits_list_by_default_and_says_so(
        tmp_path: Any, db_url: str, engine: Engine) -> None:
    from click.testing import CliRunner

    from admin.cli import admin_group

    ev = _workshop_of_30(engine)
    config = tmp_path / "admin.toml"
    config.write_text(f'[admin]\ndatabase_url = "{db_url}"\ndata_dir = "{tmp_path / "d"}"\n')
    sheet = tmp_path / "formularz.csv"
    sheet.write_bytes(_sheet(35))
    result = CliRunner().invoke(admin_group, ["--config", str(config), "import", str(sheet),
                                              "--event", str(ev["id"])])
    assert result.exit_code == 0, result.output
    assert "over capacity: 'Warsztat: piecza zastępcza' has 30 seats" in result.output
    assert "waiting lists: 5" in result.output
    assert _counts(engine, ev["workshop"]) == (30, 5)
