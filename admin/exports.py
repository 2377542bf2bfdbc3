"""After the event: attendance lists (CSV, XLSX, PDF) and certificates of attendance."""

from __future__ import annotations

import io
import re
import zipfile
from functools import partial
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from admin import certificates, db, logos
from admin.auth import requires
from admin.errors import AdminError, Invalid
from admin.i18n import current_language, local, tr
from admin.pdf import attendance_pdf, signin_pdf
from admin.queries import attendance as q_attendance
from admin.queries import events as q_events
from admin.queries import people as q_people
from admin.queries import program as q_program
from admin.schema import utcnow
from admin.tabular import to_csv, to_xlsx
from sync.seal import seal_file

bp = Blueprint("exports", __name__)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}


def _filename(text: str, ext: str) -> str:
    from admin.textnorm import fold

    return (re.sub(r"\s+", "-", fold(text))[:60] or "lista") + "." + ext


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, content_type=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@bp.route("/events/<int:event_id>/exports")
@requires("organizer")
def index(event_id: int) -> Any:
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        sessions = q_program.list_sessions(conn, event_id)
        mail = certificates.mail_counts(conn, event)
    return render_template("exports/index.html", event=event, sessions=sessions,
                           has_logo=logos.logo_path(event_id) is not None, mail=mail)


@bp.route("/sessions/<int:session_id>/attendance.<fmt>")
@requires("organizer")
def attendance(session_id: int, fmt: str) -> Any:
    if fmt not in FORMATS:
        return render_template("error.html", status=404, message="?"), 404
    with db.read() as conn:
        session, rows = q_attendance.attendance_list(conn, session_id)
        event = q_events.get_event(conn, session["event_id"])
        key = q_events.signing_key(conn, event["id"])
        heads = q_attendance.chain_heads(conn, event["id"])
    here = partial(local, event=event)  # times in the event's zone
    title = session["title"]
    when = f"{here(session['starts_at'])}–{here(session['ends_at'], '%H:%M')}"
    subtitle = f"{when}, {session['venue_name']} / {session['room_name']}"
    generated = tr("Wygenerowano", "Generated") + f" {here(utcnow())} · Bramka"
    if fmt == "pdf":
        data = attendance_pdf(
            event["name"], title, subtitle + f" · {tr('obecnych', 'present')}: {len(rows)}",
            [(" ".join(filter(None, [f"{r['last_name']} {r['first_name']}",
                                     q_attendance.manual_note(r, tr)])), r["institution"],
              here(r["first_in"], "%H:%M"), here(r["last_out"], "%H:%M"),
              q_attendance.minutes_note(r, tr)) for r in rows],
            [tr("Lp.", "No."), tr("Nazwisko i imię", "Name"), tr("Instytucja", "Institution"),
             tr("Wejście", "In"), tr("Wyjście", "Out"), tr("Minuty", "Minutes"),
             tr("Podpis", "Signature")],
            f"{event['name']} · {title} · {generated}", logo=logos.logo_path(event["id"]))
    else:
        headers = [tr("Lp.", "No."), tr("Nazwisko", "Last name"), tr("Imię", "First name"),
                   tr("Instytucja", "Institution"), tr("Stanowisko", "Position"),
                   tr("Wejście", "In"), tr("Wyjście", "Out"),
                   tr("Minuty obecności", "Minutes present"), tr("Zapisany", "Registered"),
                   tr("Uwagi", "Notes")]
        when = here if fmt == "csv" else (lambda t: t)  # XLSX: real date-time cells
        table = [[i, r["last_name"], r["first_name"], r["institution"], r["position"],
                  when(r["first_in"]), when(r["last_out"]), r["minutes"],
                  tr("tak", "yes") if r["registered"] else tr("nie", "no"),
                  "; ".join(filter(None, [
                      q_attendance.manual_note(r, tr),
                      tr("bez wyjścia: liczone do końca sesji",
                         "no exit: counted to the session's end") if r["open_end"] else ""]))]
                 for i, r in enumerate(rows, 1)]
        data = (to_csv(headers, table) if fmt == "csv"
                else to_xlsx(f"{event['name']}: {title} ({subtitle})", headers, table,
                              zone=event))
    # Sealed (sync.seal): `bramka audit verify-export FILE` shows a cell changed later.
    data = seal_file(data, fmt, key, {
        "event_id": event["id"], "session_id": session_id, "rows": len(rows),
        "generated_at": utcnow().isoformat(timespec="seconds"), "heads": heads})
    return _download(data, FORMATS[fmt], _filename(title, fmt))


@bp.route("/sessions/<int:session_id>/signin.pdf")
@requires("organizer")
def signin_sheet(session_id: int) -> Any:
    """The sign-in sheet (lista obecności) to print before the session."""
    with db.read() as conn:
        session = q_program.get_session(conn, session_id)
        event = q_events.get_event(conn, session["event_id"])
        rows = q_attendance.signin_list(conn, session)
    here = partial(local, event=event)
    when = f"{here(session['starts_at'])}–{here(session['ends_at'], '%H:%M')}"
    data = signin_pdf(
        event["name"], tr("Lista obecności", "Sign-in sheet") + f": {session['title']}",
        f"{when}, {session['venue_name']} / {session['room_name']} · "
        f"{tr('osób', 'people')}: {len(rows)}",
        [(f"{r['last_name']} {r['first_name']}", r["institution"]) for r in rows],
        [tr("Lp.", "No."), tr("Nazwisko i imię", "Name"), tr("Instytucja", "Institution"),
         tr("Podpis", "Signature")],
        f"{event['name']} · {session['title']} · " + tr("Wygenerowano", "Generated")
        + f" {here(utcnow())} · Bramka", logo=logos.logo_path(event["id"]))
    return _download(data, FORMATS["pdf"], _filename(f"podpisy {session['title']}", "pdf"))


@bp.post("/events/<int:event_id>/logo")
@requires("organizer")
def upload_logo(event_id: int) -> Any:
    try:
        with db.read() as conn:
            q_events.get_event(conn, event_id)
        if request.form.get("action") == "remove":
            logos.remove_logo(event_id)
            flash(tr("Usunięto pasek logotypów.", "The logo strip is removed."), "ok")
        else:
            upload = request.files.get("logo")
            width, height = logos.save_logo(event_id, upload.read() if upload else b"")
            flash(tr("Zapisano pasek logotypów", "The logo strip is saved")
                  + f" ({width}×{height} px).", "ok")
    except AdminError as exc:
        flash(exc.message(current_language()), "error")
    return redirect(url_for("exports.index", event_id=event_id))


@bp.post("/events/<int:event_id>/certificate-rule")
@requires("organizer")
def certificate_rule(event_id: int) -> Any:
    raw = request.form.get("min_percent", "")
    try:
        if not raw.strip().isdigit():
            raise Invalid("Podaj próg w procentach (0–100)", "Give the threshold in % (0-100)")
        with db.write() as conn:
            q_events.get_event(conn, event_id)
            q_attendance.set_certificate_rule(conn, event_id, int(raw),
                                              request.form.get("basis", ""))
        flash(tr("Zapisano zasadę zaświadczeń.", "The certificate rule is saved."), "ok")
    except AdminError as exc:
        flash(exc.message(current_language()), "error")
    return redirect(url_for("exports.index", event_id=event_id))


@bp.route("/people/<int:person_id>/certificate.pdf")
@requires("organizer")
def certificate(person_id: int) -> Any:
    with db.read() as conn:
        person = q_people.get_person(conn, person_id)
        event = q_events.get_event(conn, person["event_id"])
        sessions = q_attendance.certificate_sessions(conn, event, person_id)
    if not sessions:
        basis = (tr("sesji", "of a session") if event["certificate_basis"] == "session"
                 else tr("programu dnia", "of a day's program"))
        return render_template("error.html", status=409, message=tr(
            "Ta osoba nie spełnia zasady zaświadczeń wydarzenia",
            "This person does not meet the event's rule for certificates")
            + f" ({event['certificate_min_percent']} % {basis})."), 409
    data = certificates.render_certificate(event, person, sessions)
    name = _filename(f"{person['last_name']} {person['first_name']}", "pdf")
    return _download(data, FORMATS["pdf"], name)


@bp.route("/events/<int:event_id>/certificates.zip")
@requires("organizer")
def certificates_zip(event_id: int) -> Any:
    """Every certificate the event's rule gives, one PDF each, in one ZIP."""
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        earned = certificates.issued(conn, event)
    buf = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for person, sessions in earned:
            name = _filename(f"{person['last_name']} {person['first_name']} {person['id']}",
                             "pdf")
            zf.writestr(name, certificates.render_certificate(event, person, sessions))
            count += 1
    if not count:
        flash(tr("Nikt nie spełnia jeszcze zasady zaświadczeń.",
                 "Nobody meets the certificate rule yet."), "warn")
        return redirect(url_for("exports.index", event_id=event_id))
    return _download(buf.getvalue(), "application/zip", _filename(
        f"zaswiadczenia {event['name']}", "zip"))


