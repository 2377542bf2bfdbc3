"""A kiosk's plan: the role the organizers give it on the admin's Kiosks page.

The admin sends the plan with every heartbeat reply (``HeartbeatReply.plan``); the kiosk
follows the newest revision it has received, keeps it on disk, and so goes on following
it offline and after a restart. Its local file then holds only how to reach its hardware
and the admin (its ``[kiosk]`` role keys apply to a kiosk that has no plan yet, or works
alone). Both sides validate with this one model, so a kiosk never gets a plan the admin
would not save, nor the admin save one a kiosk would refuse.

The staff PIN travels only as a salted scrypt hash (:func:`hash_pin`). A PIN of 4 to 12
digits can still be found from its hash by trying them all, so the hash is not a secret
to publish: it stays between the admin and the kiosk's own disk.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .bounds import INT32_MAX, Count, Text
from .words import BilingualError

Mode = Literal["entrance", "room"]
Direction = Literal["toggle", "in", "out"]
Language = Literal["pl", "en"]

Revision = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""(A ``Field(ge=1)`` default beside the ``Count`` alias would not narrow it: the alias's
own bounds are the ones checked.)"""
PIN_PATTERN = re.compile(r"^[0-9]{4,12}$")
RESULT_SECONDS = (1.0, 30.0)  # how long a result may stay on the screen
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
_PIN_HASH = re.compile(r"^scrypt\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$")

# What each plan field means, in both languages: the admin's form and the kiosk's status
# show the same words.
MODE_WORDS: dict[str, tuple[str, str]] = {
    "entrance": ("wejście: rejestracja i identyfikator", "entrance: check-in and badge"),
    "room": ("sala: obecność na sesjach", "room: session attendance"),
}
DIRECTION_WORDS: dict[str, tuple[str, str]] = {
    "toggle": ("wejście i wyjście (drugi skan to wyjście)",
               "entry and exit (a second scan is an exit)"),
    "in": ("tylko wejście", "entry only"),
    "out": ("tylko wyjście", "exit only"),
}


class PlanError(BilingualError, ValueError):
    """A plan that cannot be followed; ``words`` say why (English first here)."""

    def __init__(self, en: str, pl: str) -> None:
        super().__init__(pl, en)


class KioskPlan(BaseModel):
    """``revision`` grows with every change saved on the admin; ``session_id`` pins a
    room kiosk to one session (None: the session the program holds in its room now)."""

    model_config = ConfigDict(extra="forbid")

    revision: Revision
    mode: Mode = "entrance"
    room: Text = Field(default="", max_length=300)
    direction: Direction = "toggle"
    session_id: Count | None = None
    language: Language = "pl"
    result_seconds: float = Field(default=4.0, ge=RESULT_SECONDS[0], le=RESULT_SECONDS[1])
    staff_pin_hash: str = Field(default="", max_length=120)
    help_desk: Text = Field(default="", max_length=200)
    printer_profile: Text = Field(default="", max_length=64)

    @model_validator(mode="after")
    def _consistent(self) -> KioskPlan:
        check(self)
        return self


def check(plan: KioskPlan) -> None:
    """Raises :class:`PlanError` for a plan no kiosk can follow."""
    if plan.mode == "room" and not plan.room.strip():
        raise PlanError("a kiosk in room mode needs its room", "kiosk w trybie sali wymaga sali")
    if plan.mode == "entrance" and (plan.session_id is not None or plan.direction != "toggle"):
        raise PlanError("only a room kiosk has a session or a direction",
                        "sesję i kierunek ma tylko kiosk w trybie sali")
    if plan.staff_pin_hash and not _PIN_HASH.match(plan.staff_pin_hash):
        raise PlanError("the staff PIN hash is damaged", "skrót PIN-u obsługi jest uszkodzony")


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """``scrypt$<salt>$<hash>`` (base64) of a staff PIN of 4 to 12 digits."""
    if not PIN_PATTERN.match(pin):
        raise PlanError("the staff PIN is 4 to 12 digits", "PIN obsługi to od 4 do 12 cyfr")
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def pin_matches(pin: str, pin_hash: str) -> bool:
    """Whether ``pin`` is the PIN ``pin_hash`` was made from (constant time)."""
    if not _PIN_HASH.match(pin_hash) or not PIN_PATTERN.match(pin):
        return False
    _, salt, _ = pin_hash.split("$")
    return hmac.compare_digest(hash_pin(pin, salt=base64.b64decode(salt)), pin_hash)
