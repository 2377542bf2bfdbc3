"""The attendee's screen: the page, its event stream, the camera preview, status."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from kiosk.events import sse_stream
from kiosk.runtime import KioskRuntime, Scanner
from kiosk.sync_client import TOKEN_KEY
from sync.words import Bilingual

from . import error_response, get_runtime
from .i18n import SCREEN, screen_printer_note

log = logging.getLogger(__name__)

bp = Blueprint("screen", __name__)

BOUNDARY = "bramkaframe"


@bp.get("/")
def index() -> str:
    runtime = get_runtime()
    event = runtime.store.reader.event()
    lang = runtime.settings.kiosk.language
    help_desk = (event.help_desk.to_dict() if event
                 else Bilingual("punkt informacyjny", "the help desk").to_dict())
    plan = runtime.plan
    if plan is not None and plan.help_desk:  # the admin's plan names this kiosk's desk
        help_desk = Bilingual(plan.help_desk, plan.help_desk).to_dict()
    ready = event is not None and runtime.store.reader.roster_size() > 0
    printer = printer_state(runtime)
    return render_template(
        "screen.html",
        lang=lang,
        strings=SCREEN,
        event_name=event.name if event else "",
        help_desk=help_desk,
        ready=ready,
        needs_enrollment=not ready and not runtime.store.reader.get_meta(TOKEN_KEY),
        self_service=ready and runtime.self_service.settings() is not None,
        plan_revision=plan.revision if plan is not None else 0,
        has_preview=runtime.scanner is not None,
        printer=printer,
        printer_note=screen_printer_note(printer, lang),
        result_seconds=runtime.settings.kiosk.result_seconds,
        lang_reset_seconds=current_app.config["LANG_RESET_SECONDS"],
    )


def printer_state(runtime: KioskRuntime) -> dict[str, Any]:
    """The printer's state for the first paint; "printer" events keep it current."""
    try:
        state = runtime.status()["printer"]
    except Exception:  # the screen must come up regardless; the event stream follows
        log.exception("printer state unavailable for the screen")
        return {"status": "unknown"}
    if not isinstance(state, dict):
        return {"status": "unknown"}
    # Only what the page uses: the driver's technical message stays off the public screen.
    return {k: state[k] for k in ("status", "pl", "en") if k in state}


@bp.get("/events")
def events() -> Response:
    """Server-sent events: ``scan``, ``camera``, ``printer``, ``roster`` (JSON data)."""
    runtime = get_runtime()
    # Subscribe now, not when the body starts: nothing published after the request
    # arrived is lost, and device states (sticky events) come first.
    sub = runtime.bus.subscribe()
    heartbeat = float(current_app.config["SSE_HEARTBEAT_SECONDS"])
    resp = Response(sse_stream(runtime.bus, sub, heartbeat=heartbeat),
                    mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-cache"
    resp.headers["X-Accel-Buffering"] = "no"
    # A body never started never reaches sse_stream's ``finally``: unsubscribe on close too.
    resp.call_on_close(lambda: runtime.bus.unsubscribe(sub))
    return resp


def mjpeg_frames(scanner: Scanner, fps: float, idle_seconds: float) -> Iterator[bytes]:
    """Multipart JPEG parts at about ``fps``, each frame once.

    Ends after ``idle_seconds`` with no new frame (camera gone): a stream that never
    writes would never notice that its viewer left. The page then opens a new one.
    """
    interval = 1.0 / fps
    last: bytes | None = None
    last_new = time.monotonic()
    while True:
        started = time.monotonic()
        try:
            jpeg = scanner.latest_jpeg()
        except Exception:  # a preview problem must never take more than the preview down
            log.exception("camera preview failed")
            return
        if jpeg is not None and jpeg is not last:
            last, last_new = jpeg, started
            yield (f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                   f"Content-Length: {len(jpeg)}\r\n\r\n").encode("ascii") + jpeg + b"\r\n"
        elif started - last_new > idle_seconds:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


@bp.get("/preview.mjpg")
def preview() -> Response:
    runtime = get_runtime()
    scanner = runtime.scanner
    if scanner is None:
        resp = error_response(503, "Kamera jest wyłączona na tym stanowisku.",
                              "The camera is switched off on this kiosk.")
        resp.headers["Retry-After"] = "10"
        return resp
    cfg = current_app.config
    resp = Response(
        mjpeg_frames(scanner, float(cfg["PREVIEW_FPS"]), float(cfg["PREVIEW_IDLE_SECONDS"])),
        mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
    )
    resp.headers["Cache-Control"] = "no-cache, no-store"
    resp.headers["X-Accel-Buffering"] = "no"
    return resp


@bp.get("/status.json")
def status() -> Response:
    data: dict[str, Any] = get_runtime().status()
    resp = jsonify(data)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    runtime = get_runtime()
    try:
        roster = runtime.store.reader.roster_size()
    except Exception as exc:
        log.exception("health check: store unreadable")
        return jsonify(ok=False, error=type(exc).__name__), 503
    return jsonify(ok=True, roster_size=roster), 200
