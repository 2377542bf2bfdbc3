"""Invitations sent through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email import policy
from typing import Any

import pytest
from admin_fixtures import add_person, make_event
from admin_testkit import Client
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import Engine

from admin.mailer import Invitation, compose_invitation
from admin.queries import people as q_people
from admin.queries.events import public_keys
from sync.token import parse_public_key, verify


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content,
                                                      policy=policy.default))  # type: ignore[arg-type]
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(app: Flask) -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = app.config["BRAMKA_ADMIN_SETTINGS"]
    app.config["BRAMKA_ADMIN_SETTINGS"] = settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_sender": "kongres@rops.krakow.pl"})
    app.config["JOBS_JOIN"] = True
    try:
        yield inbox
    finally:
        controller.stop()


def test_compose_has_both_languages_and_attachments() -> None:
    msg = compose_invitation(Invitation("Łukasz Wójcik", "lw@mops.pl", "Kongres", "15–17.06.2026",
                                        "MOPS", b"\x89PNG...", b"%PDF..."), "org@rops.pl")
    body = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Dzień dobry Łukasz Wójcik" in body and "Hello Łukasz Wójcik" in body
    names = [part.get_filename() for part in msg.iter_attachments()]
    assert names == ["kod-qr.png", "zaproszenie.pdf"]


def test_send_all_then_resend(app: Flask, organizer: Client, engine: Engine,
                              smtp: Inbox) -> None:
    ev = make_event(engine)
    lw = add_person(engine, ev["id"], "Łukasz", "Wójcik", "MOPS Kraków", "lw@mops.krakow.pl")
    bad = add_person(engine, ev["id"], "Anna", "Nowak", "GOPS", "bounce@gops.pl")
    add_person(engine, ev["id"], "Bez", "Maila", "DPS")
    resp = organizer.post(f"/events/{ev['id']}/invitations", {"failed": "1"})
    assert resp.status_code == 302
    status = organizer.get(resp.headers["Location"] + ".json").get_json()
    assert status["status"] == "done"
    assert status["result"] == {"sent": 1, "failed": 1, "skipped": 0}
    assert len(smtp.messages) == 1
    msg = smtp.messages[0]
    assert msg["To"] == "Łukasz Wójcik <lw@mops.krakow.pl>"
    assert "Zaproszenie" in msg["Subject"] and "Invitation" in msg["Subject"]
    parts = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert parts["zaproszenie.pdf"].startswith(b"%PDF")
    # The PNG carries a valid badge code for this person.
    import io

    import zxingcpp
    from PIL import Image

    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(parts["kod-qr.png"])))
    with engine.connect() as conn:
        keys = [parse_public_key(k) for k in public_keys(conn, ev["id"])]
        assert q_people.get_person(conn, lw)["invitation_status"] == "sent"
        failed = q_people.get_person(conn, bad)
    assert verify(decoded[0].text, keys, ev["id"]).attendee_id == lw
    assert failed["invitation_status"] == "failed" and "550" in failed["invitation_error"]
    page = organizer.get(f"/events/{ev['id']}/invitations").get_data(as_text=True)
    assert 'id="count-sent">1<' in page and 'id="count-failed">1<' in page
    assert "bounce@gops.pl" in page
    # Fix the address at the desk and resend to that one person.
    organizer.post(f"/people/{bad}/edit", {"first_name": "Anna", "last_name": "Nowak",
                                           "email": "anna@gops.pl", "role": "participant"})
    resp = organizer.post(f"/people/{bad}/invite")
    assert "Zaproszenie wysłane" in organizer.get(resp.headers["Location"]).get_data(
        as_text=True)
    assert len(smtp.messages) == 2 and "anna@gops.pl" in smtp.messages[1]["To"]


def test_smtp_down_marks_everyone_failed(app: Flask, organizer: Client,
                                         engine: Engine) -> None:
    app.config["JOBS_JOIN"] = True
    app.config["BRAMKA_ADMIN_SETTINGS"] = app.config["BRAMKA_ADMIN_SETTINGS"].model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": _free_port(),
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


def test_send_invitations_command(tmp_path: Any, db_url: str, engine: Engine) -> None:
    from click.testing import CliRunner

    from admin.cli import admin_group

    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ev = make_event(engine)
        add_person(engine, ev["id"], "Zofia", "Wiśniewska", "DPS Bochnia", "zw@dps.pl")
        add_person(engine, ev["id"], "Jan", "Lis", "", "bounce@lis.pl")
        config = tmp_path / "config.toml"
        config.write_text(f'[admin]\ndatabase_url = "{db_url}"\ndata_dir = "{tmp_path}"\n'
                          f'smtp_host = "127.0.0.1"\nsmtp_port = {port}\n')
        args = ["--config", str(config), "send-invitations", "--event", str(ev["id"])]
        result = CliRunner().invoke(admin_group, args)
        assert result.exit_code == 1 and "sent 1, failed 1" in result.output
        assert [m["To"] for m in inbox.messages] == ["Zofia Wiśniewska <zw@dps.pl>"]
        result = CliRunner().invoke(admin_group, [*args, "--no-retry-failed"])
        assert "sent 0, failed 0" in result.output and len(inbox.messages) == 1
    finally:
        controller.stop()
