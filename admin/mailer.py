"""Invitation e-mails: composed (Polish, then English) and sent over SMTP.

``compose_invitation`` is pure; ``SmtpSender`` keeps one connection for a batch and reports
each message's own success or failure, so one bad address does not stop the others.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from types import TracebackType

from bramka.config import AdminSettings


@dataclass(frozen=True)
class Invitation:
    to_name: str
    to_email: str
    event_name: str
    event_dates: str
    institution: str
    png: bytes
    pdf: bytes


SUBJECT = "Zaproszenie: {event} / Invitation: {event}"
BODY = """Dzień dobry {name},

dziękujemy za rejestrację na wydarzenie „{event}” ({dates}).

W załączniku jest Twój imienny kod QR (obraz PNG i wersja do druku w PDF).
Pokaż go przy wejściu na telefonie lub wydrukowany. Przy pierwszym wejściu
wydrukujemy Twój identyfikator. Kodu nie udostępniaj innym osobom.

Do zobaczenia!
Organizatorzy

---

Hello {name},

thank you for registering for "{event}" ({dates}).

Attached is your personal QR code (a PNG image and a printable PDF). Show it at
the entrance on your phone or printed; your badge is printed when you first
check in. Please do not share the code.

See you there!
The organizers
"""


def compose_invitation(inv: Invitation, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = SUBJECT.format(event=inv.event_name)
    msg["From"] = sender
    msg["To"] = formataddr((inv.to_name, inv.to_email))
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "bramka.local")
    msg.set_content(BODY.format(name=inv.to_name, event=inv.event_name, dates=inv.event_dates))
    msg.add_attachment(inv.png, maintype="image", subtype="png", filename="kod-qr.png")
    msg.add_attachment(inv.pdf, maintype="application", subtype="pdf",
                       filename="zaproszenie.pdf")
    return msg


class SendError(Exception):
    code = "smtp_failed"


class SmtpSender:
    """``with SmtpSender(settings) as s: s.send(msg)``; connects on entry."""

    def __init__(self, settings: AdminSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpSender:
        self.connect()
        return self

    def connect(self) -> None:
        s = self.settings
        try:
            if s.smtp_security == "ssl":
                self._smtp = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port,
                                              timeout=s.smtp_timeout_seconds,
                                              context=ssl.create_default_context())
            else:
                self._smtp = smtplib.SMTP(s.smtp_host, s.smtp_port,
                                          timeout=s.smtp_timeout_seconds)
                if s.smtp_security == "starttls":
                    self._smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                self._smtp.login(s.smtp_user, s.smtp_password)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendError(f"cannot connect to {s.smtp_host}:{s.smtp_port}: {exc}") from None

    def send(self, msg: EmailMessage) -> None:
        if self._smtp is None:
            raise SendError("not connected")
        try:
            refused = self._smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            detail = next(iter(exc.recipients.values()), (0, b""))
            raise SendError(f"recipient refused: {detail[0]} {_text(detail[1])}") from None
        except smtplib.SMTPResponseException as exc:
            raise SendError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(str(exc)) from None
        if refused:
            raise SendError(f"recipient refused: {refused}")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
