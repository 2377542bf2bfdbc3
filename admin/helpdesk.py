"""The help desk (volunteers): find a person, check in by hand, replace a lost badge and send
the reprint to a kiosk's printer, register a walk-in, fix a typo."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from admin import db
from admin.auth import requires
from admin.errors import AdminError, Forbidden, Invalid
from admin.i18n import current_language, local, tr
from admin.queries import attendance as q_attendance
from admin.queries import audit
from admin.queries import events as q_events
from admin.queries import kiosks as q_kiosks
from admin.queries import people as q_people
from admin.queries import program as q_program
from admin.queries import self_service as q_self_service
from admin.search import SearchCache
from printers.layout import qr_image
from sync.timekeeping import utc_now

bp = Blueprint("helpdesk", __name__)
RESULTS = 20


def _cache() -> SearchCache:
    return current_app.extensions["bramka_search"]


def _flash_error(exc: AdminError) -> None:
    flash(exc.message(current_language()), "error")


def _person_form() -> dict[str, Any]:
    return {k: request.form.get(k, "") for k in
            ("first_name", "last_name", "email", "institution", "position", "role")}


@bp.route("/helpdesk")
@requires("volunteer")
def index() -> Any:
    with db.read() as conn:
        event_id = q_events.current_event_id(conn, utc_now())
    if event_id is None:
        return render_template("error.html", status=404, message=tr(
            "Nie ma jeszcze żadnego wydarzenia.", "There is no event yet.")), 404
    return redirect(url_for("helpdesk.event_index", event_id=event_id))


def _search(event_id: int, query: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        found = _cache().index(conn, event_id).search(query, RESULTS)
        arrived = q_people.checked_in_ids(conn, event_id, [e.id for e in found])
    return [{"id": e.id, "name": e.full_name, "institution": e.institution, "email": e.email,
             "status": e.status, "checked_in": e.id in arrived,
             "url": url_for("helpdesk.person", person_id=e.id)} for e in found]


@bp.route("/events/<int:event_id>/helpdesk")
@requires("volunteer")
def event_index(event_id: int) -> Any:
    query = request.args.get("q", "").strip()
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
    results = _search(event_id, query) if query else []
    return render_template("helpdesk/index.html", event=event, query=query, results=results)


@bp.route("/events/<int:event_id>/helpdesk/search.json")
@requires("volunteer")
def search_json(event_id: int) -> Any:
    query = request.args.get("q", "").strip()[:200]
    with db.read() as conn:
        q_events.get_event(conn, event_id)
    return jsonify(query=query, results=_search(event_id, query) if query else [])


@bp.route("/people/<int:person_id>")
@requires("volunteer")
def person(person_id: int) -> Any:
    with db.read() as conn:
        p = q_people.get_person(conn, person_id)
        event = q_events.get_event(conn, p["event_id"])
        context = {
            "person": p, "event": event,
            "presence": q_people.person_presence(conn, person_id),
            "scans": q_people.person_scans(conn, person_id, 50),
            "badges": q_people.badge_history(conn, person_id),
            "registered": q_program.sessions_of_person(conn, person_id),
            "sessions": q_program.list_sessions(conn, p["event_id"]),
            "kiosks": q_kiosks.print_targets(conn, p["event_id"]),
            "prints": q_kiosks.person_prints(conn, person_id),
            "history": audit.for_person(conn, person_id)[:30],
            "roles": q_people.ROLES,
            "minutes_per_day": q_attendance.minutes_per_day(conn, p["event_id"], person_id),
            "earns_certificate": bool(q_attendance.certificate_sessions(
                conn, event, person_id, q_attendance.EventMinutes(conn, event, person_id))),
            # Told to the person in front of the desk: a replaced badge has a new one.
            "personal_code": q_self_service.current_code(event, p),
        }
    refused = request.args.get("refused", "")
    context["print_lines"] = [print_line(r) for r in context["prints"]]
    context["refused_session"] = next(
        (s for s in context["sessions"] if refused.isdigit() and s["id"] == int(refused)), None)
    return render_template("helpdesk/person.html", **context)


@bp.route("/people/<int:person_id>/qr.png")
@requires("volunteer")
def person_qr(person_id: int) -> Any:
    with db.read() as conn:
        p = q_people.get_person(conn, person_id)
        text = q_events.issue_token(conn, p["event_id"], person_id, p["badge_revision"])
    buf = io.BytesIO()
    qr_image(text, module_dots=8).save(buf, format="PNG")  # the badges' own QR rendering
    return Response(buf.getvalue(), mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.route("/people/<int:person_id>/checkin", methods=["POST"])
@requires("volunteer")
def check_in(person_id: int) -> Any:
    raw = request.form.get("session_id", "")
    session_id = int(raw) if raw.isdigit() and int(raw) > 0 else None
    direction = "out" if request.form.get("direction") == "out" else "in"
    reason = request.form.get("override_reason", "").strip()
    try:
        if reason and g.user["role"] != "organizer":
            raise Forbidden("Tylko organizator może wpisać wejście mimo zasad",
                            "Only an organizer can record an entry despite the rules")
        if reason and len(reason) < 5:
            raise Invalid("Podaj powód (co najmniej 5 znaków)",
                          "Give a reason (at least 5 characters)")
        with db.write() as conn:
            result = q_people.check_in_by_hand(conn, person_id, session_id, g.user["username"],
                                               direction, override_reason=reason)
        if result == "already_checked_in":
            flash(tr("Ta osoba była już wpuszczona; zapisano ponowne wejście.",
                     "This person was already admitted; the re-entry is recorded."), "warn")
        else:
            flash(tr("Zapisano wejście.", "Check-in recorded."), "ok")
    except q_people.EntryRefused as exc:
        flash(tr("Nie wpuszczono: ", "Not admitted: ") + exc.message(current_language()) + ".",
              "error")
        return redirect(url_for("helpdesk.person", person_id=person_id, refused=session_id))
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("helpdesk.person", person_id=person_id))


def _print_payload(conn: Any, p: dict[str, Any]) -> dict[str, Any]:
    """The body of a ``sync.wire.Command`` of kind ``reprint`` (less its id)."""
    return {
        "attendee_id": p["id"],
        "badge": {
            "name": f"{p['first_name']} {p['last_name']}", "institution": p["institution"],
            "role": p["role"],
            "token": q_events.issue_token(conn, p["event_id"], p["id"], p["badge_revision"]),
        },
    }


def _queue_print(conn: Any, person_id: int, kiosk_id: str) -> str:
    """Send the badge to ``kiosk_id``; what to tell the volunteer. A kiosk without a
    printer is refused before anything is written; a printer with a fault gets the job
    (it prints once fixed) and a warning is flashed, both naming the kiosks that print."""
    p = q_people.get_person(conn, person_id)
    kiosk, warning = q_kiosks.check_print_target(conn, kiosk_id)
    if kiosk["event_id"] not in (None, p["event_id"]):
        raise Invalid("Ten kiosk służy innemu wydarzeniu", "That kiosk serves another event")
    q_kiosks.queue_command(conn, kiosk_id, "reprint", _print_payload(conn, p),
                           g.user["username"])
    audit.log(conn, g.user["username"], "print_badge", event_id=p["event_id"],
              person_id=person_id, detail=f"kiosk {kiosk_id}, revision {p['badge_revision']}")
    if warning:
        flash(tr(*warning), "warn")
    return kiosk["name"] or kiosk_id


@bp.route("/people/<int:person_id>/badge", methods=["POST"])
@requires("volunteer")
def replace_badge(person_id: int) -> Any:
    kiosk_id = request.form.get("kiosk_id", "")
    try:
        with db.write() as conn:
            revision = q_people.replace_badge(conn, person_id, g.user["username"],
                                              request.form.get("reason", ""))
            kiosk_name = _queue_print(conn, person_id, kiosk_id) if kiosk_id else ""
        msg = tr(f"Wydano nowy identyfikator (wersja {revision}); poprzedni jest unieważniony.",
                 f"New badge issued (revision {revision}); the old one is revoked.")
        if kiosk_name:
            msg += " " + tr(f"Wydruk wysłany do kiosku „{kiosk_name}”.",
                            f"Print sent to kiosk “{kiosk_name}”.")
        flash(msg, "ok")
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("helpdesk.person", person_id=person_id))


@bp.route("/people/<int:person_id>/print", methods=["POST"])
@requires("volunteer")
def print_badge(person_id: int) -> Any:
    try:
        with db.write() as conn:
            kiosk_name = _queue_print(conn, person_id, request.form.get("kiosk_id", ""))
        flash(tr(f"Wydruk wysłany do kiosku „{kiosk_name}”.",
                 f"Print sent to kiosk “{kiosk_name}”."), "ok")
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("helpdesk.person", person_id=person_id))


@bp.route("/people/<int:person_id>/prints.json")
@requires("volunteer")
def prints(person_id: int) -> Any:
    """The person's print commands and their state, polled by the person's page."""
    with db.read() as conn:
        q_people.get_person(conn, person_id)
        rows = q_kiosks.person_prints(conn, person_id)
    return jsonify(prints=[print_line(r) for r in rows])


def print_line(row: dict[str, Any]) -> dict[str, Any]:
    """One print command as the help desk reads it."""
    text = (f"{local(row['created_at'], '%H:%M')} · {tr('kiosk', 'kiosk')} "
            f"„{row['kiosk_name'] or row['kiosk_id']}”: {tr(row['state_pl'], row['state_en'])}")
    if row["status"] == "failed" and row["error"]:
        text += f" ({row['error']})"
    elif row["open"]:
        text += f"; {tr(row['printer_pl'], row['printer_en'])}"
    return {"id": row["id"], "status": row["status"], "open": row["open"], "text": text}


@bp.route("/people/<int:person_id>/edit", methods=["POST"])
@requires("volunteer")
def edit_person(person_id: int) -> Any:
    data = _person_form()
    if request.form.get("status") in ("active", "cancelled"):
        data["status"] = request.form["status"]
    try:
        with db.write() as conn:
            q_people.update_person(conn, person_id, data, g.user["username"])
        flash(tr("Zapisano zmiany.", "Changes saved."), "ok")
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("helpdesk.person", person_id=person_id))


@bp.route("/people/<int:person_id>/registrations", methods=["POST"])
@requires("volunteer")
def registrations(person_id: int) -> Any:
    """Sign someone up for a workshop or side event (or take them off it)."""
    raw = request.form.get("session_id", "")
    try:
        if not raw.isdigit():
            raise Invalid("Wybierz sesję", "Choose a session")
        session_id = int(raw)
        with db.write() as conn:
            person = q_people.get_person(conn, person_id)
            if q_program.get_session(conn, session_id)["event_id"] != person["event_id"]:
                raise Invalid("Nie ma takiej sesji w tym wydarzeniu",
                              "No such session in this event")
            q_program.change_registration(
                conn, session_id, person_id, g.user["username"],
                remove=request.form.get("action") == "remove", within_capacity=True)
        flash(tr("Zapisano.", "Saved."), "ok")
    except AdminError as exc:
        _flash_error(exc)
    return redirect(url_for("helpdesk.person", person_id=person_id))


@bp.route("/events/<int:event_id>/walk-in", methods=["GET", "POST"])
@requires("volunteer")
def walk_in(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        kiosks = q_kiosks.print_targets(conn, event_id)
    matches: list[dict[str, Any]] = []
    if request.method == "POST":
        kiosk_id = request.form.get("kiosk_id", "")
        try:
            if request.form.get("confirm_new") != "1":
                with db.read() as conn:
                    matches = q_people.likely_matches(conn, event_id, _person_form())
            if matches:  # "Anna Kowalska, MOPS Kraków" may be here already: ask first
                return render_template("helpdesk/walk_in.html", event=event, kiosks=kiosks,
                                       form=request.form, roles=q_people.ROLES,
                                       matches=matches)
            with db.write() as conn:
                person_id = q_people.create_walk_in(conn, event_id, _person_form(),
                                                    g.user["username"])
                if request.form.get("check_in") == "1":
                    q_people.check_in_by_hand(conn, person_id, None, g.user["username"])
                kiosk_name = _queue_print(conn, person_id, kiosk_id) if kiosk_id else ""
            flash(tr("Zarejestrowano.", "Registered.") + (
                " " + tr(f"Identyfikator drukuje kiosk „{kiosk_name}”.",
                         f"Kiosk “{kiosk_name}” prints the badge.") if kiosk_name else ""), "ok")
            return redirect(url_for("helpdesk.person", person_id=person_id))
        except AdminError as exc:
            _flash_error(exc)
    return render_template("helpdesk/walk_in.html", event=event, kiosks=kiosks,
                           form=request.form, roles=q_people.ROLES, matches=matches)
