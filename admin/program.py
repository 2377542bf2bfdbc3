"""The program: venues, rooms, sessions and side events, registrations for them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from admin import db, import_capacity
from admin.auth import requires
from admin.errors import AdminError
from admin.forms import parse_int, parse_local_datetime, parse_optional_int
from admin.i18n import current_language, tr
from admin.queries import events as q_events
from admin.queries import program as q_program

bp = Blueprint("program", __name__)


def _flash_error(exc: AdminError) -> None:
    flash(exc.message(current_language()), "error")


@bp.route("/events/<int:event_id>/program")
@requires("organizer")
def index(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        venues = q_program.list_venues(conn, event_id)
        sessions = q_program.list_sessions(conn, event_id)
    return render_template("program/index.html", event=event, venues=venues, sessions=sessions)


@bp.route("/events/<int:event_id>/venues", methods=["POST"])
@requires("organizer")
def add_venue(event_id: int) -> Any:
    try:
        with db.write() as conn:
            q_events.get_event(conn, event_id)
            q_program.add_venue(conn, event_id, request.form.get("name", ""),
                                request.form.get("address", ""))
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("program.index", event_id=event_id))


@bp.route("/venues/<int:venue_id>", methods=["POST"])
@requires("organizer")
def edit_venue(venue_id: int) -> Any:
    with db.read() as conn:
        venue = q_program.get_venue(conn, venue_id)
    try:
        with db.write() as conn:
            if request.form.get("action") == "delete":
                q_program.delete_venue(conn, venue_id)
            else:
                q_program.update_venue(conn, venue_id, request.form.get("name", ""),
                                       request.form.get("address", ""))
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("program.index", event_id=venue["event_id"]))


@bp.route("/venues/<int:venue_id>/rooms", methods=["POST"])
@requires("organizer")
def add_room(venue_id: int) -> Any:
    with db.read() as conn:
        venue = q_program.get_venue(conn, venue_id)
    try:
        capacity = parse_optional_int(request.form.get("capacity"), tr("Miejsca", "Capacity"))
        with db.write() as conn:
            q_program.add_room(conn, venue_id, request.form.get("name", ""), capacity)
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("program.index", event_id=venue["event_id"]))


@bp.route("/rooms/<int:room_id>", methods=["POST"])
@requires("organizer")
def edit_room(room_id: int) -> Any:
    with db.read() as conn:
        room = q_program.get_room(conn, room_id)
    try:
        with db.write() as conn:
            if request.form.get("action") == "delete":
                q_program.delete_room(conn, room_id)
            else:
                capacity = parse_optional_int(request.form.get("capacity"),
                                              tr("Miejsca", "Capacity"))
                q_program.update_room(conn, room_id, request.form.get("name", ""), capacity)
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("program.index", event_id=room["event_id"]))


def _session_form(zone: str) -> dict[str, Any]:
    """The posted session; its times are wall times of the event's time ``zone``."""
    return {
        "title": request.form.get("title", ""),
        "kind": request.form.get("kind", "session"),
        "room_id": parse_int(request.form.get("room_id"), tr("Sala", "Room")),
        "starts_at": parse_local_datetime(request.form.get("starts_at", ""),
                                          tr("Początek", "Start"), zone),
        "ends_at": parse_local_datetime(request.form.get("ends_at", ""),
                                        tr("Koniec", "End"), zone),
        "capacity": parse_optional_int(request.form.get("capacity"), tr("Miejsca", "Capacity")),
        "registration_required": request.form.get("registration_required") == "1",
    }


def _session_form_page(event_id: int, session: dict[str, Any] | None) -> Any:
    """The session form, new or existing, refilled with what was posted after an error."""
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        venues = q_program.list_venues(conn, event_id)
    return render_template("program/session_form.html", event=event, venues=venues,
                           session=session, form=request.form)


@bp.route("/events/<int:event_id>/sessions/new", methods=["GET", "POST"])
@requires("organizer")
def new_session(event_id: int) -> Any:
    if request.method == "POST":
        try:
            with db.write() as conn:
                data = _session_form(q_events.timezone_of(conn, event_id))
                q_program.add_session(conn, event_id, data)
            flash(tr("Dodano do programu.", "Added to the program."), "ok")
            return redirect(url_for("program.index", event_id=event_id))
        except AdminError as exc:
            _flash_error(exc)
    return _session_form_page(event_id, None)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@requires("organizer")
def edit_session(session_id: int) -> Any:
    with db.read() as conn:
        session = q_program.get_session(conn, session_id)
    event_id = session["event_id"]
    if request.method == "POST":
        try:
            with db.write() as conn:
                if request.form.get("action") == "delete":
                    q_program.delete_session(conn, session_id)
                    flash(tr("Usunięto z programu.", "Removed from the program."), "ok")
                else:
                    zone = q_events.timezone_of(conn, event_id)
                    q_program.update_session(conn, session_id, _session_form(zone))
                    flash(tr("Zapisano.", "Saved."), "ok")
            return redirect(url_for("program.index", event_id=event_id))
        except AdminError as exc:
            _flash_error(exc)
    return _session_form_page(event_id, session)


@bp.route("/sessions/<int:session_id>/registrations", methods=["GET", "POST"])
@requires("organizer")
def registrations(session_id: int) -> Any:
    with db.read() as conn:
        session = q_program.get_session(conn, session_id)
    if request.method == "POST":
        try:
            person_id = parse_int(request.form.get("person_id"), tr("Osoba", "Person"))
            with db.write() as conn:
                q_program.change_registration(
                    conn, session_id, person_id, g.user["username"],
                    remove=request.form.get("action") == "remove")
        except AdminError as exc:
            _flash_error(exc)
        return redirect(url_for("program.registrations", session_id=session_id))
    with db.read() as conn:
        event = q_events.get_event(conn, session["event_id"])
        people = q_program.registered_people(conn, session_id)
        waiting = import_capacity.waiting(conn, session_id)
    return render_template("program/registrations.html", event=event, session=session,
                           people=people, capacity=q_program.effective_capacity(session),
                           waiting=waiting)
