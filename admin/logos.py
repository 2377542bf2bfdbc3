"""The funding logo strip ("Fundusze Europejskie" / EU / national logos an ESF+ document
carries): uploaded by the organizer per event, printed on attendance lists, sign-in
sheets and certificates. Kept as a PNG in the admin's data directory."""

from __future__ import annotations

import io
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

from admin.errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000


def _path(event_id: int) -> Path:
    return Path(current_app.config["DATA_DIR"]) / "logos" / f"event-{event_id}.png"


def logo_path(event_id: int) -> Path | None:
    path = _path(event_id)
    return path if path.exists() else None


def save_logo(event_id: int, data: bytes) -> tuple[int, int]:
    """Check and keep an uploaded strip (PNG or JPEG); return its size in pixels."""
    if not data:
        raise Invalid("Wybierz plik z logotypami", "Choose a file with the logos")
    if len(data) > MAX_BYTES:
        raise Invalid("Plik jest za duży (najwyżej 5 MB)", "The file is too large (5 MB at most)")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format not in ("PNG", "JPEG"):
                raise Invalid("Logotypy jako PNG albo JPEG", "The logos as PNG or JPEG")
            if img.width * img.height > MAX_PIXELS:
                raise Invalid("Obraz jest za duży", "The image is too large")
            img.load()
            strip = img.convert("RGBA") if img.mode in ("P", "LA", "RGBA") else img.convert("RGB")
    except (UnidentifiedImageError, OSError):
        raise Invalid("To nie jest obraz PNG ani JPEG", "This is not a PNG or JPEG image"
                      ) from None
    if strip.width < strip.height:
        raise Invalid("Pasek logotypów jest poziomy (szerszy niż wyższy)",
                      "A logo strip is wider than it is tall")
    path = _path(event_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    strip.save(tmp, format="PNG")
    tmp.replace(path)
    return strip.width, strip.height


def remove_logo(event_id: int) -> None:
    _path(event_id).unlink(missing_ok=True)
