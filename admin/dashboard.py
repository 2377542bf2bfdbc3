"""Live dashboard (organizers): a page that polls a JSON endpoint every few seconds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from admin import db
from admin.auth import requires
from admin.i18n import tr
from admin.queries import events as q_events
from admin.queries import program as q_program
from admin.queries import stats
from admin.schema import utcnow

bp = Blueprint("dashboard", __name__)

# The words dashboard.js draws with, rendered into the page in its language (one copy:
# the script holds none of its own; tests/test_tables.py checks it uses only these).
DASHBOARD_WORDS: dict[str, tuple[str, str]] = {
    "over_capacity": ("ponad limit", "over capacity"),
    "session_over_capacity": ("ponad limit!", "over capacity!"),
    "duplicates": ("podwójne wejścia", "duplicate admissions"),
    "plan": ("plan", "plan"),
    "quarantined": ("skany w kwarantannie", "scans in quarantine"),
    "stale_kiosks": ("kioski bez kontaktu", "kiosks out of contact"),
    "out_of_contact": ("bez kontaktu", "out of contact"),
    "never": ("nigdy", "never"),
    "none": ("brak", "none"),
    "entrance": ("wejście", "entrance"),
    "and": ("i", "and"),
    "max": ("maks.", "max"),
}


def dashboard_words() -> dict[str, str]:
    return {key: tr(pl, en) for key, (pl, en) in DASHBOARD_WORDS.items()}


def _now() -> Any:
    fixed = current_app.config.get("DASHBOARD_NOW")  # tests and replays pin the clock
    return fixed or utcnow()


@bp.route("/events/<int:event_id>/dashboard")
@requires("organizer")
def show(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    return render_template("dashboard/show.html", event=event, words=dashboard_words(),
                           interval_ms=current_app.config.get("DASHBOARD_POLL_MS", 3000))


@bp.route("/events/<int:event_id>/dashboard.json")
@requires("organizer")
def data(event_id: int) -> Any:
    with db.read() as conn:
        q_events.get_event(conn, event_id)
        payload = stats.dashboard_data(conn, event_id, _now())
    resp = jsonify(payload)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.route("/events/<int:event_id>/rooms/<int:room_id>/inside")
@requires("organizer")
def room_inside(event_id: int, room_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        room = q_program.get_room(conn, room_id)
        people = stats.people_inside(conn, event_id, room_id, _now())
    return render_template("dashboard/room.html", event=event, room=room, people=people)
