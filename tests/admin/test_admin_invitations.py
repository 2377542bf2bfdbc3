"""Invitations sent through a real SMTP server (aiosmtpd on 127.0.0.1): what the message
says and how it is built, connections reused, and a mailing killed mid-way and resumed
that mails nobody twice."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

from admin_fixtures import add_person, make_event
from admin_testkit import Client
from flask import Flask
from smtp_kit import Inbox, free_port
from sqlalchemy import Engine, insert, select, update

from admin.invitation_letter import Day, Invitation, Letter, Place, Registration
from admin.invitations import send_invitations
from admin.mailer import SmtpPool, compose_invitation
from admin.queries import events as q_events
from admin.queries import people as q_people
from admin.queries.events import public_keys
from admin.schema import people, registrations, utcnow
from sync.token import parse_public_key, verify

ROOT = Path(__file__).resolve().parents[2]




def _png(width: int = 530, height: int = 600) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


LETTER = Letter(
    "Małopolski Kongres Polityki Społecznej", "15–17.06.2026",
    (Day(date(2026, 6, 16), "9:00", (Place("Auditorium Maximum", "ul. Krupnicza 33"),)),),
    help_desk_pl="punkt informacyjny w holu", help_desk_en="the help desk in the hall",
    contact_email="kongres@rops.krakow.pl", contact_phone="12 422 06 36",
    bring_pl="dokument tożsamości", bring_en="an identity document")


def _structure(msg: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in msg.walk()]


def test_the_message_is_text_and_html_with_the_qr_inline() -> None:
    inv = Invitation("Łukasz Wójcik", "lw@mops.pl", "MOPS <Kraków>", _png(),
                     registrations=(Registration("Gra miejska po Podgórzu",
                                                 "17.06.2026, 14:00–16:00", "Sala 101"),))
    out = compose_invitation(LETTER, inv, "Kongres Polityki Społecznej <kongres@rops.krakow.pl>")
    assert (out.sender, out.rcpt) == ("kongres@rops.krakow.pl", "lw@mops.pl")
    msg = out.message()
    assert msg["From"] == "Kongres Polityki Społecznej <kongres@rops.krakow.pl>"
    assert msg["To"] == "Łukasz Wójcik <lw@mops.pl>"
    assert msg["Subject"] == LETTER.subject and msg["MIME-Version"] == "1.0"
    assert all(len(line) <= 78 for line in out.data.split(b"\r\n"))
    assert _structure(msg) == ["multipart/alternative", "text/plain", "multipart/related",
                               "text/html", "image/png"]
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")
    assert text.startswith("Dzień dobry,\n\n")
    for needed in ("wtorek 16.06.2026: pierwsza sesja o 9:00; Auditorium Maximum, "
                   "ul. Krupnicza 33",
                   "Tuesday 16 June 2026: first session at 9:00",
                   "- dokument tożsamości", "- an identity document",
                   "Na miejscu: punkt informacyjny w holu.",
                   "On site: the help desk in the hall.",
                   "kongres@rops.krakow.pl, tel. 12 422 06 36",
                   "Gra miejska po Podgórzu: 17.06.2026, 14:00–16:00, Sala 101",
                   "Hello Łukasz Wójcik,"):
        assert needed in text, needed
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content().replace("\r\n", "\n")
    png_part = next(p for p in msg.walk() if p.get_content_type() == "image/png")
    cid = str(png_part["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in html and png_part.get_filename() == "kod-qr.png"
    assert png_part.get_content_disposition() == "inline"
    assert "MOPS &lt;Kraków&gt;" in html and "MOPS <Kraków>" not in html
    assert '<p>Dzień dobry,</p>' in html and 'lang="en"' in html
    assert msg["Reply-To"] == "kongres@rops.krakow.pl" and msg["Date"]
    # A recipient address beyond ASCII goes out as UTF-8 (SMTPUTF8), not encoded words.
    utf8 = compose_invitation(LETTER, Invitation("Zoë", "zoë@dps.pl", "", _png()), "o@rops.pl")
    assert utf8.international and utf8.message()["To"] == "Zoë <zoë@dps.pl>"
    # With the printable page it all goes into multipart/mixed, the PDF last.
    with_pdf = compose_invitation(LETTER, Invitation("A B", "a@b.pl", "", _png(),
                                                     pdf=b"%PDF-1.4"), "org@rops.pl").message()
    assert _structure(with_pdf)[:2] == ["multipart/mixed", "multipart/alternative"]
    assert [p.get_filename() for p in with_pdf.iter_attachments()] == ["zaproszenie.pdf"]


def _details(organizer: Client, event_id: int) -> None:
    resp = organizer.post(f"/events/{event_id}/invitations/details", {
        "help_desk_pl": "punkt informacyjny w holu głównym",
        "help_desk_en": "the help desk in the main hall",
        "contact_email": "kongres@rops.krakow.pl", "contact_phone": "12 422 06 36",
        "bring_pl": "dokument tożsamości", "bring_en": "an identity document"})
    assert resp.status_code == 302


def test_send_all_then_resend(app: Flask, organizer: Client, engine: Engine,
                              smtp: Inbox) -> None:
    import zxingcpp
    from PIL import Image

    ev = make_event(engine)
    _details(organizer, ev["id"])
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków", "lw@mops.krakow.pl")
    with engine.begin() as conn:
        conn.execute(insert(registrations).values(session_id=ev["walk"], person_id=lw,
                                                  created_at=utcnow()))
    bad = add_person(engine, ev["id"], "Anna", "Nowak", "GOPS", "bounce@gops.pl")
    add_person(engine, ev["id"], "Bez", "Maila", "DPS")
    resp = organizer.post(f"/events/{ev['id']}/invitations", {"failed": "1"})
    assert resp.status_code == 302
    status = organizer.get(resp.headers["Location"] + ".json").get_json()
    assert status["status"] == "done"
    assert status["result"] == {"sent": 1, "failed": 1, "skipped": 0, "uncertain": 0}
    assert status["done"] == status["total"] == 2
    job_page = organizer.get(resp.headers["Location"]).get_data(as_text=True)
    assert 'data-job-key="sent">1<' in job_page and 'data-job-key="failed">1<' in job_page
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "Łukasz Wójcik <lw@mops.krakow.pl>"
    assert "Zaproszenie" in msg["Subject"] and "Invitation" in msg["Subject"]
    assert _structure(msg) == ["multipart/alternative", "text/plain", "multipart/related",
                               "text/html", "image/png"]
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content().replace("\r\n", "\n")  # as sent: CRLF line ends
    # The plenary starts at 7:00 UTC, 9:00 in Kraków; the person's side event is listed.
    assert text.startswith("Dzień dobry,\n")
    assert "pierwsza sesja o 9:00; Auditorium Maximum, ul. Krupnicza 33" in text
    assert "Gra miejska po Podgórzu: 17.06.2026, 14:00–16:00, Sala 101" in text
    assert "Na miejscu: punkt informacyjny w holu głównym." in text
    assert "- dokument tożsamości" in text and "12 422 06 36" in text
    # The inline PNG carries a valid badge code for this person.
    png = next(p for p in msg.walk() if p.get_content_type() == "image/png").get_content()
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    with engine.connect() as conn:
        keys = [parse_public_key(k) for k in public_keys(conn, ev["id"])]
        assert q_people.get_person(conn, lw)["invitation_status"] == "sent"
        failed = q_people.get_person(conn, bad)
    assert verify(decoded[0].text, keys, ev["id"]).attendee_id == lw
    assert failed["invitation_status"] == "failed" and "550" in failed["invitation_error"]
    page = organizer.get(f"/events/{ev['id']}/invitations").get_data(as_text=True)
    assert 'id="count-sent">1<' in page and 'id="count-failed">1<' in page
    assert "bounce@gops.pl" in page and 'value="12 422 06 36"' in page
    # Fix the address at the desk and resend to that one person; resend to a sent one too.
    organizer.post(f"/people/{bad}/edit", {"first_name": "Anna", "last_name": "Nowak",
                                           "email": "anna@gops.pl", "role": "participant"})
    resp = organizer.post(f"/people/{bad}/invite")
    assert "Zaproszenie wysłane" in organizer.get(resp.headers["Location"]).get_data(
        as_text=True)
    assert len(smtp.messages) == 2 and "anna@gops.pl" in smtp.messages[1]["To"]
    organizer.post(f"/people/{lw}/invite")
    assert smtp.recipients() == {"lw@mops.krakow.pl": 2, "anna@gops.pl": 1}


def test_preview_shows_the_html_part(organizer: Client, engine: Engine) -> None:
    ev = make_event(engine)
    _details(organizer, ev["id"])
    add_person(engine, ev["id"], "Zofia", "Wiśniewska", "DPS Bochnia", "zw@dps.pl")
    html = organizer.get(f"/events/{ev['id']}/invitations/preview").get_data(as_text=True)
    assert "Zofia Wiśniewska" in html and "Auditorium Maximum" in html
    assert f'src="/events/{ev["id"]}/invitations/preview.png"' in html
    png = organizer.get(f"/events/{ev['id']}/invitations/preview.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")


def test_invitation_details_are_checked_and_the_help_desk_reaches_kiosks(
        organizer: Client, engine: Engine) -> None:
    from admin.roster_export import build_snapshot

    ev = make_event(engine)
    with engine.connect() as conn:
        version = q_events.people_version(conn, ev["id"])
    _details(organizer, ev["id"])
    with engine.connect() as conn:
        help_desk = build_snapshot(conn, ev["id"]).event.help_desk
        assert q_events.people_version(conn, ev["id"]) > version  # kiosks download it
    assert (help_desk.pl, help_desk.en) == ("punkt informacyjny w holu głównym",
                                            "the help desk in the main hall")
    resp = organizer.post(f"/events/{ev['id']}/invitations/details",
                          {"contact_email": "nie-adres"})
    assert "Nieprawidłowy adres e-mail" in organizer.get(resp.headers["Location"]).get_data(
        as_text=True)
    with engine.connect() as conn:
        assert q_events.get_event(conn, ev["id"])["contact_email"] == "kongres@rops.krakow.pl"


def test_connections_are_reused_from_a_bounded_pool(app: Flask, engine: Engine,
                                                    smtp: Inbox) -> None:
    ev = make_event(engine)
    ids = [add_person(engine, ev["id"], f"Osoba{i}", "Testowa", "", f"o{i}@ops.pl")
           for i in range(30)]
    settings = app.config["BRAMKA_ADMIN_SETTINGS"].model_copy(update={
        "smtp_connections": 3, "smtp_messages_per_connection": 8})
    pool = SmtpPool(settings)
    try:
        out = send_invitations(engine, settings, ev["id"], ids, pool=pool)
    finally:
        pool.close()
    assert out.sent == 30 and len(smtp.messages) == 30
    # Three at a time, each connection replaced after 8 messages: 4 to 6 in all, not 30.
    assert 3 <= pool.opened <= 6 and len(smtp.peers) == pool.opened


def test_a_connection_lost_during_data_is_uncertain_and_not_resent(
        app: Flask, organizer: Client, engine: Engine, smtp: Inbox) -> None:
    ev = make_event(engine)
    pid = add_person(engine, ev["id"], "Jan", "Lis", "", "jan@lis.pl")
    settings = app.config["BRAMKA_ADMIN_SETTINGS"]
    smtp.drop_next = True
    out = send_invitations(engine, settings, ev["id"], [pid])
    assert out.uncertain == 1 and out.sent == 0 and len(smtp.messages) == 1
    with engine.connect() as conn:
        person = q_people.get_person(conn, pid)
    assert person["invitation_status"] == "sending"
    assert "connection lost while sending" in person["invitation_error"]
    # Not in flight any more, but still not resent by a plain run.
    with engine.begin() as conn:
        conn.execute(update(people).where(people.c.id == pid).values(
            invitation_attempted_at=utcnow() - timedelta(hours=1)))
    assert send_invitations(engine, settings, ev["id"], [pid]).skipped == 1
    assert len(smtp.messages) == 1
    page = organizer.get(f"/events/{ev['id']}/invitations").get_data(as_text=True)
    assert 'id="uncertain"' in page and "jan@lis.pl" in page and 'name="uncertain"' in page
    assert 'id="count-sending">1<' in page
    # The page's "send" leaves them alone unless asked.
    organizer.post(f"/events/{ev['id']}/invitations", {"failed": "1"})
    assert len(smtp.messages) == 1
    # Explicitly asked for, it is (the one case where a person may get two).
    assert send_invitations(engine, settings, ev["id"], [pid], retry_uncertain=True).sent == 1
    assert smtp.recipients() == {"jan@lis.pl": 2}


def test_smtp_down_marks_everyone_failed(app: Flask, organizer: Client,
                                         engine: Engine) -> None:
    app.config["JOBS_JOIN"] = True
    app.config["BRAMKA_ADMIN_SETTINGS"] = app.config["BRAMKA_ADMIN_SETTINGS"].model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": free_port(),
                "smtp_timeout_seconds": 2.0})
    ev = make_event(engine)
    pid = add_person(engine, ev["id"], "Jan", "Lis", "", "jan@lis.pl")
    resp = organizer.post(f"/events/{ev['id']}/invitations", {})
    status = organizer.get(resp.headers["Location"] + ".json").get_json()
    assert status["result"]["failed"] == 1
    with engine.connect() as conn:
        person = q_people.get_person(conn, pid)
    assert person["invitation_status"] == "failed"
    assert "cannot connect" in person["invitation_error"]


def _config(tmp_path: Path, db_url: str, port: int, connections: int = 2) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[admin]\ndatabase_url = "{db_url}"\ndata_dir = "{tmp_path}"\n'
                      f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
                      f"smtp_connections = {connections}\n")
    return config


def test_send_invitations_command(tmp_path: Path, db_url: str, engine: Engine,
                                  smtp_server: tuple[Inbox, int]) -> None:
    from click.testing import CliRunner

    from admin.cli import admin_group

    inbox, port = smtp_server
    ev = make_event(engine)
    add_person(engine, ev["id"], "Zofia", "Wiśniewska", "DPS Bochnia", "zw@dps.pl")
    add_person(engine, ev["id"], "Jan", "Lis", "", "bounce@lis.pl")
    args = ["--config", str(_config(tmp_path, db_url, port)), "send-invitations",
            "--event", str(ev["id"])]
    result = CliRunner().invoke(admin_group, args)
    assert result.exit_code == 1 and "sent 1, failed 1, skipped 0, uncertain 0" in result.output
    assert [m["To"] for m in inbox.messages] == ["Zofia Wiśniewska <zw@dps.pl>"]
    result = CliRunner().invoke(admin_group, [*args, "--no-retry-failed"])
    assert "sent 0, failed 0" in result.output and len(inbox.messages) == 1


def test_a_killed_mailing_resumes_and_mails_nobody_twice(
        tmp_path: Path, db_url: str, engine: Engine,
        smtp_server: tuple[Inbox, int]) -> None:
    """`bramka admin send-invitations` is killed (SIGKILL) while the server takes its 10th
    message; running it again sends to everyone not reached, and to nobody twice."""
    inbox, port = smtp_server
    ev = make_event(engine)
    everyone = {add_person(engine, ev["id"], f"Osoba{i}", "Testowa", "GOPS",
                           f"osoba{i}@gops.pl"): f"osoba{i}@gops.pl" for i in range(40)}
    config = _config(tmp_path, db_url, port, connections=4)
    command = [sys.executable, "-m", "bramka", "admin", "--config", str(config),
               "send-invitations", "--event", str(ev["id"])]
    started = threading.Event()
    victim: dict[str, int] = {}

    def kill_at_tenth(count: int) -> None:
        if count == 10:
            assert started.wait(30)
            os.kill(victim["pid"], signal.SIGKILL)

    inbox.on_data = kill_at_tenth
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    victim["pid"] = proc.pid
    started.set()
    proc.communicate(timeout=90)
    assert proc.returncode == -signal.SIGKILL
    inbox.on_data = None
    delivered_before = inbox.recipients()
    assert 10 <= sum(delivered_before.values()) < 40
    with engine.connect() as conn:
        state = dict(conn.execute(select(people.c.email, people.c.invitation_status)
                                  .where(people.c.event_id == ev["id"])).all())
    # Every message the server took is "sent" or "sending" (uncertain), never "none".
    assert all(state[addr] in ("sent", "sending") for addr in delivered_before)
    uncertain = {addr for addr, s in state.items() if s == "sending"}
    assert uncertain and len(uncertain) <= 4  # at most one per connection
    # Resume: the rest get theirs; nobody gets a second one.
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert "failed 0" in done.stdout, done.stdout + done.stderr
    received = inbox.recipients()
    assert max(received.values()) == 1
    assert set(received) | uncertain == set(everyone.values())
    with engine.connect() as conn:
        after = Counter(conn.execute(select(people.c.invitation_status)
                                     .where(people.c.event_id == ev["id"])).scalars())
    assert after == {"sent": 40 - len(uncertain), "sending": len(uncertain)}


def test_the_printable_page_is_attached_when_configured(app: Flask, engine: Engine,
                                                        smtp: Inbox) -> None:
    ev = make_event(engine)
    pid = add_person(engine, ev["id"], "Zofia", "Wiśniewska", "DPS Bochnia", "zw@dps.pl")
    settings = app.config["BRAMKA_ADMIN_SETTINGS"].model_copy(update={"invitation_pdf": True})
    assert send_invitations(engine, settings, ev["id"], [pid]).sent == 1
    (msg,) = smtp.messages
    assert _structure(msg)[:2] == ["multipart/mixed", "multipart/alternative"]
    (pdf,) = list(msg.iter_attachments())
    assert pdf.get_filename() == "zaproszenie.pdf" and pdf.get_content().startswith(b"%PDF")
