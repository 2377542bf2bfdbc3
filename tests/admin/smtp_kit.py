"""A real SMTP server for the admin's mail tests (aiosmtpd on 127.0.0.1), and the admin
app pointed at it."""

from __future__ import annotations

import email
import email.utils
import socket
from collections import Counter
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


class Inbox:
    """Keeps every message; "bounce…" addresses are refused. ``on_data`` runs for each
    message before the server answers (a test may kill the sender there)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.peers: set[Any] = set()
        self.on_data: Any = None
        self.drop_next = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("bounce"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.peers.add(session.peer)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        if self.drop_next:  # the message arrived, the answer never does
            self.drop_next = False
            server.transport.close()
        if self.on_data is not None:
            self.on_data(len(self.messages))
        return "250 Message accepted"

    def recipients(self) -> Counter[str]:
        return Counter(email.utils.parseaddr(str(m["To"]))[1] for m in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def smtp(app: Flask, smtp_server: tuple[Inbox, int]) -> Inbox:
    inbox, port = smtp_server
    settings = app.config["BRAMKA_ADMIN_SETTINGS"]
    app.config["BRAMKA_ADMIN_SETTINGS"] = settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_sender": "kongres@rops.krakow.pl"})
    app.config["JOBS_JOIN"] = True
    return inbox
