"""The kiosk's own web app: the attendee's screen and the staff mode behind a PIN.

``create_app(runtime)`` builds it; the :class:`~kiosk.runtime.KioskRuntime` hangs off
``app.extensions["bramka"]``. Serve it with a threaded server: the screen holds two
long requests open (events and the camera preview).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, Response, current_app, render_template
from werkzeug.exceptions import HTTPException, InternalServerError

from bramka import web_guard
from kiosk.checkin import KioskNotReady
from kiosk.runtime import KioskRuntime

from .guard import StaffGuard

log = logging.getLogger(__name__)

RUNTIME_KEY = "bramka"
GUARD_KEY = "bramka_staff_guard"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; media-src 'none'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)

# Errors as people read them, in both languages: (status) -> (pl, en).
ERROR_TEXTS: dict[int, tuple[str, str]] = {
    400: ("Nie udało się wykonać tej czynności. Odśwież stronę i spróbuj ponownie.",
          "That could not be done. Reload the page and try again."),
    403: ("Brak dostępu do tej strony.", "You may not open this page."),
    404: ("Nie ma takiej strony.", "There is no such page."),
    405: ("Tej strony nie można otworzyć w ten sposób.", "This page cannot be opened this way."),
    429: ("Zbyt wiele prób. Poczekaj chwilę.", "Too many attempts. Please wait a moment."),
    500: ("Wystąpił błąd stanowiska. Prosimy podejść do punktu informacyjnego.",
          "The kiosk had an error. Please go to the help desk."),
    503: ("Stanowisko nie jest gotowe. Prosimy podejść do punktu informacyjnego.",
          "This kiosk is not ready. Please go to the help desk."),
}


def get_runtime() -> KioskRuntime:
    runtime: KioskRuntime = current_app.extensions[RUNTIME_KEY]
    return runtime


def get_guard() -> StaffGuard:
    guard: StaffGuard = current_app.extensions[GUARD_KEY]
    return guard


# The kiosk's streams and probes answer JSON errors too (``bramka.web_guard.wants_json``).
JSON_PATHS = ("/events", "/healthz", "/preview.mjpg")
# An error's status as a stable code in its JSON body (the wire's ``WireError`` shape).
ERROR_CODES: dict[int, str] = {
    400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    429: "too_many_attempts", 500: "server_error", 503: "not_ready",
}


def wants_json() -> bool:
    return web_guard.wants_json(JSON_PATHS)


def error_response(status: int, pl: str | None = None, en: str | None = None) -> Response:
    """An error as a page (or JSON) in words, Polish and English: never a stack trace."""
    default_pl, default_en = ERROR_TEXTS.get(status, ERROR_TEXTS[500])
    pl, en = pl or default_pl, en or default_en
    if wants_json():
        return web_guard.json_error(status, ERROR_CODES.get(status, "error"), pl, en)
    try:
        resp = Response(render_template("error.html", status=status, pl=pl, en=en),
                        mimetype="text/html")
    except Exception:  # the error page itself failed: plain words still
        log.exception("could not render the error page")
        resp = Response(f"{pl}\n\n{en}\n", mimetype="text/plain")
    resp.status_code = status
    return resp


def create_app(runtime: KioskRuntime, test_config: dict[str, Any] | None = None) -> Flask:
    """Build the kiosk app around a running :class:`KioskRuntime`.

    Config keys (override with ``test_config``): ``STAFF_IDLE_SECONDS`` (300),
    ``STAFF_MAX_ATTEMPTS`` (5), ``STAFF_LOCKOUT_SECONDS`` (60), ``SSE_HEARTBEAT_SECONDS``
    (15), ``LANG_RESET_SECONDS`` (60: the screen returns to the default language after
    this long without a scan or a touch), ``PREVIEW_FPS`` (10), ``PREVIEW_IDLE_SECONDS``
    (5: a preview stream with no new frame for this long ends, and the page opens a new one).
    """
    from . import api, screen, self_service, staff

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.urandom(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_NAME="bramka_kiosk",
        STAFF_IDLE_SECONDS=300,
        STAFF_MAX_ATTEMPTS=5,
        STAFF_LOCKOUT_SECONDS=60,
        SSE_HEARTBEAT_SECONDS=15.0,
        PREVIEW_FPS=10.0,
        PREVIEW_IDLE_SECONDS=5.0,
        LANG_RESET_SECONDS=60.0,
    )
    if test_config:
        app.config.update(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    app.extensions[RUNTIME_KEY] = runtime
    app.extensions[GUARD_KEY] = StaffGuard(
        runtime.settings.kiosk.staff_pin,
        matcher=runtime.pin_ok,
        pin_version=runtime.pin_version,
        max_attempts=int(app.config["STAFF_MAX_ATTEMPTS"]),
        lockout_seconds=float(app.config["STAFF_LOCKOUT_SECONDS"]),
        idle_seconds=float(app.config["STAFF_IDLE_SECONDS"]),
        store=runtime.store,
    )

    app.register_blueprint(screen.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(self_service.bp)

    @app.teardown_request
    def _release_reader(_exc: BaseException | None) -> None:
        # The threaded server runs each request on a new thread: close its connection.
        runtime.store.release_reader()

    @app.after_request
    def _headers(resp: Response) -> Response:
        resp.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        if status < 400:
            return exc.get_response()  # type: ignore[return-value]
        resp = error_response(status)
        if status == 405 and exc.get_response().headers.get("Allow"):
            resp.headers["Allow"] = exc.get_response().headers["Allow"]
        return resp

    @app.errorhandler(KioskNotReady)
    def _not_ready(_exc: KioskNotReady) -> Response:
        return error_response(
            503, "Brak listy uczestników: stanowisko nie może jeszcze sprawdzać zaproszeń.",
            "The participant list is not loaded: this kiosk cannot check invitations yet.")

    @app.errorhandler(InternalServerError)
    def _server_error(exc: InternalServerError) -> Response:
        log.error("request failed: %s", exc.original_exception or exc)
        return error_response(500)

    return app
