"""Kiosks (organizer): plan them, enroll them with a one-time code, watch them, revoke them."""

from __future__ import annotations

from typing import Any

import segno
from flask import Blueprint, flash, redirect, render_template, request, url_for

from admin import db
from admin.auth import requires
from admin.errors import AdminError, Invalid
from admin.i18n import current_language, tr
from admin.queries import events as q_events
from admin.queries import kiosk_plans
from admin.queries import kiosks as q_kiosks
from admin.queries import program as q_program
from admin.queries import self_service as q_self_service
from admin.queries import sync as q_sync
from admin.scan_trust import quarantined_of
from admin.schema import utcnow
from sync.collation import sort_key
from sync.plan import DIRECTION_WORDS, MODE_WORDS
from sync.rules import REASON_TEXT
from sync.self_service import FACTOR_WORDS
from sync.wire import ENROLL_PREFIX

bp = Blueprint("kiosks", __name__)


def enrollment_qr(base_url: str, code: str) -> tuple[str, str]:
    """The text a kiosk's camera reads to enroll, and the QR as a PNG data URI."""
    text = f"{ENROLL_PREFIX}{base_url.rstrip('/')}/#{code.replace('-', '')}"
    png = segno.make(text, error="m").png_data_uri(scale=6, border=4)
    return text, png


@bp.route("/events/<int:event_id>/kiosks", methods=["GET", "POST"])
@requires("organizer")
def index(event_id: int) -> Any:
    if request.method == "POST":
        try:
            with db.write() as conn:
                q_events.get_event(conn, event_id)
                kiosk_id = q_sync.create_kiosk(
                    conn, event_id, request.form.get("name", ""),
                    request.form.get("mode", "entrance"), request.form.get("room", ""))
                code = q_sync.new_enrollment(conn, kiosk_id)
        except AdminError as exc:
            flash(exc.message(current_language()), "error")
            return redirect(url_for("kiosks.index", event_id=event_id))
        return _show(kiosk_id, code)
    with db.read() as conn:
        event = q_events.get_event(conn, event_id)
        now = utcnow()
        kiosks = [{**k, "plan_words": kiosk_plans.plan_words(k),
                   "stale": q_kiosks.is_stale(k, now)}
                  for k in q_kiosks.list_kiosks(conn, event_id)]
        rooms = sorted({r["name"] for v in q_program.list_venues(conn, event_id)
                        for r in v["rooms"]}, key=sort_key)
    return render_template("kiosks/index.html", event=event, kiosks=kiosks, rooms=rooms,
                           factor_words=FACTOR_WORDS)


@bp.post("/events/<int:event_id>/self-service")
@requires("organizer")
def self_service(event_id: int) -> Any:
    """Lookup without a QR on the kiosks: on or off, and its second factor."""
    try:
        with db.write() as conn:
            q_self_service.save_settings(conn, event_id, bool(request.form.get("enabled")),
                                         request.form.get("factor", "code"))
    except AdminError as exc:
        flash(exc.message(current_language()), "error")
    else:
        flash(tr("Zapisano: kioski dostaną ustawienia z następną listą uczestników.",
                 "Saved: the kiosks get the settings with their next roster."), "ok")
    return redirect(url_for("kiosks.index", event_id=event_id) + "#self-service")


def _show(kiosk_id: str, code: str | None = None) -> Any:
    with db.read() as conn:
        kiosk = q_kiosks.get_kiosk(conn, kiosk_id)
        event = q_events.get_event(conn, kiosk["event_id"]) if kiosk["event_id"] else None
        quarantined = quarantined_of(conn, kiosk_id)
        reanchored = q_sync.reanchored_boots(conn, kiosk_id)
        rooms = sorted(kiosk_plans.event_rooms(conn, kiosk["event_id"]), key=sort_key) \
            if kiosk["event_id"] else []
        room_sessions = {room: kiosk_plans.room_sessions(conn, kiosk["event_id"], room)
                         for room in rooms}
    qr_text = qr_png = None
    if code:
        qr_text, qr_png = enrollment_qr(request.host_url, code)
    return render_template("kiosks/show.html", kiosk=kiosk, event=event, code=code,
                           qr_text=qr_text, qr_png=qr_png, admin_url=request.host_url,
                           quarantined=quarantined, reanchored=reanchored,
                           reasons=REASON_TEXT, rooms=rooms, room_sessions=room_sessions,
                           profiles=kiosk_plans.PRINTER_PROFILES,
                           plan_words=tr(*kiosk_plans.plan_words(kiosk)),
                           mode_words=MODE_WORDS, direction_words=DIRECTION_WORDS)


@bp.get("/kiosks/<kiosk_id>")
@requires("organizer")
def show(kiosk_id: str) -> Any:
    return _show(kiosk_id)


@bp.post("/kiosks/<kiosk_id>/plan")
@requires("organizer")
def plan(kiosk_id: str) -> Any:
    """Save the kiosk's plan: it reaches the kiosk with its next heartbeat."""
    try:
        with db.write() as conn:
            kiosk = q_kiosks.get_kiosk(conn, kiosk_id, lock=True)
            if kiosk["revoked_at"] is not None or kiosk["event_id"] is None:
                raise Invalid("Kiosk jest wyłączony.", "The kiosk is revoked.")
            before = kiosk["plan_revision"]
            saved = kiosk_plans.save_plan(conn, kiosk, kiosk_plans.PlanForm.of(request.form))
    except AdminError as exc:
        flash(exc.message(current_language()), "error")
        return redirect(url_for("kiosks.show", kiosk_id=kiosk_id) + "#plan")
    if saved.revision == before:
        flash(tr("Plan bez zmian.", "The plan is unchanged."), "ok")
    else:
        flash(tr(f"Plan zapisany (wersja {saved.revision}): kiosk zastosuje go przy "
                 "następnym kontakcie, bez ponownego uruchomienia.",
                 f"Plan saved (revision {saved.revision}): the kiosk applies it at its next "
                 "contact, without a restart."), "ok")
    return redirect(url_for("kiosks.show", kiosk_id=kiosk_id) + "#plan")


@bp.post("/kiosks/<kiosk_id>/enrollment")
@requires("organizer")
def enrollment(kiosk_id: str) -> Any:
    with db.write() as conn:
        kiosk = q_kiosks.get_kiosk(conn, kiosk_id)
        if kiosk["revoked_at"] is not None:
            flash(tr("Kiosk jest wyłączony.", "The kiosk is revoked."), "error")
            return redirect(url_for("kiosks.show", kiosk_id=kiosk_id))
        code = q_sync.new_enrollment(conn, kiosk_id)
    return _show(kiosk_id, code)


@bp.post("/kiosks/<kiosk_id>/revoke")
@requires("organizer")
def revoke(kiosk_id: str) -> Any:
    with db.write() as conn:
        kiosk = q_kiosks.get_kiosk(conn, kiosk_id)
        q_sync.revoke(conn, kiosk_id)
    flash(tr("Kiosk wyłączony: przy następnym kontakcie usunie listę uczestników.",
             "Kiosk revoked: at its next contact it deletes its participant list."), "ok")
    return redirect(url_for("kiosks.index", event_id=kiosk["event_id"]))
