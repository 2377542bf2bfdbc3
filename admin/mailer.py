"""Invitation e-mails: the MIME message, and SMTP connections kept and shared.

``compose_invitation`` is pure. Its message is::

    multipart/alternative
      text/plain                      (Polish, then English)
      multipart/related
        text/html                     (<img src="cid:...">)
        image/png                     (the QR code, inline, named kod-qr.png)
    [application/pdf]                 (only when invitations carry the printable page:
                                       then all of it is wrapped in multipart/mixed)

``SmtpConnection`` is one SMTP session that sends message after message and tells a
refusal (the server said no: nothing was delivered) from an uncertain outcome (the
connection broke while the message was being handed over: it may have been delivered).
``SmtpPool`` bounds how many connections this process keeps open to the server, reuses
them across messages (opening one costs a TCP and often a TLS handshake and a login), and
replaces a connection after ``smtp_messages_per_connection`` messages or when it breaks.
"""

from __future__ import annotations

import queue
import smtplib
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from io import BytesIO

from admin.invitation_letter import Invitation, Letter, render_html, render_text
from bramka.config import AdminSettings


def compose_invitation(letter: Letter, inv: Invitation, sender: str) -> EmailMessage:
    msg = EmailMessage()
    domain = parseaddr(sender)[1].rpartition("@")[2] or "bramka.local"
    msg["Subject"] = letter.subject
    msg["From"] = sender
    msg["To"] = formataddr((inv.to_name, inv.to_email))
    if letter.contact_email:
        msg["Reply-To"] = letter.contact_email
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=domain)
    cid = make_msgid("qr", domain=domain)
    msg.set_content(render_text(letter, inv))
    msg.add_alternative(render_html(letter, inv, f"cid:{cid[1:-1]}"), subtype="html")
    html = msg.get_payload()[1]  # type: ignore[index]
    html.add_related(inv.png, maintype="image", subtype="png", cid=cid,
                     filename="kod-qr.png", disposition="inline")
    if inv.pdf is not None:
        msg.add_attachment(inv.pdf, maintype="application", subtype="pdf",
                           filename="zaproszenie.pdf")
    return msg


class SendError(Exception):
    """The message was not delivered (the server refused it, or could not be reached)."""

    code = "smtp_failed"


class SendUncertain(Exception):
    """The connection broke while the message was handed over: it may have been delivered."""

    code = "smtp_uncertain"


class _Retry(Exception):
    """The connection broke before the message was offered: safe to try on a fresh one."""


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class SmtpConnection:
    """One SMTP session for many messages."""

    def __init__(self, settings: AdminSettings) -> None:
        self.settings = settings
        self.sent = 0
        self._smtp: smtplib.SMTP | None = None

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    def connect(self) -> None:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds,
                    context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            self._smtp = smtp
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
            smtp.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"cannot connect to {s.smtp_host}:{s.smtp_port}: {exc}") from None
        self.sent = 0

    def send(self, msg: EmailMessage) -> None:
        """Deliver ``msg`` to its To address; reconnects once when the session was lost
        before the message was offered. Raises SendError or SendUncertain."""
        if self._smtp is None:
            self.connect()
        try:
            self._transaction(msg)
        except _Retry:
            self.close()
            self.connect()
            try:
                self._transaction(msg)
            except _Retry as exc:
                self.close()
                raise SendError(f"connection lost: {exc}") from None
        self.sent += 1

    def _transaction(self, msg: EmailMessage) -> None:
        smtp = self._smtp
        assert smtp is not None
        sender = parseaddr(str(msg["From"]))[1]
        rcpt = parseaddr(str(msg["To"]))[1]
        international = not (sender.isascii() and rcpt.isascii())
        options = ["SMTPUTF8", "BODY=8BITMIME"] if international else []
        buffer = BytesIO()
        BytesGenerator(buffer, policy=msg.policy.clone(utf8=international)).flatten(
            msg, linesep="\r\n")
        data = buffer.getvalue()
        try:
            # Nothing is delivered until DATA ends: a broken session up to here is retried.
            code, reply = smtp.mail(sender, options)
            if code != 250:
                self._reset()
                raise SendError(f"sender refused: {code} {_text(reply)}")
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                self._reset()
                raise SendError(f"recipient refused: {code} {_text(reply)}")
        except (smtplib.SMTPServerDisconnected, ConnectionError) as exc:
            raise _Retry(str(exc)) from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(str(exc)) from None
        try:
            code, reply = smtp.data(data)
        except smtplib.SMTPDataError as exc:
            # The server answered after the data: a definite no (or a no to DATA itself).
            self._reset()
            raise SendError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendUncertain(f"connection lost while sending: {exc}") from None
        if code != 250:
            self._reset()
            raise SendError(f"{code} {_text(reply)}")

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


class SmtpPool:
    """At most ``size`` open connections to the server, lent to one sender at a time.

    ``with pool.connection() as smtp: smtp.send(msg)``; a borrower waits while all are lent.
    """

    def __init__(self, settings: AdminSettings, size: int | None = None) -> None:
        self.settings = settings
        self.size = size or settings.smtp_connections
        self._idle: queue.LifoQueue[SmtpConnection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(self.size)
        self._lock = threading.Lock()
        self.opened = 0  # connections opened so far (reported by the benchmark)

    @contextmanager
    def connection(self) -> Iterator[SmtpConnection]:
        self._slots.acquire()
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = SmtpConnection(self.settings)
            if conn.connected and conn.sent >= self.settings.smtp_messages_per_connection:
                conn.close()
            if not conn.connected:
                conn.connect()
                with self._lock:
                    self.opened += 1
            try:
                yield conn
            finally:
                self._idle.put(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections (those lent out are closed when they come back)."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
