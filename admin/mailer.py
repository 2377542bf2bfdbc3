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

import base64
import binascii
import email
import queue
import smtplib
import ssl
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from admin.invitation_letter import Invitation, Letter, render_html, render_text
from bramka.config import AdminSettings

CRLF = b"\r\n"


@dataclass(frozen=True)
class Outgoing:
    """A message ready for SMTP: the envelope and the bytes (CRLF line ends)."""

    sender: str
    rcpt: str
    data: bytes

    @property
    def international(self) -> bool:
        """Addresses beyond ASCII: needs the server's SMTPUTF8."""
        return not (self.sender.isascii() and self.rcpt.isascii())

    def message(self) -> EmailMessage:
        """The message parsed back (tests, previews)."""
        return email.message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


def _header(name: str, value: str, raw_utf8: bool) -> str:
    """An unstructured header, folded; RFC 2047 encoded words when it is not ASCII."""
    if raw_utf8:
        return f"{name}: {value}"
    charset = "us-ascii" if value.isascii() else "utf-8"
    return f"{name}: " + Header(value, charset, header_name=name).encode(linesep="\r\n")


def _address(name: str, addr: str, raw_utf8: bool) -> str:
    """"Name <addr>", the name encoded when it is not ASCII (or kept as UTF-8 for SMTPUTF8)."""
    if not name:
        return addr
    if raw_utf8:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{quoted}" <{addr}>'
    return formataddr((name, addr), charset="utf-8")


def _part(content_type: str, body: bytes, *headers: str) -> bytes:
    lines = [f"Content-Type: {content_type}", *headers]
    return CRLF.join(h.encode("utf-8") for h in lines) + CRLF + CRLF + body


def _text(content_type: str, text: str) -> bytes:
    """Quoted-printable UTF-8 (binascii: the email package's own encoder is pure Python)."""
    body = binascii.b2a_qp(text.encode("utf-8"), istext=True).replace(b"\n", CRLF)
    return _part(f'{content_type}; charset="utf-8"', body,
                 "Content-Transfer-Encoding: quoted-printable")


def _binary(content_type: str, data: bytes, *headers: str) -> bytes:
    body = base64.encodebytes(data).replace(b"\n", CRLF)
    return _part(content_type, body, "Content-Transfer-Encoding: base64", *headers)


def _multipart(subtype: str, parts: list[bytes]) -> bytes:
    boundary = f"bramka-{subtype}-{uuid.uuid4().hex}"
    body = b"".join(b"--" + boundary.encode() + CRLF + part + CRLF for part in parts)
    return _part(f'multipart/{subtype};\r\n boundary="{boundary}"',
                 body + b"--" + boundary.encode() + b"--" + CRLF)


def compose_invitation(letter: Letter, inv: Invitation, sender: str) -> Outgoing:
    """The invitation as SMTP bytes.

    Written out directly rather than through ``email.message``: that package's header
    machinery cost 4 ms a message, a third of a mailing's time; the structure is fixed
    and tests/admin/test_admin_invitations.py parses it back with the email package.
    """
    domain = parseaddr(sender)[1].rpartition("@")[2] or "bramka.local"
    cid = f"qr-{uuid.uuid4().hex}@{domain}"
    related = _multipart("related", [
        _text("text/html", render_html(letter, inv, f"cid:{cid}")),
        _binary("image/png", inv.png, f"Content-ID: <{cid}>",
                'Content-Disposition: inline; filename="kod-qr.png"'),
    ])
    body = _multipart("alternative", [_text("text/plain", render_text(letter, inv)), related])
    if inv.pdf is not None:
        body = _multipart("mixed", [body, _binary(
            "application/pdf", inv.pdf, 'Content-Disposition: attachment; '
                                        'filename="zaproszenie.pdf"')])
    return _message(sender, inv.to_name, inv.to_email, letter.subject, letter.contact_email,
                    body)


@dataclass(frozen=True)
class CertificateMail:
    """What a certificate e-mail says: the event, and the person's PDF."""

    event_name: str
    event_dates: str
    to_name: str
    to_email: str
    pdf: bytes
    contact_email: str = ""

    @property
    def subject(self) -> str:
        return (f"Zaświadczenie o udziale / Certificate of attendance: {self.event_name}")

    def text(self) -> str:
        contact_pl = (f"\nPytania: {self.contact_email}\n" if self.contact_email else "")
        contact_en = (f"\nQuestions: {self.contact_email}\n" if self.contact_email else "")
        return (f"Dzień dobry,\n\nw załączniku przesyłamy zaświadczenie o udziale "
                f"w wydarzeniu {self.event_name} ({self.event_dates}).\n{contact_pl}\n"
                f"Z wyrazami szacunku\nOrganizatorzy\n\n-- \n\nHello,\n\nattached is "
                f"your certificate of attendance at {self.event_name} ({self.event_dates})."
                f"\n{contact_en}\nKind regards\nThe organizers\n")


def compose_certificate(mail: CertificateMail, sender: str) -> Outgoing:
    """The certificate as SMTP bytes: the letter (Polish, then English) and the PDF."""
    body = _multipart("mixed", [
        _text("text/plain", mail.text()),
        _binary("application/pdf", mail.pdf,
                'Content-Disposition: attachment; filename="zaswiadczenie.pdf"')])
    return _message(sender, mail.to_name, mail.to_email, mail.subject, mail.contact_email, body)


def _message(sender: str, to_name: str, rcpt: str, subject: str, reply_to: str,
             body: bytes) -> Outgoing:
    sender_name, sender_addr = parseaddr(sender)
    raw = not (sender_addr.isascii() and rcpt.isascii())  # SMTPUTF8: headers as UTF-8
    domain = sender_addr.rpartition("@")[2] or "bramka.local"
    headers = [
        f"From: {_address(sender_name, sender_addr, raw)}",
        f"To: {_address(to_name, rcpt, raw)}",
        _header("Subject", subject, raw),
        f"Date: {formatdate(usegmt=True)}",
        f"Message-ID: {make_msgid(domain=domain)}",
        "MIME-Version: 1.0",
    ]
    if reply_to:
        headers.insert(2, f"Reply-To: {reply_to}")
    return Outgoing(sender_addr, rcpt,
                    CRLF.join(h.encode("utf-8") for h in headers) + CRLF + body)


class SendError(Exception):
    """The message was not delivered (the server refused it, or could not be reached)."""

    code = "smtp_failed"


class SendUncertain(Exception):
    """The connection broke while the message was handed over: it may have been delivered."""

    code = "smtp_uncertain"


class _Retry(Exception):
    """The connection broke before the message was offered: safe to try on a fresh one."""


def _reply(value: bytes | str) -> str:
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

    def send(self, msg: Outgoing) -> None:
        """Deliver ``msg``; reconnects once when the session was lost before the message
        was offered. Raises SendError or SendUncertain."""
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

    def _transaction(self, msg: Outgoing) -> None:
        smtp = self._smtp
        assert smtp is not None
        sender, rcpt, data = msg.sender, msg.rcpt, msg.data
        options = ["SMTPUTF8", "BODY=8BITMIME"] if msg.international else []
        try:
            # Nothing is delivered until DATA ends: a broken session up to here is retried.
            code, reply = smtp.mail(sender, options)
            if code != 250:
                self._reset()
                raise SendError(f"sender refused: {code} {_reply(reply)}")
            code, reply = smtp.rcpt(rcpt)
            if code not in (250, 251):
                self._reset()
                raise SendError(f"recipient refused: {code} {_reply(reply)}")
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
            raise SendError(f"{exc.smtp_code} {_reply(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendUncertain(f"connection lost while sending: {exc}") from None
        if code != 250:
            self._reset()
            raise SendError(f"{code} {_reply(reply)}")

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
