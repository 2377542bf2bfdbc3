"""The attendee's "I have no code" pages (``kiosk.self_service``): surname, pick, confirm.

Plain forms, so that each step works by touch, by keyboard and without the script; the
script adds the on-screen keyboard, live results while typing and the countdown back to
the scan screen. Nothing here shows an e-mail address or lists people by prefix.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from kiosk.self_service import Lookup, SelfServiceDesk, SelfServiceUnavailable

from . import get_runtime
from .guard import csrf_token, csrf_valid
from .self_texts import SELF, words

bp = Blueprint("selfservice", __name__, url_prefix="/self")

IDLE_SECONDS = 60  # a step left alone this long returns to the scan screen
RESULT_SECONDS = 10  # a result stays this long (longer than a scan's: it is read, not glanced)
MAX_TYPED = 120

# On-screen keys, row by row: letters for a surname (Polish ones reachable, not needed),
# the code's own alphabet, and what an e-mail address needs.
SURNAME_KEYS = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM-", "ĄĆĘŁŃÓŚŹŻ")
CODE_KEYS = ("ACDEFHJKMN", "PQRTUVWXY", "3479")
EMAIL_KEYS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "@.-_+")


def _lang() -> str:
    lang = request.values.get("lang", "")
    return lang if lang in ("pl", "en") else get_runtime().settings.kiosk.language


def _desk() -> SelfServiceDesk:
    return get_runtime().self_service


def _page(template: str, status: int = 200, idle: int = IDLE_SECONDS,
          **context: Any) -> tuple[str, int]:
    lang = _lang()
    other = "en" if lang == "pl" else "pl"
    # The same step in the other language (after a form was sent: its first step).
    kept = {k: v for k, v in request.args.items() if k in ("surname", "attendee")}
    toggle = (url_for(request.endpoint or "selfservice.surname", **kept, lang=other)
              if request.method == "GET" else url_for("selfservice.surname", lang=other))
    return render_template(template, lang=lang, other=other, toggle_url=toggle,
                           t=words(lang), strings=SELF, idle_seconds=idle,
                           csrf_token=csrf_token, **context), status


def _unavailable(exc: SelfServiceUnavailable) -> tuple[str, int]:
    title, text = (("paused_title", "paused") if exc.reason == "paused"
                   else ("paused_title", "off"))
    return _page("self_message.html", 503, tone="warn", title=title, text=text)


def _typed(name: str) -> str:
    return (request.values.get(name) or "")[:MAX_TYPED]


@bp.get("/")
def surname() -> Any:
    """Step 1 (and 2): the surname, and the matches when one was typed."""
    typed = _typed("surname")
    try:
        found = _desk().lookup(typed) if typed.strip() else Lookup()
    except SelfServiceUnavailable as exc:
        return _unavailable(exc)
    return _page("self_surname.html", surname=typed, found=found, searched=bool(typed.strip()),
                 keys=SURNAME_KEYS)


@bp.get("/lookup.json")
def lookup_json() -> Response:
    """Live results while typing: first names and institutions only."""
    try:
        found = _desk().lookup(_typed("surname"))
    except SelfServiceUnavailable as exc:
        resp = jsonify(error="self_service_unavailable", reason=exc.reason)
        resp.status_code = 503
        return resp
    return jsonify(too_many=found.too_many, matches=[
        {"id": m.attendee_id, "first_name": m.first_name, "institution": m.institution}
        for m in found.matches])


def _person(attendee_id: int, surname: str) -> Any:
    """The match the person picked: only one of those their surname finds."""
    found = _desk().lookup(surname)
    return next((m for m in found.matches if m.attendee_id == attendee_id), None)


@bp.route("/confirm", methods=["GET", "POST"])
def confirm() -> Any:
    """Step 3: the second factor; on success the same check-in as a scan."""
    typed_surname = _typed("surname")
    attendee_id = request.values.get("attendee", type=int)
    if attendee_id is None:
        abort(400)
    desk = _desk()
    try:
        person = _person(attendee_id, typed_surname)
        service = desk.require()
    except SelfServiceUnavailable as exc:
        return _unavailable(exc)
    if person is None:  # not among what the surname finds: no way to pick anyone else
        return redirect(url_for("selfservice.surname", lang=_lang(), surname=typed_surname))
    factor = service.factor
    if request.method == "GET":
        return _page("self_confirm.html", person=person, surname=typed_surname, factor=factor,
                     keys=CODE_KEYS if factor == "code" else EMAIL_KEYS)
    if not csrf_valid(request.form.get("csrf_token")):
        abort(400)
    try:
        result = desk.confirm(attendee_id, _typed("factor"))
    except SelfServiceUnavailable as exc:
        return _unavailable(exc)
    if result.outcome is None:
        if desk.paused_until() is not None:
            return _unavailable(SelfServiceUnavailable("paused"))
        return _page("self_message.html", 403, idle=RESULT_SECONDS * 2, tone="error",
                     title="refused_title",
                     text="refused")
    message = result.outcome.message
    return _page("self_result.html", idle=RESULT_SECONDS, tone=message.tone,
                 title_pl=message.pl.title, title_en=message.en.title,
                 detail_pl=message.pl.detail, detail_en=message.en.detail)
