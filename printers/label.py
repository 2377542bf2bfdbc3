"""The badge on a label: the layout at the label's width and dpi, shrunk to fit its length.

A receipt roll (ESC/POS) takes the badge as tall as it comes. A label printer's
profile fixes the width in dots and the resolution; a die-cut label or card also
the length. There the badge is rendered at full size, and again a step smaller
(:data:`SHRINK_STEPS`) until it fits, then centred on the label, so what comes out
is exactly one label of the profile's size.

A badge template (``sync.badge_template``) may give the badge's own size. The media
still decides what comes out; the template's size is the box the badge is laid out in:

- narrower than the media: the badge is that wide, centred across the label;
- wider than the media: the whole layout is scaled down to the media's width (the same
  scale as :data:`SHRINK_STEPS` use), never cut;
- a height on endless media: each label is cut at the template's height; on die-cut
  labels or cards the badge fits the smaller of the two, centred on the label;
- a receipt printer (ESC/POS) keeps its paper width; the template's size is not used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from PIL import Image

from bramka.config import BadgeSettings
from printers.layout import MM_PER_INCH, BadgeData, BadgeRenderer
from printers.profiles import PrinterProfile
from sync.badge_template import BadgeTemplate

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


def _dots(mm: float, dpi: int) -> int:
    return round(mm / MM_PER_INCH * dpi)


class LabelRenderer:
    """Renders badges for one profile; holds one :class:`BadgeRenderer` per scale used."""

    def __init__(self, profile: PrinterProfile, settings: BadgeSettings,
                 template: BadgeTemplate | None = None,
                 images: Mapping[str, bytes] | None = None) -> None:
        self.profile = profile
        self.settings = settings
        self.template = template
        self.images = images
        # Colour only where the printer can print it (a CUPS queue) and a template has any.
        self.colour = (template is not None and profile.protocol == "cups"
                       and bool(template.role_colours or template.image_refs()))
        self._renderers: dict[float, BadgeRenderer] = {}
        self.badge_width, self.fit_scale = profile.width_dots, 1.0
        self.length = profile.length_dots  # the label's length, None: endless
        self.box_length = self.length  # the length the badge must fit in
        if template is not None and profile.protocol != "escpos":
            if template.width_mm is not None:
                wanted = _dots(template.width_mm, profile.dpi)
                if wanted <= profile.width_dots:
                    self.badge_width = max(wanted, 200)
                else:
                    self.fit_scale = profile.width_dots / wanted
            if template.height_mm is not None:
                wanted = _dots(template.height_mm, profile.dpi)
                self.length = self.length or wanted
                self.box_length = min(self.length, wanted)

    def renderer(self, scale: float = 1.0) -> BadgeRenderer:
        if scale not in self._renderers:
            profile = self.profile
            if profile.protocol == "escpos" and profile.magnify == 1:
                # the receipt layout, as before profiles (at half density: a label's)
                made = BadgeRenderer(self.settings, profile.width_dots,
                                     template=self.template, images=self.images)
            else:
                made = BadgeRenderer(
                    self.settings, self.badge_width, dpi=profile.dpi,
                    scale=scale * self.fit_scale, template=self.template, images=self.images,
                    colour=self.colour,
                )
            self._renderers[scale] = made
        return self._renderers[scale]

    def _on_label(self, badge: Image.Image, length: int) -> tuple[Image.Image, int]:
        white = (255, 255, 255) if badge.mode == "RGB" else 1
        label = Image.new(badge.mode, (self.profile.width_dots, length), white)
        top = (length - badge.height) // 2
        label.paste(badge, ((self.profile.width_dots - badge.width) // 2, top))
        return label, top

    def place(self, data: BadgeData) -> PlacedBadge:
        length, box = self.length, self.box_length
        if length is None or box is None or self.profile.protocol == "escpos":
            badge = self.renderer().render(data)
            if badge.width == self.profile.width_dots:
                return PlacedBadge(badge, badge, 0, 1.0)
            label, _ = self._on_label(badge, badge.height)  # a narrower template: centred
            return PlacedBadge(label, badge, 0, 1.0)
        for scale in SHRINK_STEPS:
            badge = self.renderer(scale).render(data)
            if badge.height <= box:
                label, top = self._on_label(badge, length)
                return PlacedBadge(label, badge, top, scale)
        raise BadgeTooLarge(
            f"the badge needs {badge.height} dots at {SHRINK_STEPS[-1]:.0%} size; the label "
            f"{self.profile.media} has {box}"
        )

    def render(self, data: BadgeData) -> Image.Image:
        return self.place(data).label
