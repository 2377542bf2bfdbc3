"""What an invitation e-mail says, in Polish and then English: pure, no Flask, no DB.

A :class:`Letter` is the same for everyone invited to an event (dates, where and when each
day starts, what to bring, whom to ask); an :class:`Invitation` is one person's (name, QR
code, their registrations). ``render_text`` and ``render_html`` fill the templates in
``templates/mail/``; the HTML shows the QR code inline through a ``cid:`` reference.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).parent / "templates" / "mail"
WEEKDAYS_PL = ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
SUBJECT = "Zaproszenie: {event} / Invitation: {event}"


@dataclass(frozen=True)
class Place:
    name: str
    address: str = ""

    @property
    def text(self) -> str:
        return f"{self.name}, {self.address}" if self.address else self.name


@dataclass(frozen=True)
class Day:
    """One day of the event: when its first session starts and where its sessions are."""

    day: date
    first_session: str  # local time, "9:00"
    places: tuple[Place, ...] = ()

    @property
    def label_pl(self) -> str:
        d = self.day
        return f"{WEEKDAYS_PL[d.weekday()]} {d.day}.{d.month:02d}.{d.year}"

    @property
    def label_en(self) -> str:
        d = self.day
        return f"{WEEKDAYS_EN[d.weekday()]} {d.day} {MONTHS_EN[d.month - 1]} {d.year}"


@dataclass(frozen=True)
class Registration:
    """A session or side event the person registered for (its seats are kept for them)."""

    title: str
    when: str  # "17.06.2026, 12:00–17:00"
    where: str  # "Sala 101, Auditorium Maximum"


@dataclass(frozen=True)
class Letter:
    event_name: str
    dates: str  # "15–17.06.2026"
    days: tuple[Day, ...] = ()
    help_desk_pl: str = ""
    help_desk_en: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    bring_pl: str = ""
    bring_en: str = ""

    @property
    def subject(self) -> str:
        return SUBJECT.format(event=self.event_name)

    @property
    def contact(self) -> str:
        """"kongres@rops.krakow.pl, tel. 12 422 06 36" (either may be missing)."""
        parts = [self.contact_email] if self.contact_email else []
        if self.contact_phone:
            parts.append(f"tel. {self.contact_phone}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Invitation:
    to_name: str
    to_email: str
    institution: str
    png: bytes  # the QR code with the name under it (printers.invitation.invitation_png)
    pdf: bytes | None = None  # the printable A4 page, when invitations carry one
    registrations: tuple[Registration, ...] = ()
    personal_code: str = ""  # for self-service without the QR (sync.self_service)

    @property
    def png_size(self) -> tuple[int, int]:
        """(width, height) from the PNG header."""
        width, height = struct.unpack(">II", self.png[16:24])
        return int(width), int(height)


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def render_text(letter: Letter, inv: Invitation) -> str:
    return _environment().get_template("invitation.txt").render(letter=letter, inv=inv)


def render_html(letter: Letter, inv: Invitation, qr_src: str) -> str:
    """The HTML part; ``qr_src`` is where its QR image is: "cid:<Content-ID>" in the e-mail."""
    width, height = inv.png_size
    scale = min(1.0, 300 / width)  # about 5 px per module: scans from a phone screen
    return _environment().get_template("invitation.html").render(
        letter=letter, inv=inv, qr_src=qr_src, qr_width=round(width * scale),
        qr_height=round(height * scale))
