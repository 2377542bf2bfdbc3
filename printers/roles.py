"""Attendee roles as they appear on a badge: bilingual label and a black-and-white marker.

Thermal paper has one colour, so each role is told apart by the *shape* of its
marker as well as by its words: a participant has a plain label, a speaker a
solid black band, an organizer a black band with an inner frame, press a thick
outline, a volunteer a dashed outline, a guest of honour a black band with stars.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sync.words import BilingualMixin

MarkerStyle = Literal["plain", "solid", "solid_framed", "outline", "dashed", "solid_stars"]


@dataclass(frozen=True, slots=True)
class RoleMarker(BilingualMixin):
    key: str
    pl: str
    en: str
    style: MarkerStyle

    @property
    def label(self) -> str:
        """The text printed on the badge, e.g. ``PRELEGENT / SPEAKER``."""
        return f"{self.pl} / {self.en}"

    @property
    def inverted(self) -> bool:
        """White text on a black band."""
        return self.style.startswith("solid")


ROLES: dict[str, RoleMarker] = {
    marker.key: marker
    for marker in (
        RoleMarker("participant", "UCZESTNIK", "PARTICIPANT", "plain"),
        RoleMarker("speaker", "PRELEGENT", "SPEAKER", "solid"),
        RoleMarker("organizer", "ORGANIZATOR", "ORGANIZER", "solid_framed"),
        RoleMarker("press", "PRASA", "PRESS", "outline"),
        RoleMarker("volunteer", "WOLONTARIUSZ", "VOLUNTEER", "dashed"),
        RoleMarker("guest", "GOŚĆ HONOROWY", "GUEST OF HONOUR", "solid_stars"),
    )
}

_ALIASES = {
    "guest_of_honour": "guest",
    "guest_of_honor": "guest",
    "organiser": "organizer",
    "": "participant",
}


def role_marker(role: str) -> RoleMarker:
    """The marker for a roster role (``participant``, ``speaker``, ... ``guest``).

    Raises ``ValueError`` for an unknown role so a typo never prints silently.
    """
    key = role.strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    try:
        return ROLES[key]
    except KeyError:
        known = ", ".join(ROLES)
        raise ValueError(f"unknown role {role!r}; known roles: {known}") from None
