"""The badge designer: an event's badge template, its images, and a live preview.

The preview is a PNG made by the kiosk's own code (``printers.label.LabelRenderer``) for
a printer profile the organizer picks, so what the page shows is what that printer
prints. ``static/badge.js`` asks for it again as the form changes (POST of the form as
it is, unsaved); without JavaScript the saved template's preview shows. The exported
JSON (template + images) is what ``bramka badge sheets --template`` reads.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from admin import db
from admin.auth import requires
from admin.badge_form import IMAGE_KINDS, ROLES, FormResult, form_values, read_form
from admin.i18n import tr
from admin.queries import badge_templates as q_badge
from admin.queries import events as q_events
from bramka.config import BadgeSettings
from bramka.web_guard import json_error
from printers.label import BadgeTooLarge, LabelRenderer
from printers.layout import BadgeData, format_event_dates
from printers.profiles import PROFILES, get_profile
from sync.badge_template import FIELDS, FONTS, BadgeTemplate, export_document

bp = Blueprint("badges", __name__)
DEFAULT_PREVIEW = "cups-62x100"  # a colour page: role colours show; pick a thermal one too
SAMPLE = {"name": "Katarzyna Cecuga-Nowak",
          "institution": "Miejski Ośrodek Pomocy Społecznej w Krakowie"}
SAMPLE_TOKEN = "PODGLAD" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ" * 3 + "PREVIEW"  # 120 chars
FIELD_LABELS = {
    "logo": ("Logo", "Logo"), "name": ("Imię i nazwisko (duże)", "Name (large)"),
    "institution": ("Instytucja", "Institution"), "role": ("Pasek roli", "Role band"),
    "event": ("Nazwa i daty wydarzenia", "Event name and dates"), "qr": ("Kod QR", "QR code"),
    "funding": ("Pasek logotypów (EFS+)", "Funding logo strip (ESF+)"),
}


def _preview_png(event: dict[str, Any], template: BadgeTemplate | None,
                 images: dict[str, bytes], profile_name: str, role: str) -> bytes:
    profile = get_profile(profile_name if profile_name in PROFILES else DEFAULT_PREVIEW)
    badge = BadgeData(name=SAMPLE["name"], institution=SAMPLE["institution"],
                      role=role if role in ROLES else "speaker", token=SAMPLE_TOKEN,
                      event_name=event["name"],
                      event_dates=format_event_dates(event["starts_on"], event["ends_on"]))
    image = LabelRenderer(profile, BadgeSettings(), template, images).render(badge)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _png(data: bytes) -> Response:
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


def _page(event: dict[str, Any], result: FormResult, status: int = 200) -> tuple[str, int]:
    return render_template(
        "events/badge.html", event=event, values=result.values, images=result.images,
        errors=result.errors, fields=FIELDS, field_labels=FIELD_LABELS, fonts=list(FONTS),
        roles=ROLES, profiles=list(PROFILES), default_preview=DEFAULT_PREVIEW), status


@bp.route("/events/<int:event_id>/badge")
@requires("organizer")
def show(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        template = q_badge.get_template(conn, event_id) or BadgeTemplate()
    images = {kind: getattr(template, kind) for kind in IMAGE_KINDS}
    return _page(event, FormResult(template, form_values(template), images))


@bp.post("/events/<int:event_id>/badge")
@requires("organizer")
def save(event_id: int) -> Any:
    if request.form.get("action") == "reset":
        with db.write() as conn:
            q_events.get_event(conn, event_id)
            q_badge.save_template(conn, event_id, BadgeTemplate(), g.user["username"])
        flash(tr("Przywrócono domyślny identyfikator.", "The default badge is back."), "ok")
        return redirect(url_for("badges.show", event_id=event_id))
    with db.write() as conn:  # images are kept even when the form is refused
        event = q_events.get_event(conn, event_id)
        saved = q_badge.get_template(conn, event_id)
        result = read_form(conn, event_id, request.form, request.files, saved)
        template = result.template
        changed = template is not None and q_badge.save_template(
            conn, event_id, template, g.user["username"])
    if template is None:
        return _page(event, result, 400)
    flash(tr("Zapisano wzór identyfikatora: kioski dostaną go przy najbliższej synchronizacji."
             if changed else "Bez zmian.",
             "The badge template is saved: kiosks get it at their next sync."
             if changed else "Nothing changed."), "ok")
    return redirect(url_for("badges.show", event_id=event_id))


@bp.route("/events/<int:event_id>/badge/preview.png", methods=["GET", "POST"])
@requires("organizer")
def preview(event_id: int) -> Any:
    """GET: the saved template; POST: the form as it is now, saved or not."""
    args = request.form if request.method == "POST" else request.args
    with db.write() if request.method == "POST" else db.read() as conn:
        event = q_events.get_event(conn, event_id)
        saved = q_badge.get_template(conn, event_id)
        template = saved
        if request.method == "POST":
            result = read_form(conn, event_id, request.form, request.files, saved)
            if result.template is None:
                pl, en = result.errors[0] if result.errors else ("?", "?")
                return json_error(400, "template_invalid", pl, en)
            template = result.template
        images = q_badge.images_of(conn, event_id, template)
    try:
        return _png(_preview_png(event, template, images, str(args.get("profile", "")),
                                 str(args.get("role", "speaker"))))
    except BadgeTooLarge:
        return json_error(400, "too_large",
                          "Ten identyfikator nie mieści się na etykiecie tej drukarki.",
                          "This badge does not fit this printer's label.")


@bp.route("/events/<int:event_id>/badge/template.json")
@requires("organizer")
def export(event_id: int) -> Any:
    """The template and its images as one file, for ``bramka badge sheets --template``."""
    with db.read() as conn:
        q_events.get_event(conn, event_id)
        template = q_badge.get_template(conn, event_id) or BadgeTemplate()
        images = q_badge.images_of(conn, event_id, template)
    body = export_document(template, images)
    return Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype="application/json",
                    headers={"Content-Disposition":
                             f'attachment; filename="badge-template-{event_id}.json"'})
