"""One badge -> the bytes its printer takes: render for the profile, encode for the protocol.

Each protocol has one encoder module (``escpos_encode``, ``ql_raster``,
``zpl_encode``, ``pdf_label``); this picks it by the profile and imports it only
then. The print queue and ``bramka badge print`` both go through
:class:`BadgeEncoder`, so a test print is byte for byte what the kiosk prints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PIL import Image

from bramka.config import BadgeSettings, PrinterSettings
from printers.label import LabelRenderer, PlacedBadge
from printers.layout import BadgeData
from printers.profiles import PrinterProfile, get_profile, half_density
from sync.badge_template import BadgeTemplate

Encoder = Callable[[Image.Image], bytes]


def profile_for(settings: PrinterSettings) -> PrinterProfile:
    """``[printer] profile``, or without one the ESC/POS profile of ``paper_width``."""
    profile = get_profile(settings.profile) if settings.profile else get_profile(
        "escpos-80" if settings.paper_width == 576 else "escpos-58")
    density = settings.raster_density
    if density == "half" or (density == "auto" and settings.backend == "serial"):
        return half_density(profile)
    return profile


def encoder_for(profile: PrinterProfile) -> Encoder:
    """The function that turns one label image into the printer's job bytes."""
    if profile.protocol == "escpos":
        from printers.escpos_encode import encode_image

        return lambda image: encode_image(image, profile.width_dots * profile.magnify,
                                          magnify=profile.magnify)
    if profile.protocol == "ql":
        from printers.ql_raster import encode_label as ql_label

        return lambda image: ql_label(image, profile)
    if profile.protocol == "zpl":
        from printers.zpl_encode import encode_label as zpl_label

        return lambda image: zpl_label(image, profile)
    from printers.pdf_label import label_pdf

    return lambda image: label_pdf(image, profile)


class BadgeEncoder:
    """Badge data -> job bytes for one profile (fonts and encoder loaded once)."""

    def __init__(self, profile: PrinterProfile, settings: BadgeSettings,
                 template: BadgeTemplate | None = None,
                 images: Mapping[str, bytes] | None = None) -> None:
        """``template``: the event's badge template (None: the default badge), its
        ``images`` by SHA-256."""
        self.profile = profile
        self.renderer = LabelRenderer(profile, settings, template, images)
        self._encode = encoder_for(profile)

    @classmethod
    def for_settings(cls, printer: PrinterSettings, badge: BadgeSettings,
                     template: BadgeTemplate | None = None,
                     images: Mapping[str, bytes] | None = None) -> BadgeEncoder:
        return cls(profile_for(printer), badge, template, images)

    def place(self, data: BadgeData) -> PlacedBadge:
        return self.renderer.place(data)

    def encode_image(self, label: Image.Image) -> bytes:
        return self._encode(label)

    def encode(self, data: BadgeData) -> bytes:
        return self._encode(self.renderer.render(data))
