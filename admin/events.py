"""Events: list, create (with their signing key), edit, overview."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin import db
from admin.auth import requires
from admin.errors import AdminError
from admin.forms import parse_date
from admin.i18n import current_language, tr
from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.retention import anonymous_summary
from sync.timekeeping import DEFAULT_TIMEZONE

bp = Blueprint("events", __name__)


def _form_values() -> tuple[str, Any, Any, str]:
    name = request.form.get("name", "")
    starts_on = parse_date(request.form.get("starts_on", ""), tr("Początek", "Start"))
    ends_on = parse_date(request.form.get("ends_on", "") or request.form.get("starts_on", ""),
                         tr("Koniec", "End"))
    return name, starts_on, ends_on, request.form.get("timezone", "").strip() or DEFAULT_TIMEZONE


@bp.route("/events", methods=["GET", "POST"])
@requires("organizer")
def index() -> Any:
    if request.method == "POST":
        try:
            name, starts_on, ends_on, timezone = _form_values()
            with db.write() as conn:
                event_id = q_events.create_event(conn, name, starts_on, ends_on, timezone)
        except AdminError as exc:
            flash(exc.message(current_language()), "error")
            return redirect(url_for("events.index"))
        flash(tr("Wydarzenie utworzone wraz z kluczem podpisu identyfikatorów.",
                 "Event created with its badge signing key."), "ok")
        return redirect(url_for("events.show", event_id=event_id))
    with db.read() as conn:
        rows = q_events.list_events(conn)
    return render_template("events/index.html", events=rows)


@bp.route("/events/<int:event_id>", methods=["GET", "POST"])
@requires("organizer")
def show(event_id: int) -> Any:
    if request.method == "POST":
        try:
            name, starts_on, ends_on, timezone = _form_values()
            with db.write() as conn:
                q_events.update_event(conn, event_id, name, starts_on, ends_on, timezone)
            flash(tr("Zapisano.", "Saved."), "ok")
        except AdminError as exc:
            flash(exc.message(current_language()), "error")
        return redirect(url_for("events.show", event_id=event_id))
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        keys = q_events.public_keys(conn, event_id)
        sessions = q_program.list_sessions(conn, event_id)
        counts = anonymous_summary(conn, event_id)
    return render_template("events/show.html", event=event, public_keys=keys, sessions=sessions,
                           counts=counts)
