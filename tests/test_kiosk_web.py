"""The kiosk's web app through Flask's test client: the attendee screen and staff mode."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from support import token_for
from werkzeug.test import TestResponse

from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from kiosk.web import GUARD_KEY, create_app
from sync.roster import RosterSnapshot

PIN = "2468"
WEB_DIR = Path(__file__).resolve().parent.parent / "kiosk" / "web"



# -- fixtures and helpers -----------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make_runtime(tmp_path: Path, roster: RosterSnapshot | None, **env: str) -> KioskRuntime:
    values = {"BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk-web"),
              "BRAMKA_PRINTER__BACKEND": "none",
              **{f"BRAMKA_KIOSK__{k.upper()}": v for k, v in env.items()}}
    runtime = KioskRuntime(load_settings(None, values))
    if roster is not None:
        runtime.checkin.apply_roster(roster)
    return runtime


def make_app(runtime: KioskRuntime, **config: Any) -> Flask:
    return create_app(runtime, {"TESTING": True, "SECRET_KEY": "test-secret",
                                "SSE_HEARTBEAT_SECONDS": 0.2, **config})


@pytest.fixture
def runtime(tmp_path: Path, roster: RosterSnapshot) -> Iterator[KioskRuntime]:
    rt = make_runtime(tmp_path, roster)
    yield rt
    rt.stop()


@pytest.fixture
def room_runtime(tmp_path: Path, roster: RosterSnapshot) -> Iterator[KioskRuntime]:
    rt = make_runtime(tmp_path, roster, mode="room", room="Sala 101")
    yield rt
    rt.stop()


@pytest.fixture
def app(runtime: KioskRuntime) -> Flask:
    return make_app(runtime)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def clock(app: Flask) -> FakeClock:
    fake = FakeClock()
    app.extensions[GUARD_KEY].clock = fake
    return fake


def csrf_of(client: FlaskClient) -> str:
    with client.session_transaction() as sess:
        token = sess.get("csrf")
    assert token, "no CSRF token in the session yet"
    return str(token)


def post_pin(client: FlaskClient, pin: str, next_path: str = "/staff/") -> TestResponse:
    client.get("/staff/login")
    return client.post("/staff/login",
                       data={"pin": pin, "csrf_token": csrf_of(client), "next": next_path})


def login(client: FlaskClient) -> None:
    resp = post_pin(client, PIN)
    assert resp.status_code == 302, resp.text


def read_sse_until(resp: TestResponse, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """Read a streaming SSE body piece by piece until an event of ``kind`` arrives."""
    buffer = ""
    deadline = time.monotonic() + timeout
    for chunk in resp.response:
        buffer += chunk.decode("utf-8") if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            frame, buffer = buffer.split("\n\n", 1)
            lines = frame.splitlines()
            if f"event: {kind}" in lines:
                data = "".join(line[len("data: "):] for line in lines if line.startswith("data: "))
                result: dict[str, Any] = json.loads(data)
                return result
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"no '{kind}' event within {timeout} s; got {buffer!r}")


# -- the attendee's screen ------------------------------------------------------------------------


def test_screen_renders_in_polish_with_live_region(client: FlaskClient) -> None:
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.text.replace("\u00a0", " ")  # no-break spaces keep "z" and "20 cm" together
    assert '<html lang="pl">' in html
    assert "Pokaż kod QR z zaproszenia" in html
    assert 'aria-live="assertive"' in html
    assert "Małopolski Kongres Polityki Społecznej" in html
    assert "punkt informacyjny w holu" in html
    # The toggle offers English, marked as English for screen readers.
    assert re.search(r'<button[^>]*id="lang-toggle"[^>]*lang="en"[^>]*>English</button>', html)
    # Both languages ride along for the toggle; no inline script (CSP: script-src 'self').
    assert "Show the QR code from your invitation" in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert not re.search(r"<script(?![^>]*(src=|application/json))", html)


def test_screen_follows_configured_language(tmp_path: Path, roster: RosterSnapshot) -> None:
    rt = make_runtime(tmp_path, roster, language="en")
    try:
        html = make_app(rt).test_client().get("/").text.replace("\u00a0", " ")
        assert '<html lang="en">' in html
        assert "<h1 data-i18n=\"prompt\">Show the QR code from your invitation</h1>" in html
    finally:
        rt.stop()


def test_screen_says_not_ready_without_roster(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, None)
    try:
        html = make_app(rt).test_client().get("/").text
        banner = re.search(r'<div class="banner" id="ready-banner"[^>]*>', html)
        assert banner and "hidden" not in banner.group(0)
        assert "Stanowisko nie jest gotowe" in html
    finally:
        rt.stop()


def test_ready_banner_hidden_with_roster(client: FlaskClient) -> None:
    banner = re.search(r'<div class="banner" id="ready-banner"[^>]*>', client.get("/").text)
    assert banner and "hidden" in banner.group(0)


def test_events_stream_a_scan_in_both_languages(
    client: FlaskClient, runtime: KioskRuntime, event_key: Ed25519PrivateKey
) -> None:
    resp = client.get("/events", buffered=False)
    try:
        assert resp.status_code == 200
        assert resp.mimetype == "text/event-stream"
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["X-Accel-Buffering"] == "no"
        assert runtime.bus.subscriber_count() == 1
        runtime.checkin.scan(token_for(event_key, 1))
        data = read_sse_until(resp, "scan")
    finally:
        resp.close()
    assert data["title"] == {"pl": "Witaj, Anna Kowalska", "en": "Welcome, Anna Kowalska"}
    assert data["tone"] == "ok" and data["icon"] == "✓"
    assert data["name"] == "Anna Kowalska" and data["result"] == "ok"
    assert data["seconds"] == runtime.settings.kiosk.result_seconds
    assert runtime.bus.subscriber_count() == 0, "closing the stream must unsubscribe"


def test_events_start_with_the_camera_state(client: FlaskClient, runtime: KioskRuntime) -> None:
    runtime.bus.publish("camera", {"status": "unavailable", "message": "unplugged"}, sticky=True)
    resp = client.get("/events", buffered=False)
    try:
        assert read_sse_until(resp, "camera")["status"] == "unavailable"
    finally:
        resp.close()


def test_status_json(client: FlaskClient, runtime: KioskRuntime,
                     event_key: Ed25519PrivateKey) -> None:
    runtime.checkin.scan(token_for(event_key, 4))
    resp = client.get("/status.json")
    assert resp.status_code == 200
    data = resp.json
    assert data is not None
    assert data["roster_size"] == 5
    assert data["scans_total"] == 1
    assert data["camera"] == {"status": "off"}
    assert data["kiosk"]["mode"] == "entrance"
    assert resp.headers["Cache-Control"] == "no-store"


def test_healthz(client: FlaskClient) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"ok": True, "roster_size": 5}


def test_preview_without_camera_is_503_in_words(client: FlaskClient) -> None:
    resp = client.get("/preview.mjpg")
    assert resp.status_code == 503
    assert resp.json is not None
    assert resp.json["message"]["pl"].startswith("Kamera jest wyłączona")


class FakeScanner:
    """Hands out a new JPEG-looking frame for the first ``frames`` calls, then the same one."""

    state = {"status": "running"}

    def __init__(self, frames: int) -> None:
        self.frames = frames
        self.calls = 0
        self.current = b"\xff\xd8frame-0\xff\xd9"

    def latest_jpeg(self, max_width: int = 640) -> bytes | None:
        if self.calls < self.frames:
            self.current = b"\xff\xd8frame-%d\xff\xd9" % self.calls
        self.calls += 1
        return self.current

    def start(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None: ...


def test_preview_streams_each_new_frame_and_ends_when_frames_stop(
    runtime: KioskRuntime,
) -> None:
    runtime.scanner = FakeScanner(frames=3)
    app = make_app(runtime, PREVIEW_FPS=50.0, PREVIEW_IDLE_SECONDS=0.3)
    resp = app.test_client().get("/preview.mjpg", buffered=False)
    try:
        assert resp.status_code == 200
        assert resp.mimetype == "multipart/x-mixed-replace"
        boundary = resp.mimetype_params["boundary"]
        started = time.monotonic()
        body = b"".join(resp.response)  # type: ignore[arg-type]
        assert time.monotonic() - started < 3, "a stream without new frames must end"
    finally:
        resp.close()
    parts = body.split(f"--{boundary}\r\n".encode())[1:]
    assert len(parts) == 3, "each frame once, repeats are not sent"
    assert parts[0].startswith(b"Content-Type: image/jpeg\r\nContent-Length: 11\r\n\r\n")
    assert b"frame-2" in parts[2]


def test_unknown_page_is_404_in_words(client: FlaskClient) -> None:
    resp = client.get("/no-such-page")
    assert resp.status_code == 404
    assert "Nie ma takiej strony." in resp.text and "There is no such page." in resp.text
    assert '<html lang="pl">' in resp.text and 'lang="en"' in resp.text


def test_unexpected_error_is_a_page_in_words_not_a_trace(
    runtime: KioskRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(runtime, TESTING=False)
    client = app.test_client()
    login(client)

    def broken(limit: int = 20) -> list[dict[str, Any]]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(runtime.store, "recent_scans", broken)
    resp = client.get("/staff/scans")
    assert resp.status_code == 500
    assert "Prosimy podejść do punktu informacyjnego" in resp.text
    assert "Please go to the help desk" in resp.text
    assert "Traceback" not in resp.text and "disk on fire" not in resp.text


# -- staff mode: access ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/staff/", "/staff/scans", "/staff/?q=anna"])
def test_staff_pages_redirect_to_login(client: FlaskClient, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.location.startswith("/staff/login?next=/staff/")


def test_staff_json_without_login_is_401(client: FlaskClient) -> None:
    resp = client.get("/staff/search.json?q=anna")
    assert resp.status_code == 401
    assert resp.json is not None and "Anna" not in json.dumps(resp.json)


def test_wrong_pin_refused_right_pin_opens(client: FlaskClient) -> None:
    resp = post_pin(client, "1111")
    assert resp.status_code == 401
    assert "Nieprawidłowy PIN. Pozostałe próby: 4." in resp.text
    assert client.get("/staff/").status_code == 302

    resp = post_pin(client, PIN)
    assert resp.status_code == 302 and resp.location == "/staff/"
    page = client.get("/staff/")
    assert page.status_code == 200
    assert "Szukaj uczestnika" in page.text


def test_login_keeps_only_local_next(client: FlaskClient) -> None:
    assert post_pin(client, PIN, next_path="/staff/scans").location == "/staff/scans"
    client.post("/staff/logout", data={"csrf_token": csrf_of(client)})
    assert post_pin(client, PIN, next_path="//evil.example/staff").location == "/staff/"


def test_login_without_csrf_is_refused(client: FlaskClient) -> None:
    client.get("/staff/login")
    resp = client.post("/staff/login", data={"pin": PIN})
    assert resp.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_lockout_after_five_wrong_pins(client: FlaskClient, clock: FakeClock) -> None:
    for attempt in range(1, 5):
        assert post_pin(client, "0000").status_code == 401, attempt
    resp = post_pin(client, "0000")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "60"
    assert "Zbyt wiele błędnych prób" in resp.text
    # Locked: even the right PIN is refused.
    assert post_pin(client, PIN).status_code == 429
    clock.now += 30
    assert post_pin(client, PIN).status_code == 429
    clock.now += 31
    assert post_pin(client, PIN).status_code == 302


def test_lockout_grows_after_more_wrong_pins(client: FlaskClient, clock: FakeClock) -> None:
    for _ in range(5):
        post_pin(client, "0000")
    clock.now += 61
    resp = post_pin(client, "0000")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "120"


def test_idle_staff_is_logged_out(client: FlaskClient, clock: FakeClock) -> None:
    login(client)
    clock.now += 200
    assert client.get("/staff/").status_code == 200  # activity refreshes the timer
    clock.now += 200
    assert client.get("/staff/").status_code == 200
    clock.now += 301
    resp = client.get("/staff/scans")
    assert resp.status_code == 302 and resp.location.startswith("/staff/login")
    assert "bezczynności" in client.get(resp.location).text


def test_logout_ends_staff_mode_even_for_a_copied_cookie(client: FlaskClient) -> None:
    login(client)
    copied = client.get_cookie("bramka_kiosk")
    assert copied is not None
    resp = client.post("/staff/logout", data={"csrf_token": csrf_of(client)})
    assert resp.status_code == 302 and resp.location == "/"
    assert client.get("/staff/").status_code == 302
    client.set_cookie("bramka_kiosk", copied.value)
    assert client.get("/staff/").status_code == 302


def test_staff_pages_are_not_cached(client: FlaskClient) -> None:
    login(client)
    assert client.get("/staff/?q=anna").headers["Cache-Control"] == "no-store"


# -- staff mode: search and check-in --------------------------------------------------------------


def test_search_without_diacritics_finds_lukasz(client: FlaskClient) -> None:
    login(client)
    html = client.get("/staff/?q=lukasz").text
    assert "Łukasz Wójcik" in html
    assert "Anna Kowalska" not in html
    assert "Znaleziono: 1" in html
    assert "Łukasz Wójcik" in client.get("/staff/?q=WOJCIK gdow").text


def test_search_json(client: FlaskClient) -> None:
    login(client)
    data = client.get("/staff/search.json?q=lukasz").json
    assert data is not None
    assert [p["name"] for p in data["results"]] == ["Łukasz Wójcik"]
    assert data["results"][0]["id"] == 2
    assert data["results"][0]["checked_in_at"] is None
    assert client.get("/staff/search.json?q=").json == {"query": "", "results": []}


def test_search_marks_cancelled_registration(client: FlaskClient) -> None:
    login(client)
    html = client.get("/staff/?q=zofia").text
    assert "Zofia Wiśniewska" in html and "Rejestracja anulowana" in html


def test_check_in_by_hand_records_a_scan_and_shows_the_message(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    login(client)
    sub = runtime.bus.subscribe()
    try:
        resp = client.post("/staff/checkin", data={"attendee_id": "1", "q": "anna",
                                                   "csrf_token": csrf_of(client)})
        events = [sub.queue.get(timeout=2) for _ in range(2)]  # the sticky roster, then ours
    finally:
        runtime.bus.unsubscribe(sub)
    assert resp.status_code == 302 and resp.location == "/staff/?q=anna"
    scans = runtime.store.recent_scans()
    assert len(scans) == 1
    assert scans[0]["attendee_id"] == 1
    assert scans[0]["source"] == "manual"
    assert scans[0]["result"] == "ok" and scans[0]["admitted"] == 1
    # The attendee screen hears about it too.
    assert events[0][0] == "roster"
    assert events[1][0] == "scan" and events[1][1]["name"] == "Anna Kowalska"
    page = client.get(resp.location).text
    assert "Witaj, Anna Kowalska" in page
    assert 'id="outcome"' in page
    assert re.search(r"Wejście o \d\d:\d\d", page), "the list shows she is in"
    # The message is shown once.
    assert "Witaj, Anna Kowalska" not in client.get(resp.location).text


def test_check_in_by_hand_of_a_cancelled_registration_says_so(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    login(client)
    resp = client.post("/staff/checkin", data={"attendee_id": "3",
                                               "csrf_token": csrf_of(client)},
                       follow_redirects=True)
    assert "Rejestracja anulowana" in resp.text and "tone-error" in resp.text
    assert runtime.store.recent_scans()[0]["result"] == "blocked"


@pytest.mark.parametrize("token", [None, "forged"])
def test_check_in_without_valid_csrf_is_400_and_records_nothing(
    client: FlaskClient, runtime: KioskRuntime, token: str | None
) -> None:
    login(client)
    data = {"attendee_id": "1"}
    if token:
        data["csrf_token"] = token
    resp = client.post("/staff/checkin", data=data)
    assert resp.status_code == 400
    assert "Formularz wygasł" in resp.text
    assert runtime.store.count_scans() == 0


def test_check_in_with_a_bad_id_is_400(client: FlaskClient, runtime: KioskRuntime) -> None:
    login(client)
    resp = client.post("/staff/checkin", data={"attendee_id": "anna",
                                               "csrf_token": csrf_of(client)})
    assert resp.status_code == 400
    assert runtime.store.count_scans() == 0


def test_check_in_without_roster_says_so(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, None)
    try:
        client = make_app(rt).test_client()
        login(client)
        resp = client.post("/staff/checkin", data={"attendee_id": "1",
                                                   "csrf_token": csrf_of(client)},
                           follow_redirects=True)
        assert resp.status_code == 200
        assert "Brak listy uczestników" in resp.text
    finally:
        rt.stop()


# -- staff mode: last scans -----------------------------------------------------------------------


def test_last_scans_in_words_and_warsaw_time(
    client: FlaskClient, runtime: KioskRuntime, event_key: Ed25519PrivateKey
) -> None:
    runtime.checkin.clock = lambda: datetime(2026, 6, 16, 8, 0, 5, tzinfo=UTC)
    runtime.checkin.scan("NOT-A-BADGE")
    runtime.checkin.scan(token_for(event_key, 2, revision=1))
    runtime.checkin.checkin_by_hand(1)
    login(client)
    html = client.get("/staff/scans").text
    rows = re.findall(r"<tr class=\"(?:admitted|refused)\">(.*?)</tr>", html, re.S)
    assert len(rows) == 3
    newest, revoked, invalid = rows
    assert "10:00:05" in newest and "Anna Kowalska" in newest
    assert "Wpuszczono" in newest and "ręcznie" in newest
    assert "Łukasz Wójcik" in revoked and "Nieaktualny identyfikator" in revoked
    assert "Nieprawidłowy kod" in invalid and "nieznana osoba" in invalid
    assert "Europe/Warsaw" in html
    for code in ("revoked", "invalid", ">ok<"):
        assert code not in "".join(rows)
    english = client.get("/staff/scans?lang=en").text
    assert "Admitted" in english and "Invalid code" in english and "by hand" in english
    assert '<html lang="en">' in english


# -- staff mode: room kiosks ----------------------------------------------------------------------


def test_session_override_set_and_clear(room_runtime: KioskRuntime) -> None:
    client = make_app(room_runtime).test_client()
    login(client)
    page = client.get("/staff/session").text
    assert "Warsztat: deinstytucjonalizacja" in page
    assert "Automatycznie" in page
    resp = client.post("/staff/session", data={"session_id": "11", "action": "set",
                                               "csrf_token": csrf_of(client)},
                       follow_redirects=True)
    assert room_runtime.checkin.session_override() == 11
    assert "Stanowisko rejestruje teraz: Warsztat: deinstytucjonalizacja." in resp.text
    assert re.search(r'<option value="11" selected>', resp.text)

    resp = client.post("/staff/session", data={"session_id": "999", "action": "set",
                                               "csrf_token": csrf_of(client)},
                       follow_redirects=True)
    assert "Nie ma takiej sesji" in resp.text
    assert room_runtime.checkin.session_override() == 11

    client.post("/staff/session", data={"session_id": "11", "action": "clear",
                                        "csrf_token": csrf_of(client)})
    assert room_runtime.checkin.session_override() is None


def test_session_override_needs_csrf(room_runtime: KioskRuntime) -> None:
    client = make_app(room_runtime).test_client()
    login(client)
    assert client.post("/staff/session", data={"session_id": "11"}).status_code == 400
    assert room_runtime.checkin.session_override() is None


def test_no_session_picker_at_an_entrance(client: FlaskClient) -> None:
    login(client)
    assert "/staff/session" not in client.get("/staff/").text
    assert client.get("/staff/session").status_code == 404


# -- staff mode: reprint ---------------------------------------------------------------------


class FakePrinter:
    state = {"status": "ready"}

    def __init__(self) -> None:
        self.reprinted: list[int] = []

    def reprint(self, attendee_id: int) -> None:
        self.reprinted.append(attendee_id)

    def stop(self) -> None: ...


class PrinterWithoutReprint:
    state = {"status": "ready"}

    def stop(self) -> None: ...


def test_no_reprint_button_without_printer(client: FlaskClient) -> None:
    login(client)
    assert "Drukuj identyfikator ponownie" not in client.get("/staff/?q=anna").text
    assert client.post("/staff/reprint", data={"attendee_id": "1",
                                               "csrf_token": csrf_of(client)}).status_code == 404


def test_no_reprint_button_when_printer_cannot_reprint(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    runtime.printer = PrinterWithoutReprint()
    login(client)
    assert "Drukuj identyfikator ponownie" not in client.get("/staff/?q=anna").text


def test_reprint_badge(client: FlaskClient, runtime: KioskRuntime) -> None:
    printer = FakePrinter()
    runtime.printer = printer
    login(client)
    assert "Drukuj identyfikator ponownie" in client.get("/staff/?q=anna").text
    resp = client.post("/staff/reprint", data={"attendee_id": "1", "q": "anna",
                                               "csrf_token": csrf_of(client)},
                       follow_redirects=True)
    assert printer.reprinted == [1]
    assert "Identyfikator dla: Anna Kowalska wysłany do drukarki." in resp.text


# -- colours ------------------------------------------------------------------------------------


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_helper_is_right() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("pair", [("ok-bg", "ok-fg"), ("warn-bg", "warn-fg"),
                                  ("error-bg", "error-fg"), ("banner-bg", "banner-fg"),
                                  ("bg", "fg"), ("bg", "muted"), ("panel", "muted")])
def test_screen_colours_reach_seven_to_one(pair: tuple[str, str]) -> None:
    css = (WEB_DIR / "static" / "kiosk.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6});", css))
    assert contrast(colours[pair[0]], colours[pair[1]]) >= 7.0



def test_api_errors_answer_in_json_words(client: FlaskClient) -> None:
    resp = client.post("/api/scan", json={"code": "X"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 403
    assert resp.json is not None and set(resp.json["message"]) == {"pl", "en"}
