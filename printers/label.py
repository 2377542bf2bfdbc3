"""The badge on a label: the layout at the label's width and dpi, shrunk to fit its length.

A receipt roll (ESC/POS) takes the badge as tall as it comes. A label printer's
profile fixes the width in dots and the resolution; a die-cut label or card also
the length. There the badge is rendered at full size, and again a step smaller
(:data:`SHRINK_STEPS`) until it fits, then centred on the label, so what comes out
is exactly one label of the profile's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from bramka.config import BadgeSettings
from printers.layout import BadgeData, BadgeRenderer
from printers.profiles import PrinterProfile

SHRINK_STEPS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5)


class BadgeTooLarge(ValueError):
    """Even the smallest step does not fit the label."""


@dataclass(frozen=True, slots=True)
class PlacedBadge:
    """The label image and where the badge sits on it."""

    label: Image.Image  # 1-bit, profile.width_dots wide (and length_dots tall when fixed)
    badge: Image.Image  # the badge as the layout rendered it
    top: int  # rows of blank label above the badge
    scale: float


class LabelRenderer:
    """Renders badges for one profile; holds one :class:`BadgeRenderer` per scale used."""

    def __init__(self, profile: PrinterProfile, settings: BadgeSettings) -> None:
        self.profile = profile
        self.settings = settings
        self._renderers: dict[float, BadgeRenderer] = {}

    def renderer(self, scale: float = 1.0) -> BadgeRenderer:
        if scale not in self._renderers:
            profile = self.profile
            if profile.protocol == "escpos":  # the receipt layout, as before profiles
                made = BadgeRenderer(self.settings, profile.width_dots)
            else:
                made = BadgeRenderer(
                    self.settings, profile.width_dots, dpi=profile.dpi, scale=scale
                )
            self._renderers[scale] = made
        return self._renderers[scale]

    def place(self, data: BadgeData) -> PlacedBadge:
        length = self.profile.length_dots
        if length is None or self.profile.protocol == "escpos":
            badge = self.renderer().render(data)
            return PlacedBadge(badge, badge, 0, 1.0)
        for scale in SHRINK_STEPS:
            badge = self.renderer(scale).render(data)
            if badge.height <= length:
                label = Image.new("1", (badge.width, length), 1)
                top = (length - badge.height) // 2
                label.paste(badge, (0, top))
                return PlacedBadge(label, badge, top, scale)
        raise BadgeTooLarge(
            f"the badge needs {badge.height} dots at {SHRINK_STEPS[-1]:.0%} size; the label "
            f"{self.profile.media} has {length}"
        )

    def render(self, data: BadgeData) -> Image.Image:
        return self.place(data).label
