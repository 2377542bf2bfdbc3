"""The template's pictures on a badge: decoded once, flattened on white, fitted to a box."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping

from PIL import Image

from sync.badge_template import BadgeTemplate, image_digest

log = logging.getLogger(__name__)


def decode_images(template: BadgeTemplate | None, images: Mapping[str, bytes] | None
                  ) -> dict[str, Image.Image]:
    """Kind (``logo``, ``funding``) -> the picture as RGB on white, for the images the
    template prints. An image missing or not matching its hash is left out (logged): the
    badge still prints, its QR above all."""
    pictures: dict[str, Image.Image] = {}
    if template is None:
        return pictures
    for kind, ref in template.image_refs().items():
        data = (images or {}).get(ref.sha256)
        if data is None or image_digest(data) != ref.sha256:
            log.warning("badge template image %s (%s) missing: printed without it",
                        kind, ref.sha256[:12])
            continue
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        pictures[kind] = flat
    return pictures


def fitted(picture: Image.Image, width: int, height: int, mode: str) -> Image.Image:
    """``picture`` scaled to fit ``width`` x ``height`` dots (aspect kept), in ``mode``."""
    scale = min(width / picture.width, height / picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    resized = picture.resize(size, Image.Resampling.LANCZOS)
    return resized if mode == "RGB" else resized.convert(mode)
