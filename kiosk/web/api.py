"""``POST /api/scan``: a code from a handheld (keyboard-wedge) scanner or a test driver.

The camera path and this endpoint end in the same :meth:`CheckinService.scan`. A
200 answer means the scan is committed to disk. Only local clients are served:
the kiosk page itself and processes on the kiosk.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from bramka.web_guard import json_error

from ..checkin import KioskNotReady
from ..runtime import KioskRuntime

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_CODE = 4096
LOCAL = {"127.0.0.1", "::1"}


def _runtime() -> KioskRuntime:
    return current_app.extensions["bramka"]


@bp.before_request
def _local_only() -> None:
    if request.remote_addr not in LOCAL:
        abort(403)


def _error(status: int, code: str, pl: str, en: str) -> tuple[Response, int]:
    return json_error(status, code, pl, en), status


@bp.post("/scan")
def scan() -> tuple[Response, int]:
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or not code or len(code) > MAX_CODE:
        return _error(400, "bad_request", "Oczekiwano pola 'code' z treścią kodu.",
                      "Expected a JSON body with a 'code' string.")
    try:
        outcome = _runtime().checkin.scan(code.strip(), source="handheld")
    except KioskNotReady:
        return _error(503, "not_ready", "Brak listy uczestników na stanowisku.",
                      "No participant list is loaded on this kiosk.")
    return jsonify(outcome.event_payload(_runtime().settings.kiosk.result_seconds)), 200
