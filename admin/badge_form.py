"""The badge template form: what the organizer typed and uploaded -> a ``BadgeTemplate``.

Pure but for the images: an upload is checked (``sync.badge_template.check_image``) and
stored at once, so a form refused for another field keeps it; the page sends the kept
image's hash back in a hidden field. A form that cannot make a template gives back every
value as typed, and the reasons in Polish and English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection

from admin.queries import badge_templates as q_badge
from sync.badge_template import (
    FIELDS,
    BadgeTemplate,
    ImageRef,
    TemplateInvalid,
    check_image,
    describe,
)
from sync.bounds import Role

ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
IMAGE_KINDS = ("logo", "funding")
NUMBERS = ("width_mm", "height_mm", "name_size_pt", "text_size_pt", "logo_height_mm",
           "funding_height_mm")


@dataclass
class FormResult:
    """A template, or the reasons there is none; ``values`` refill the form either way."""

    template: BadgeTemplate | None
    values: dict[str, Any]
    images: dict[str, ImageRef | None] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (pl, en)


def form_values(template: BadgeTemplate) -> dict[str, Any]:
    """A saved template as the form shows it."""
    values: dict[str, Any] = {name: "" if getattr(template, name) is None
                              else f"{getattr(template, name):g}" for name in NUMBERS}
    values["font"] = template.font
    values["fields"] = list(template.fields)
    for role in ROLES:
        values[f"colour_{role}"] = template.role_colours.get(role, "")  # type: ignore[call-overload]
    return values


def _number(raw: str) -> float | str | None:
    text = raw.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return raw  # pydantic names it: "not a number"


def _image(conn: Connection, event_id: int, kind: str, form: Mapping[str, str],
           files: Mapping[str, Any], saved: BadgeTemplate | None,
           errors: list[tuple[str, str]]) -> ImageRef | None:
    """The image of ``kind``: a new upload, the one kept from a refused form, or the
    saved template's; none when the organizer removed it."""
    if form.get(f"remove_{kind}"):
        return None
    upload = files.get(kind)
    data = upload.read() if upload is not None and upload.filename else b""
    if data:
        try:
            ref = check_image(data)
        except TemplateInvalid as exc:
            what = ("Logo", "Logo") if kind == "logo" else ("Pasek logotypów", "Funding strip")
            errors.append((f"{what[0]}: {exc.pl}", f"{what[1]}: {exc.en}"))
        else:
            q_badge.put_image(conn, event_id, ref, data)
            return ref
    if f"{kind}_sha256" not in form:  # not from the page: the saved image stays
        return getattr(saved, kind) if saved is not None else None
    kept = form.get(f"{kind}_sha256", "")
    image = q_badge.get_image(conn, event_id, kept) if kept else None
    return check_image(image[1]) if image is not None else None


def read_form(conn: Connection, event_id: int, form: Mapping[str, Any],
              files: Mapping[str, Any], saved: BadgeTemplate | None) -> FormResult:
    """The template the form describes (images stored as they arrive, see module doc)."""
    getlist = getattr(form, "getlist", None)
    chosen = getlist("fields") if getlist else list(form.get("fields", []))
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in NUMBERS}
    values["font"] = str(form.get("font", "DejaVu Sans"))
    values["fields"] = [f for f in chosen if f in FIELDS] + [f for f in chosen if f not in FIELDS]
    errors: list[tuple[str, str]] = []
    images = {kind: _image(conn, event_id, kind, form, files, saved, errors)
              for kind in IMAGE_KINDS}
    colours: dict[str, str] = {}
    for role in ROLES:
        values[f"colour_{role}"] = raw = str(form.get(f"colour_{role}", "")).strip()
        if raw:
            colours[role] = raw
    document: dict[str, Any] = {
        name: number for name in NUMBERS
        if (number := _number(values[name])) is not None or name in ("width_mm", "height_mm",
                                                                     "name_size_pt",
                                                                     "text_size_pt")}
    # the canonical order of the fields: what the badge prints top to bottom
    document["fields"] = sorted(values["fields"], key=lambda f: FIELDS.index(f)
                                if f in FIELDS else len(FIELDS))
    document.update(font=values["font"], role_colours=colours, **images)
    result = FormResult(None, values, images, errors)
    try:
        template = BadgeTemplate.model_validate(document)
    except ValidationError as exc:
        problem = describe(exc)
        errors.append((problem.pl, problem.en))
        return result
    if not errors:
        result.template = template
    return result
