"""Staff mode behind a PIN: find a person, check them in by hand, last scans, session override."""

from __future__ import annotations

import logging
import sqlite3
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from kiosk.checkin import KioskNotReady
from kiosk.store import StoreError
from sync.roster import Attendee, Session
from sync.timekeeping import event_day, zone_of
from sync.words import LANGUAGES, pick

from . import error_response, get_guard, get_runtime, wants_json
from .guard import csrf_token, csrf_valid
from .i18n import result_words, role_words, source_words, staff_printer

log = logging.getLogger(__name__)

bp = Blueprint("staff", __name__, url_prefix="/staff")

PUBLIC_ENDPOINTS = {"staff.login", "staff.login_post"}
NOTICE_KEY = "notice"
OUTCOME_KEY = "outcome"


# -- helpers ------------------------------------------------------------------------------------


def lang() -> str:
    value = session.get("lang")
    return value if value in LANGUAGES else get_runtime().settings.kiosk.language


def tr(pl: str, en: str) -> str:
    """As the admin's ``tr``, in the staff page's language (else the kiosk's)."""
    return pick(lang(), pl, en)


def event_tz() -> ZoneInfo:
    return zone_of(get_runtime().store.reader.event())


def notice(pl: str, en: str, tone: str = "ok") -> None:
    session[NOTICE_KEY] = {"pl": pl, "en": en, "tone": tone}


def has_reprint() -> bool:
    printer = get_runtime().printer
    return printer is not None and callable(getattr(printer, "reprint", None))


def safe_next(target: str | None) -> str:
    """Only a path inside staff mode: never an open redirect."""
    if target and target.startswith("/staff") and not urlsplit(target).netloc:
        return target
    return url_for("staff.search")


def attendee_id_from_form() -> int:
    try:
        value = int(request.form.get("attendee_id", ""))
    except ValueError:
        abort(400)
    if value < 0:
        abort(400)
    return value


@bp.app_context_processor
def _template_helpers() -> dict[str, Any]:
    return {"csrf_token": csrf_token}


@bp.before_request
def _guard() -> BaseResponse | None:
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    guard = get_guard()
    state = guard.state()
    if state != "in":
        if state == "idle":
            guard.log_out()
            notice("Wylogowano po kilku minutach bezczynności.",
                   "You were logged out after a few minutes without activity.", "warn")
        if request.endpoint == "staff.logout":
            return redirect(url_for("screen.index"))
        if wants_json():
            return error_response(401, "Zaloguj się ponownie.", "Please log in again.")
        return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
    if request.method == "POST" and not csrf_valid(
        request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    ):
        return error_response(
            400, "Formularz wygasł lub jest nieprawidłowy. Odśwież stronę i spróbuj ponownie.",
            "The form has expired or is not valid. Reload the page and try again.")
    return None


@bp.after_request
def _no_store(resp: Response) -> Response:
    # Names on these pages must not come back from a cache after logout.
    resp.headers["Cache-Control"] = "no-store"
    return resp


def kiosk_state() -> tuple[list[dict[str, str]], dict[str, Any] | None]:
    """The warnings and the printer as the staff pages show them (in the page's language)."""
    try:
        status = get_runtime().status()
    except Exception:  # the page still serves; staff learn that the state is unknown
        log.exception("kiosk status unavailable for the staff page")
        return [{"code": "status_unavailable",
                 "text": tr("Nie udało się odczytać stanu stanowiska.",
                            "The kiosk's state could not be read.")}], None
    printer = staff_printer(status.get("printer"), lang())
    warnings = [{"code": str(w.get("code", "")), "text": str(w.get(lang()) or w.get("pl") or "")}
                for w in status.get("warnings") or [] if isinstance(w, dict)]
    if printer is not None:  # a printer problem shows once: in the printer line, with the queue
        warnings = [w for w in warnings if not w["code"].startswith("printer_")]
    return warnings, printer


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    runtime = get_runtime()
    k = runtime.settings.kiosk
    context.setdefault("active", "")
    # Behind the PIN only: the login page stands in public ("default PIN" is not for all).
    if template != "staff_login.html":
        context["warnings"], context["printer"] = kiosk_state()
    # The login page has nothing to hide; every other staff page leaves by itself when idle.
    context.setdefault("idle_seconds",
                       0 if template == "staff_login.html" else get_guard().idle_seconds)
    return render_template(
        template,
        lang=lang(),
        tr=tr,
        kiosk=k,
        room_mode=k.mode == "room",
        notice=session.pop(NOTICE_KEY, None),
        **context,
    ), status


# -- login --------------------------------------------------------------------------------------


@bp.get("/login")
def login() -> tuple[str, int] | BaseResponse:
    if get_guard().state() == "in":
        return redirect(url_for("staff.search"))
    return render("staff_login.html", next=safe_next(request.args.get("next")),
                  locked_for=int(get_guard().locked_for() + 0.999))


@bp.post("/login")
def login_post() -> tuple[str, int] | BaseResponse:
    guard = get_guard()
    target = safe_next(request.form.get("next"))
    if not csrf_valid(request.form.get("csrf_token")):
        return render("staff_login.html", 400, next=target, locked_for=0, error=tr(
            "Formularz wygasł. Wpisz PIN jeszcze raz.",
            "The form has expired. Please enter the PIN again."))
    result = guard.check_pin(request.form.get("pin", "").strip())
    if result.ok:
        keep_lang = session.get("lang")
        guard.log_in()
        if keep_lang:
            session["lang"] = keep_lang
        log.info("staff mode opened")
        return redirect(target)
    if result.locked_for > 0:
        seconds = int(result.locked_for + 0.999)
        html, _ = render("staff_login.html", 429, next=target, locked_for=seconds, error=tr(
            f"Zbyt wiele błędnych prób. Spróbuj ponownie za {seconds} s.",
            f"Too many wrong PINs. Try again in {seconds} s."))
        return Response(html, 429, headers={"Retry-After": str(seconds)})
    return render("staff_login.html", 401, next=target, locked_for=0, error=tr(
        f"Nieprawidłowy PIN. Pozostałe próby: {result.attempts_left}.",
        f"Wrong PIN. Attempts left: {result.attempts_left}."))


@bp.post("/logout")
def logout() -> BaseResponse:
    get_guard().log_out()
    return redirect(url_for("screen.index"))


# -- search and check-in ------------------------------------------------------------------------


def room_state(a: Attendee, room: str, tz: ZoneInfo, today: date) -> tuple[bool, str]:
    """Is the person in this room now (their last entry or exit here), in words."""
    store = get_runtime().store
    last = store.reader.last_movement_in_room(room, a.id)
    if last is None:
        return False, tr("Nie wchodził(a) do tej sali", "Has not entered this room")
    session_id, direction, when = last
    local = when.astimezone(tz)
    hm, day = f"{local:%H:%M}", ("" if local.date() == today else f"{local:%d.%m}")
    if direction == "in":
        s = store.reader.session(session_id)
        title = f" · {s.title}" if s else ""
        since = f"{day}, {hm}" if day else hm
        return True, tr(f"W sali od {since}{title}", f"In the room since {since}{title}")
    return False, tr(f"Wyjście z sali {day + ' ' if day else ''}o {hm}",
                     f"Left the room {'on ' + day + ' ' if day else ''}at {hm}")


def person(a: Attendee, tz: ZoneInfo, today: date) -> dict[str, Any]:
    runtime = get_runtime()
    k = runtime.settings.kiosk
    first = runtime.store.reader.first_admission_on(a.id, today) if k.mode == "entrance" else None
    checked_in_at = first.astimezone(tz).strftime("%H:%M") if first else None
    if k.mode == "room":
        inside, state = room_state(a, k.room, tz, today)
    else:
        inside = checked_in_at is not None
        state = tr(f"Wejście o {checked_in_at}", f"Checked in at {checked_in_at}") if (
            checked_in_at) else ""
    return {
        "id": a.id,
        "name": a.full_name,
        "institution": a.institution,
        "role": role_words(a.role, lang()),
        "active": a.status == "active",
        "checked_in_at": checked_in_at,  # entrance kiosks: the first entry today
        "inside": inside,
        "state": state,  # in the page's language
    }


def search_results(query: str) -> list[dict[str, Any]]:
    tz = event_tz()
    runtime = get_runtime()
    today = event_day(tz, runtime.checkin.clock())
    return [person(a, tz, today) for a in runtime.store.reader.search(query)]


@bp.get("/")
def search() -> tuple[str, int]:
    query = request.args.get("q", "").strip()[:100]
    results = search_results(query) if query else []
    return render("staff_search.html", active="search", query=query, results=results,
                  outcome=session.pop(OUTCOME_KEY, None), reprint=has_reprint())


@bp.get("/search.json")
def search_json() -> Response:
    query = request.args.get("q", "").strip()[:100]
    return jsonify(query=query, results=search_results(query) if query else [])


@bp.post("/checkin")
def checkin() -> BaseResponse:
    attendee_id = attendee_id_from_form()
    back = url_for("staff.search", q=request.form.get("q", "")[:100] or None)
    try:
        outcome = get_runtime().checkin.checkin_by_hand(attendee_id)
    except KioskNotReady:
        notice("Brak listy uczestników: nie można nikogo zarejestrować.",
               "The participant list is not loaded: nobody can be checked in.", "error")
        return redirect(back)
    message = outcome.message.to_dict()
    session[OUTCOME_KEY] = {"tone": message["tone"], "icon": message["icon"],
                            "title": message["title"], "detail": message["detail"]}
    log.info("checked in by hand: attendee %s -> %s", attendee_id, outcome.scan.result)
    return redirect(back)


@bp.post("/reprint")
def reprint() -> BaseResponse:
    if not has_reprint():
        abort(404)
    attendee_id = attendee_id_from_form()
    back = url_for("staff.search", q=request.form.get("q", "")[:100] or None)
    a = get_runtime().store.reader.attendee(attendee_id)
    if a is None:
        notice("Nie ma takiej osoby na liście.", "There is no such person on the list.", "error")
        return redirect(back)
    printer = get_runtime().printer
    # Imported here: only a kiosk that prints (and so has loaded it already) gets this far.
    from kiosk.printing import ReprintUnavailable

    try:
        printer.reprint(attendee_id)  # type: ignore[union-attr]
    except ReprintUnavailable as exc:
        log.info("reprint for attendee %s not possible here: %s", attendee_id, exc)
        notice("Na tym stanowisku nie ma aktualnego kodu tej osoby — wydrukuj identyfikator "
               "w punkcie informacyjnym.",
               "This kiosk has no current badge code for this person — print the badge at "
               "the help desk.", "warn")
        return redirect(back)
    except (StoreError, sqlite3.Error, OSError) as exc:  # the kiosk's disk or database
        log.error("reprint for attendee %s not queued: %s: %s", attendee_id,
                  type(exc).__name__, exc)
        notice("Nie udało się zapisać zlecenia wydruku (błąd zapisu na stanowisku). Spróbuj "
               "ponownie lub wydrukuj identyfikator w punkcie informacyjnym.",
               "The print job could not be saved (the kiosk could not write it). Try again "
               "or print the badge at the help desk.", "error")
        return redirect(back)
    except Exception:  # really unexpected: the stack goes to the log
        log.exception("reprint failed for attendee %s", attendee_id)
        notice("Nie udało się zlecić wydruku identyfikatora. Wydrukuj go w punkcie "
               "informacyjnym.",
               "The badge could not be queued for printing. Print it at the help desk.",
               "error")
        return redirect(back)
    state = _printer_state(printer)
    pl, en = staff_printer(state, "pl"), staff_printer(state, "en")
    if pl is not None and en is not None and pl["tone"] == "error":
        notice(f"Identyfikator dla: {a.full_name} czeka w kolejce, bo drukarka nie drukuje "
               f"({pl['text']}). Wydrukuje się po usunięciu usterki.",
               f"The badge for {a.full_name} waits in the queue: the printer is not printing "
               f"({en['text']}). It prints once the fault is fixed.", "warn")
        return redirect(back)
    notice(f"Identyfikator dla: {a.full_name} wysłany do drukarki.",
           f"Badge for {a.full_name} sent to the printer.")
    return redirect(back)


def _printer_state(printer: Any) -> dict[str, Any] | None:
    try:
        state = printer.state
    except Exception:
        log.exception("printer state unavailable")
        return None
    return state if isinstance(state, dict) else None


# -- last scans ---------------------------------------------------------------------------------


@bp.get("/scans")
def scans() -> tuple[str, int]:
    tz = event_tz()
    rows = []
    for row in get_runtime().store.reader.recent_scans(30):
        try:
            at = datetime.fromisoformat(row["wall_time"]).astimezone(tz)
            when, day = at.strftime("%H:%M:%S"), at.strftime("%Y-%m-%d")
        except (TypeError, ValueError):
            when, day = "?", ""
        name = " ".join(p for p in (row.get("first_name"), row.get("last_name")) if p)
        rows.append({
            "time": when,
            "day": day,
            "name": name,
            "institution": row.get("institution") or "",
            "result": result_words(row, lang()),
            "admitted": bool(row.get("admitted")),
            "by_hand": row.get("source") == "manual",
            "how": source_words(str(row.get("source") or "camera"), lang()),
        })
    return render("staff_scans.html", active="scans", rows=rows, tz_name=str(tz))


# -- session override (room kiosks) -------------------------------------------------------------


def session_label(s: Session, tz: ZoneInfo) -> str:
    start, end = s.starts_at.astimezone(tz), s.ends_at.astimezone(tz)
    return f"{start:%d.%m %H:%M}–{end:%H:%M} · {s.title} ({s.room})"


@bp.get("/session")
def session_page() -> tuple[str, int]:
    runtime = get_runtime()
    if runtime.settings.kiosk.mode != "room":
        abort(404)
    tz = event_tz()
    room = runtime.settings.kiosk.room
    every = runtime.store.reader.sessions()
    override = runtime.checkin.session_override()
    current = next((s for s in every if s.id == override), None)
    return render(
        "staff_session.html", active="session", room=room, override=override,
        current=session_label(current, tz) if current else None,
        here=[(s.id, session_label(s, tz)) for s in every if s.room == room],
        elsewhere=[(s.id, session_label(s, tz)) for s in every if s.room != room],
    )


@bp.post("/session")
def session_post() -> BaseResponse:
    runtime = get_runtime()
    if runtime.settings.kiosk.mode != "room":
        abort(404)
    raw = request.form.get("session_id", "").strip()
    if request.form.get("action") == "clear" or raw == "":
        runtime.checkin.set_session_override(None)
        notice("Sesja wybierana automatycznie według programu.",
               "The session now follows the programme automatically.")
        return redirect(url_for("staff.session_page"))
    try:
        runtime.checkin.set_session_override(int(raw))
    except ValueError:
        notice("Nie ma takiej sesji w programie.", "There is no such session in the programme.",
               "error")
        return redirect(url_for("staff.session_page"))
    chosen = runtime.store.reader.session(int(raw))
    title = chosen.title if chosen else raw
    notice(f"Stanowisko rejestruje teraz: {title}.", f"This kiosk now records: {title}.")
    return redirect(url_for("staff.session_page"))
