"""Certificates of attendance e-mailed through a real SMTP server (aiosmtpd): only to those
the event's rule gives one, each with their own PDF; a refused address is shown as failed;
run again, the mailing writes to nobody twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from admin_fixtures import DAY2_10, add_person, make_event
from admin_scans import scan
from admin_testkit import Client
from flask import Flask
from smtp_kit import Inbox
from sqlalchemy import Engine, select
from support import pdf_text

from admin.scans import record_scans
from admin.schema import people

MIN = timedelta(minutes=1)


def _event(engine: Engine) -> tuple[dict, dict[str, int]]:
    """The plenary runs 09:00-12:00 (Warsaw). Anna, Zofia and Jan stay to the end (the
    rule's 80 % met), Łukasz leaves after an hour (not met). Zofia's address bounces, Jan
    has none."""
    ev = make_event(engine)
    who = {
        "anna": add_person(engine, ev["id"], "Anna", "Kowalska", "MOPS Kraków", "anna@mops.pl"),
        "zofia": add_person(engine, ev["id"], "Zofia", "Wiśniewska", "DPS Bochnia",
                            "bounce-zofia@dps.pl"),
        "jan": add_person(engine, ev["id"], "Jan", "Lis", "GOPS Gdów"),
        "lukasz": add_person(engine, ev["id"], "Łukasz", "Wójcik", "PCPR", "lw@pcpr.pl"),
    }
    start = DAY2_10 - 60 * MIN  # 09:00 Warsaw
    records = [scan(ev["id"], p, start + 5 * MIN, session_id=ev["plenary"], direction="in")
               for p in who.values()]
    records.append(scan(ev["id"], who["lukasz"], start + 65 * MIN, session_id=ev["plenary"],
                        direction="out"))
    with engine.begin() as conn:
        record_scans(conn, records)
    return ev, who


def _states(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {r.first_name: r.certificate_status
                for r in conn.execute(select(people.c.first_name, people.c.certificate_status))}


def test_certificates_go_to_those_who_earned_one_and_nobody_twice(
        app: Flask, organizer: Client, engine: Engine, smtp: Inbox, tmp_path: Path) -> None:
    ev, _ = _event(engine)
    page = organizer.get(f"/events/{ev['id']}/exports").get_data(as_text=True)
    counts = page[page.index('id="certificate-mail-counts"'):]
    assert "spełnia zasadę: <strong>3</strong>" in counts
    assert "bez adresu e-mail: <strong>1</strong>" in counts

    resp = organizer.post(f"/events/{ev['id']}/certificates/mail", {})
    assert resp.status_code == 302 and "/certificates/jobs/" in resp.headers["Location"]
    job_page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Zakończono" in job_page, job_page[job_page.find("job-state"):][:600]

    assert smtp.recipients() == {"anna@mops.pl": 1}  # Zofia bounced, Jan has no address
    msg = smtp.messages[0]
    assert "Zaświadczenie o udziale" in str(msg["Subject"])
    text = msg.get_body(("plain",)).get_content()
    assert text.startswith("Dzień dobry,") and "Małopolski Kongres" in text
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "zaswiadczenie.pdf"
    pdf = pdf_text(attachment.get_content(), tmp_path)
    assert "Anna Kowalska" in pdf and "Sesja plenarna" in pdf and "Wójcik" not in pdf
    assert _states(engine) == {"Anna": "sent", "Zofia": "failed", "Jan": "none",
                               "Łukasz": "none"}

    # Run again: the failed one is tried again, the sent one is not mailed twice.
    organizer.post(f"/events/{ev['id']}/certificates/mail", {})
    assert smtp.recipients() == {"anna@mops.pl": 1}
    assert _states(engine)["Zofia"] == "failed"
    page = organizer.get(f"/events/{ev['id']}/exports").get_data(as_text=True)
    assert "wysłane: <strong>1</strong>" in page and "błędy: <strong>1</strong>" in page


def test_nobody_waiting_is_said_and_nothing_is_sent(
        app: Flask, organizer: Client, engine: Engine, smtp: Inbox) -> None:
    ev = make_event(engine)
    add_person(engine, ev["id"], "Ewa", "Nowak", "", "ewa@ops.pl")  # never attended
    resp = organizer.post(f"/events/{ev['id']}/certificates/mail", {})
    assert resp.status_code == 302
    page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Nie ma komu wysłać zaświadczeń" in page
    assert smtp.messages == []
