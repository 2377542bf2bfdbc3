"""The badge template an organizer designs in the admin and every kiosk prints with.

Both sides import this model: the admin refuses what it cannot print, and a kiosk never
receives a template it would have to refuse. A template names its images (the event's
logo, the funding logo strip) by SHA-256; the images travel separately, downloaded by a
kiosk only when it lacks one (``GET /badge-images/<sha256>``), and the template's own
hash (:func:`template_hash`, over its canonical JSON, image hashes included) tells a
kiosk whether anything changed at all.

Sizes are millimetres (``None``: the printer's media decides), text sizes points, colours
``#rrggbb``; fonts come from a fixed list that covers Polish (DejaVu).
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .bounds import Role
from .words import BilingualError

FORMAT = "bramka.badge-template/1"

FieldName = Literal["logo", "name", "institution", "role", "event", "qr", "funding"]
FIELDS: tuple[str, ...] = FieldName.__args__  # type: ignore[attr-defined]
DEFAULT_FIELDS: tuple[FieldName, ...] = ("name", "institution", "role", "event", "qr")
FontName = Literal["DejaVu Sans", "DejaVu Sans Condensed", "DejaVu Serif"]
FONTS: dict[str, tuple[str, str]] = {  # family -> (regular, bold) file names
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVu Sans Condensed": ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
}
ImageKind = Literal["logo", "funding"]
MediaType = Literal["image/png", "image/jpeg"]

# Within what the printers take: 25 mm (a 29 mm roll) to A4.
MIN_WIDTH_MM, MAX_WIDTH_MM = 25.0, 210.0
MIN_HEIGHT_MM, MAX_HEIGHT_MM = 25.0, 297.0
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 4000  # pixels
MAX_IMAGE_PIXELS = 8_000_000
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
SHA256 = r"^[0-9a-f]{64}$"


class TemplateInvalid(BilingualError, ValueError):
    """A template or an image that cannot be used; ``words`` say why."""

    code = "template_invalid"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageRef(_Strict):
    """An image of the template, by content: the kiosk checks the bytes against ``sha256``."""

    sha256: str = Field(pattern=SHA256)
    media_type: MediaType
    width: int = Field(ge=1, le=MAX_IMAGE_SIDE)
    height: int = Field(ge=1, le=MAX_IMAGE_SIDE)
    size: int = Field(ge=1, le=MAX_IMAGE_BYTES)


class BadgeTemplate(_Strict):
    format: Literal["bramka.badge-template/1"] = FORMAT
    width_mm: float | None = Field(default=None, ge=MIN_WIDTH_MM, le=MAX_WIDTH_MM)
    height_mm: float | None = Field(default=None, ge=MIN_HEIGHT_MM, le=MAX_HEIGHT_MM)
    fields: tuple[FieldName, ...] = DEFAULT_FIELDS
    font: FontName = "DejaVu Sans"
    name_size_pt: float | None = Field(default=None, ge=12, le=56)
    text_size_pt: float | None = Field(default=None, ge=8, le=32)
    logo_height_mm: float = Field(default=15.0, ge=5, le=60)
    funding_height_mm: float = Field(default=12.0, ge=5, le=40)
    role_colours: dict[Role, str] = {}
    logo: ImageRef | None = None
    funding: ImageRef | None = None

    @field_validator("role_colours")
    @classmethod
    def _colours(cls, value: dict[str, str]) -> dict[str, str]:
        for role, colour in value.items():
            if not isinstance(colour, str) or not COLOUR.match(colour):
                raise ValueError(f"colour of {role} must be #rrggbb, got {colour!r}")
        return {role: colour.lower() for role, colour in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> BadgeTemplate:
        if len(set(self.fields)) != len(self.fields):
            raise ValueError("a field appears twice")
        if "qr" not in self.fields:
            raise ValueError("the QR code is required: kiosks scan it")
        for kind in ("logo", "funding"):
            if kind in self.fields and getattr(self, kind) is None:
                raise ValueError(f"the field {kind} needs its image")
        return self

    def image_refs(self) -> dict[str, ImageRef]:
        """The images this template prints, by kind (an uploaded image not in ``fields``
        is kept with the template but not sent to kiosks)."""
        return {kind: ref for kind in ("logo", "funding")
                if (ref := getattr(self, kind)) is not None and kind in self.fields}


def template_hash(template: BadgeTemplate) -> str:
    """SHA-256 of the template's canonical JSON (its images by their hashes)."""
    return hashlib.sha256(template.model_dump_json().encode()).hexdigest()


def image_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_image(data: bytes) -> ImageRef:
    """An uploaded or downloaded image: PNG or JPEG, within the limits, decodable."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise TemplateInvalid("Wybierz plik obrazu", "Choose an image file")
    if len(data) > MAX_IMAGE_BYTES:
        raise TemplateInvalid(
            f"Obraz jest za duży: {len(data) // 1024} KB, najwyżej {MAX_IMAGE_BYTES // 1024} KB",
            f"The image is too large: {len(data) // 1024} KB, at most "
            f"{MAX_IMAGE_BYTES // 1024} KB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            kind = img.format
            width, height = img.size
            if kind not in ("PNG", "JPEG"):
                raise TemplateInvalid("Obraz jako PNG albo JPEG", "The image as PNG or JPEG")
            if (max(width, height) > MAX_IMAGE_SIDE or width * height > MAX_IMAGE_PIXELS):
                raise TemplateInvalid(
                    f"Obraz ma za dużo pikseli ({width}×{height}); najwyżej "
                    f"{MAX_IMAGE_SIDE} px z każdej strony",
                    f"The image has too many pixels ({width}×{height}); at most "
                    f"{MAX_IMAGE_SIDE} px a side")
            img.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise TemplateInvalid("To nie jest obraz PNG ani JPEG",
                              "This is not a PNG or JPEG image") from None
    return ImageRef(sha256=image_digest(data),
                    media_type="image/png" if kind == "PNG" else "image/jpeg",
                    width=width, height=height, size=len(data))


_FIELD_WORDS = {
    "width_mm": ("Szerokość", "Width"), "height_mm": ("Wysokość", "Height"),
    "fields": ("Pola", "Fields"), "font": ("Krój pisma", "Font"),
    "name_size_pt": ("Wielkość nazwiska", "Name size"),
    "text_size_pt": ("Wielkość tekstu", "Text size"),
    "logo_height_mm": ("Wysokość logo", "Logo height"),
    "funding_height_mm": ("Wysokość paska logotypów", "Funding strip height"),
    "role_colours": ("Kolory ról", "Role colours"), "logo": ("Logo", "Logo"),
    "funding": ("Pasek logotypów", "Funding strip"), "format": ("Format", "Format"),
}
_RULES = {  # pydantic error type -> (pl, en) with {ge}/{le}-style context
    "greater_than_equal": ("co najmniej {ge}", "at least {ge}"),
    "less_than_equal": ("najwyżej {le}", "at most {le}"),
    "literal_error": ("nieznana wartość", "not a known value"),
    "float_parsing": ("to nie jest liczba", "not a number"),
    "float_type": ("to nie jest liczba", "not a number"),
    "extra_forbidden": ("nieznane pole", "not a known field"),
}
_MESSAGES = {  # our own validators' messages
    "a field appears twice": ("pole występuje dwa razy", "a field appears twice"),
    "the QR code is required": ("kod QR jest wymagany (kiosk go skanuje)",
                                "the QR code is required (kiosks scan it)"),
    "needs its image": ("pole wymaga obrazu: wgraj go albo usuń pole",
                        "the field needs its image: upload it or remove the field"),
    "must be #rrggbb": ("kolor zapisz jako #rrggbb", "write the colour as #rrggbb"),
}


def _filled(text: str, context: dict[str, str]) -> str:
    try:
        return text.format(**context)
    except (KeyError, IndexError, ValueError):  # a message of pydantic's own, braces and all
        return text


def describe(exc: ValidationError) -> TemplateInvalid:
    """A validation error as one Polish and one English sentence, naming each field."""
    pl_parts, en_parts = [], []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        head = next((p for p in loc if p in _FIELD_WORDS), loc[0] if loc else "")
        where_pl, where_en = _FIELD_WORDS.get(head, (head, head))
        pl, en = _RULES.get(err["type"], (err["msg"], err["msg"]))
        for key, words in _MESSAGES.items():
            if key in err["msg"]:
                pl, en = words
        context = {k: str(v) for k, v in (err.get("ctx") or {}).items()}
        pl_parts.append(f"{where_pl}: {_filled(pl, context)}")
        en_parts.append(f"{where_en}: {_filled(en, context)}")
    return TemplateInvalid("; ".join(pl_parts), "; ".join(en_parts))


def parse_template(data: dict | str | bytes) -> BadgeTemplate:
    """Validate a template (JSON text or a decoded dict); raise :class:`TemplateInvalid`."""
    try:
        if isinstance(data, dict):
            return BadgeTemplate.model_validate(data)
        return BadgeTemplate.model_validate_json(data)
    except ValidationError as exc:
        raise describe(exc) from None


EXPORT_FORMAT = "bramka.badge-template-export/1"


def export_document(template: BadgeTemplate, images: dict[str, bytes]) -> dict:
    """The template and its images as one JSON document: what the admin's *Download the
    template* gives and ``bramka badge sheets --template`` reads."""
    import base64

    return {"format": EXPORT_FORMAT, "template": template.model_dump(mode="json"),
            "images": {sha: base64.b64encode(data).decode() for sha, data in images.items()}}


def load_export(text: str | bytes) -> tuple[BadgeTemplate, dict[str, bytes]]:
    """Read an exported template; every image it prints must be in it, matching its hash."""
    import base64
    import binascii
    import json

    try:
        document = json.loads(text)
    except ValueError as exc:
        raise TemplateInvalid(f"To nie jest plik JSON: {exc}", f"Not a JSON file: {exc}"
                              ) from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise TemplateInvalid(f"To nie jest wzór identyfikatora ({EXPORT_FORMAT})",
                              f"Not a badge template export ({EXPORT_FORMAT})")
    template = parse_template(document.get("template") or {})
    images: dict[str, bytes] = {}
    for ref in template.image_refs().values():
        try:
            data = base64.b64decode(document.get("images", {}).get(ref.sha256, ""),
                                    validate=True)
        except (binascii.Error, TypeError):
            data = b""
        if image_digest(data) != ref.sha256:
            raise TemplateInvalid(f"Brak obrazu {ref.sha256[:12]} w pliku wzoru",
                                  f"Image {ref.sha256[:12]} missing from the template file")
        images[ref.sha256] = data
    return template, images


__all__ = [
    "DEFAULT_FIELDS", "EXPORT_FORMAT", "FIELDS", "FONTS", "BadgeTemplate", "ImageRef",
    "TemplateInvalid", "check_image", "describe", "export_document", "image_digest",
    "load_export", "parse_template", "template_hash",
]
