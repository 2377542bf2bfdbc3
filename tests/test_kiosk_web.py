"""The kiosk's web app through Flask's test client: the attendee screen and staff mode."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html import unescape as html_unescape
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask.testing import FlaskClient
from support import NOW, token_for
from werkzeug.test import TestResponse

from bramka.config import load_settings
from kiosk.runtime import KioskRuntime
from kiosk.store import StoreError
from kiosk.store_reader import StoreReader
from kiosk.sync_client import TOKEN_KEY
from kiosk.web import GUARD_KEY, create_app
from kiosk.web.i18n import screen_printer_note
from printers.virtual import VirtualPrinter
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


def test_fresh_kiosk_says_how_to_enroll(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, None)
    try:
        html = make_app(rt).test_client().get("/").text.replace("\u00a0", " ")
        enroll = re.search(r'<section class="enroll" id="enroll"[^>]*>', html)
        assert enroll and "hidden" not in enroll.group(0)
        assert "Pokaż kamerze kod QR rejestracji z panelu organizatora" in html
        prompt = re.search(r'<div class="prompt" id="prompt"[^>]*>', html)
        assert prompt and "hidden" in prompt.group(0)
        banner = re.search(r'<div class="banner" id="ready-banner"[^>]*>', html)
        assert banner and "hidden" in banner.group(0)
        assert 'data-enrolled="no"' in html
    finally:
        rt.stop()


def test_enrolled_kiosk_without_roster_says_not_ready(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, None)
    try:
        rt.store.set_meta(TOKEN_KEY, "kiosk-token")
        html = make_app(rt).test_client().get("/").text
        banner = re.search(r'<div class="banner" id="ready-banner"[^>]*>', html)
        assert banner and "hidden" not in banner.group(0)
        assert "Stanowisko nie jest gotowe" in html
        enroll = re.search(r'<section class="enroll" id="enroll"[^>]*>', html)
        assert enroll and "hidden" in enroll.group(0)
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
        # it ends 0.3 s after the last new frame; a stream that never ended would hang here
        assert time.monotonic() - started < 10, "a stream without new frames must end"
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

    def broken(_reader: StoreReader, limit: int = 20) -> list[dict[str, Any]]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(StoreReader, "recent_scans", broken)
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
    scans = runtime.store.reader.recent_scans()
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
    assert runtime.store.reader.recent_scans()[0]["result"] == "blocked"


@pytest.mark.parametrize("token", [None, "forged", "żółw-ąę"])
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
    assert runtime.store.reader.count_scans() == 0


def test_check_in_with_a_bad_id_is_400(client: FlaskClient, runtime: KioskRuntime) -> None:
    login(client)
    resp = client.post("/staff/checkin", data={"attendee_id": "anna",
                                               "csrf_token": csrf_of(client)})
    assert resp.status_code == 400
    assert runtime.store.reader.count_scans() == 0


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
                                  ("bg", "fg"), ("bg", "muted"), ("panel", "muted"),
                                  ("panel", "fg"), ("accent", "accent-fg")])
def test_screen_colours_reach_seven_to_one(pair: tuple[str, str]) -> None:
    css = (WEB_DIR / "static" / "kiosk.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6});", css))
    assert contrast(colours[pair[0]], colours[pair[1]]) >= 7.0


def test_screen_printer_line_uses_checked_colours() -> None:
    """The footer's printer line: white words on the panel, a dark mark on yellow."""
    css = (WEB_DIR / "static" / "kiosk.css").read_text(encoding="utf-8")
    note = re.search(r"\.foot \.printer-note \{([^}]*)\}", css)
    icon = re.search(r"\.printer-icon \{([^}]*)\}", css)
    assert note and "color: var(--fg);" in note.group(1)
    assert icon and "background: var(--accent);" in icon.group(1)
    assert "color: var(--accent-fg);" in icon.group(1)


# The staff pages' state block: words on the tinted boxes, the "inside" mark on white.
@pytest.mark.parametrize("pair", [("ok-bg", "fg"), ("warn-bg", "fg"), ("error-bg", "fg"),
                                  ("bg", "ok-line"), ("bg", "fg")])
def test_staff_colours_reach_seven_to_one(pair: tuple[str, str]) -> None:
    css = (WEB_DIR / "static" / "staff.css").read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6});", css))
    assert contrast(colours[pair[0]], colours[pair[1]]) >= 7.0



def test_api_errors_answer_in_json_words(client: FlaskClient) -> None:
    resp = client.post("/api/scan", json={"code": "X"}, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert resp.status_code == 403
    assert resp.json is not None and set(resp.json["message"]) == {"pl", "en"}


def test_api_scan_is_recorded_as_a_handheld_scan(
    client: FlaskClient, runtime: KioskRuntime, event_key: Ed25519PrivateKey
) -> None:
    resp = client.post("/api/scan", json={"code": token_for(event_key, 4)})
    assert resp.status_code == 200
    assert resp.json is not None and resp.json["name"] == "Paweł Dąbrowski"
    assert runtime.store.reader.recent_scans()[0]["source"] == "handheld"
    login(client)
    row = re.search(r'<tr class="admitted">(.*?)</tr>', client.get("/staff/scans").text, re.S)
    assert row and "czytnik ręczny" in row.group(1)


# -- the printer on the attendee's screen -------------------------------------------------------


class StatePrinter:
    """A started printer whose state a test sets; records reprints, or raises ``error``."""

    def __init__(self, state: dict[str, Any], error: Exception | None = None) -> None:
        self.state = state
        self.error = error
        self.reprinted: list[int] = []

    def reprint(self, attendee_id: int) -> str:
        if self.error is not None:
            raise self.error
        self.reprinted.append(attendee_id)
        return "job-1"

    def stop(self) -> None: ...


def printer_note(html: str) -> tuple[bool, str]:
    """(shown, text) of the screen's footer line about the printer."""
    found = re.search(r'<p class="printer-note" id="printer-note"([^>]*)>(.*?)</p>', html, re.S)
    assert found, "the screen has no printer line"
    words = re.search(r'<span id="printer-text">(.*?)</span>', found.group(2), re.S)
    assert words, "the printer line has no text element"
    return "hidden" not in found.group(1), words.group(1).replace("\u00a0", " ").strip()


@pytest.mark.parametrize("state", [None, {"status": "ready", "queued": 0},
                                   {"status": "unknown", "message": "starting"}],
                         ids=["no-printer", "ready", "unknown"])
def test_screen_says_nothing_about_a_printer_that_prints(
    client: FlaskClient, runtime: KioskRuntime, state: dict[str, Any] | None
) -> None:
    if state is not None:
        runtime.printer = StatePrinter(state)
    shown, text = printer_note(client.get("/").text)
    assert not shown and text == ""


def test_screen_shows_printer_out_of_paper_discreetly(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    runtime.printer = StatePrinter({"status": "paper_out", "queued": 2,
                                    "message": "paper_out: ESC/POS paper end sensor"})
    html = client.get("/").text
    shown, text = printer_note(html)
    assert shown
    assert text == "Drukarka: brak papieru — identyfikator odbierzesz w punkcie informacyjnym"
    # The page script gets the state for the language toggle, but not the driver's words.
    state = json.loads(re.search(r'id="screen-printer">(.*?)</script>', html, re.S).group(1))
    assert state == {"status": "paper_out"}
    assert "paper end sensor" not in html
    # The screen's strings carry the English words for the toggle.
    assert "Printer: out of paper" in html and "collect your badge at the help desk" in html


def test_screen_printer_line_in_english(tmp_path: Path, roster: RosterSnapshot) -> None:
    rt = make_runtime(tmp_path, roster, language="en")
    try:
        rt.printer = StatePrinter({"status": "cover_open", "queued": 0})
        shown, text = printer_note(make_app(rt).test_client().get("/").text)
        assert shown and text == "Printer: cover open — collect your badge at the help desk"
    finally:
        rt.stop()


@pytest.mark.parametrize(("state", "pl", "en"), [
    ({"status": "offline"}, "Drukarka: niedostępna", "Printer: offline"),
    ({"status": "error", "pl": "Awaria mechanizmu.", "en": "Mechanism fault."},
     "Drukarka: błąd", "Printer: error"),  # the attendee reads our words, not the driver's
    ({"status": "failed", "message": "OSError: no device"},
     "Drukarka: nie działa", "Printer: not working"),
    ({"status": "jammed", "pl": "Zacięty papier.", "en": "Paper jam."},
     "Zacięty papier", "Paper jam"),
    ({"status": "jammed"}, "Drukarka nie drukuje", "The printer is not printing"),
])
def test_screen_printer_words(state: dict[str, Any], pl: str, en: str) -> None:
    assert screen_printer_note(state, "pl") == (
        f"{pl} — identyfikator odbierzesz w\u00a0punkcie informacyjnym")
    assert screen_printer_note(state, "en") == f"{en} — collect your badge at the help desk"


def test_events_carry_the_printer_state(client: FlaskClient, runtime: KioskRuntime) -> None:
    runtime.bus.publish("printer", {"status": "paper_out", "queued": 1}, sticky=True)
    resp = client.get("/events", buffered=False)
    try:
        assert read_sse_until(resp, "printer") == {"status": "paper_out", "queued": 1}
    finally:
        resp.close()


def test_kiosk_error_reaches_the_screen_in_both_languages(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, None)  # no roster: the scanner's code cannot be checked
    try:
        resp = make_app(rt).test_client().get("/events", buffered=False)
        try:
            assert rt.checkin.handle_code("SOME-CODE") is None
            data = read_sse_until(resp, "scan")
        finally:
            resp.close()
    finally:
        rt.stop()
    assert data["result"] == "kiosk_error" and data["scan_id"] is None
    assert data["tone"] == "error" and data["icon"] == "✕"
    assert data["title"]["pl"] and data["title"]["en"] and data["detail"]["pl"]
    assert data["seconds"] > 0


# -- the kiosk's state on the staff pages -------------------------------------------------------


def kiosk_state_block(html: str) -> str:
    found = re.search(r'<section class="kiosk-state".*?</section>', html, re.S)
    return found.group(0) if found else ""


def warning_codes(html: str) -> list[str]:
    return re.findall(r'<li class="tone-warn" data-code="([a-z_]+)"', kiosk_state_block(html))


@pytest.mark.parametrize("path", ["/staff/", "/staff/?q=anna", "/staff/scans"])
def test_staff_pages_show_the_default_pin_warning(client: FlaskClient, path: str) -> None:
    login(client)
    html = client.get(path).text
    assert "default_pin" in warning_codes(html)
    assert "PIN obsługi jest domyślny" in kiosk_state_block(html)
    english = client.get(path + ("&" if "?" in path else "?") + "lang=en").text
    assert "The staff PIN is the default one" in kiosk_state_block(english)
    assert "PIN obsługi jest domyślny" not in english


def test_login_page_does_not_tell_the_public_about_the_pin(client: FlaskClient) -> None:
    html = client.get("/staff/login").text
    assert kiosk_state_block(html) == "" and "domyślny" not in html


def test_staff_warnings_follow_the_kiosk(tmp_path: Path) -> None:
    rt = make_runtime(tmp_path, None, staff_pin="1357")
    try:
        client = make_app(rt).test_client()
        resp = post_pin(client, "1357")
        assert resp.status_code == 302
        codes = warning_codes(client.get("/staff/").text)
        assert "no_roster" in codes and "default_pin" not in codes
        assert "Brak listy uczestników: stanowisko nie sprawdza zaproszeń." in client.get(
            "/staff/scans").text
    finally:
        rt.stop()


def test_room_session_page_shows_warnings_too(room_runtime: KioskRuntime) -> None:
    client = make_app(room_runtime).test_client()
    login(client)
    assert "default_pin" in warning_codes(client.get("/staff/session").text)


def test_every_warning_shown_in_the_page_language(
    client: FlaskClient, runtime: KioskRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    status = runtime.status()
    status["warnings"] = [
        {"code": "clock_outside_event", "pl": "Zegar poza terminem.", "en": "Clock outside."},
        {"code": "camera_unavailable", "pl": "Kamera niedostępna.", "en": "Camera gone."},
    ]
    monkeypatch.setattr(runtime, "status", lambda: status)
    login(client)
    assert warning_codes(client.get("/staff/").text) == ["clock_outside_event",
                                                         "camera_unavailable"]
    block = kiosk_state_block(client.get("/staff/").text)
    assert "Zegar poza terminem." in block and "Clock outside." not in block
    block = kiosk_state_block(client.get("/staff/scans?lang=en").text)
    assert "Camera gone." in block and "Kamera niedostępna." not in block


def printer_line(html: str) -> str:
    found = re.search(r'<p class="printer tone-(\w+)" id="printer-state"[^>]*>(.*?)</p>', html,
                      re.S)
    assert found, "no printer line on the staff page"
    words = re.sub(r'<span class="outcome-icon"[^>]*>.*?</span>', "", found.group(2))
    return found.group(1) + ": " + " ".join(html_unescape(re.sub(r"<[^>]+>", " ", words)).split())


def test_staff_pages_show_no_printer_line_without_a_printer(client: FlaskClient) -> None:
    login(client)
    assert 'id="printer-state"' not in client.get("/staff/").text


def test_staff_pages_show_a_ready_printer_and_its_queue(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    runtime.printer = StatePrinter({"status": "ready", "queued": 0, "message": "virtual"})
    login(client)
    assert printer_line(client.get("/staff/").text) == "ok: Drukarka: gotowa · W kolejce: 0"
    assert printer_line(client.get("/staff/scans?lang=en").text) == (
        "ok: Printer: ready · Queued: 0")


def test_staff_pages_show_a_printer_fault_prominently_once(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    runtime.printer = StatePrinter({"status": "paper_out", "queued": 3,
                                    "message": "paper_out: paper end sensor",
                                    "code": "paper_out"})
    login(client)
    for path in ("/staff/", "/staff/scans"):
        html = client.get(path).text
        assert printer_line(html) == ("error: Drukarka: brak papieru · W kolejce: 3 "
                                      "Szczegóły: paper_out: paper end sensor")
        # The printer's warning is the line above, not a second copy in the list.
        codes = warning_codes(html)
        assert "default_pin" in codes and not [c for c in codes if c.startswith("printer")]
    assert printer_line(client.get("/staff/?lang=en").text).startswith(
        "error: Printer: out of paper · Queued: 3")


def test_staff_printer_line_uses_the_printers_own_sentence(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    runtime.printer = StatePrinter({"status": "cover_open", "queued": 1,
                                    "pl": "Otwarta pokrywa drukarki.",
                                    "en": "The printer's cover is open."})
    login(client)
    assert printer_line(client.get("/staff/").text).startswith(
        "error: Otwarta pokrywa drukarki · W kolejce: 1")
    assert printer_line(client.get("/staff/?lang=en").text).startswith(
        "error: The printer's cover is open · Queued: 1")


def test_staff_pages_show_a_printer_that_failed_to_start(
    tmp_path: Path, roster: RosterSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(None, {"BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk-web"),
                                    "BRAMKA_PRINTER__BACKEND": "file",
                                    "BRAMKA_PRINTER__FILE_PATH": str(tmp_path / "lp0")})
    rt = KioskRuntime(settings)
    try:
        rt.checkin.apply_roster(roster)

        def broken() -> None:
            raise OSError("no such device")

        monkeypatch.setattr(rt, "start_printer", broken)
        rt.start_devices(camera=False)  # logs the failure; the kiosk serves on
        client = make_app(rt).test_client()
        shown, text = printer_note(client.get("/").text)
        assert shown and text.startswith("Drukarka: nie działa — ")
        login(client)
        html = client.get("/staff/").text
        assert printer_line(html).startswith("error: Drukarka: nie uruchomiła się · W kolejce: 0")
        assert "OSError: no such device" in printer_line(html)
        assert "printer_failed" not in warning_codes(html)
    finally:
        rt.stop()


# -- staff search on a room kiosk ---------------------------------------------------------------


def person_state(html: str, name: str) -> str:
    for item in re.findall(r'<li class="person">(.*?)</li>', html, re.S):
        if name in item:
            state = re.search(r'<p class="(state[^"]*)" data-field="state">(.*?)</p>', item,
                              re.S)
            assert state
            return f"{state.group(1)}: {state.group(2).strip()}"
    raise AssertionError(f"{name} not in the results")


def test_room_search_says_who_is_in_the_room(
    room_runtime: KioskRuntime, event_key: Ed25519PrivateKey
) -> None:
    room_runtime.checkin.clock = lambda: NOW  # 10:00 in Warsaw, the first workshop runs
    assert room_runtime.checkin.scan(token_for(event_key, 1)).scan.direction == "in"
    client = make_app(room_runtime).test_client()
    login(client)
    html = client.get("/staff/?q=anna").text
    assert person_state(html, "Anna Kowalska") == (
        "state inside: W sali od 10:00 · Warsztat: praca z rodziną")
    html = client.get("/staff/?q=pawel").text
    assert person_state(html, "Paweł Dąbrowski") == "state: Nie wchodził(a) do tej sali"
    data = client.get("/staff/search.json?q=anna&lang=en").json
    assert data is not None
    assert data["results"][0]["inside"] is True
    assert data["results"][0]["state"] == "In the room since 10:00 · Warsztat: praca z rodziną"

    room_runtime.checkin.clock = lambda: NOW + timedelta(minutes=25)
    assert room_runtime.checkin.scan(token_for(event_key, 1)).scan.direction == "out"
    html = client.get("/staff/?q=anna&lang=pl").text
    assert person_state(html, "Anna Kowalska") == "state: Wyjście z sali o 10:25"

    room_runtime.checkin.clock = lambda: NOW + timedelta(days=1)  # the next day says the date
    html = client.get("/staff/?q=anna").text
    assert person_state(html, "Anna Kowalska") == "state: Wyjście z sali 16.06 o 10:25"
    data = client.get("/staff/search.json?q=anna&lang=en").json
    assert data is not None and data["results"][0]["inside"] is False
    assert data["results"][0]["state"] == "Left the room on 16.06 at 10:25"


def test_entrance_search_says_when_the_person_came_in(
    client: FlaskClient, runtime: KioskRuntime, event_key: Ed25519PrivateKey
) -> None:
    runtime.checkin.clock = lambda: NOW
    runtime.checkin.scan(token_for(event_key, 1))
    login(client)
    assert person_state(client.get("/staff/?q=anna").text, "Anna Kowalska") == (
        "state inside: Wejście o 10:00")


# -- reprint: what went wrong, in words -----------------------------------------------------------


def reprint(client: FlaskClient, attendee_id: int = 1) -> TestResponse:
    return client.post("/staff/reprint", data={"attendee_id": str(attendee_id), "q": "anna",
                                               "csrf_token": csrf_of(client)},
                       follow_redirects=True)


def notice_text(html: str) -> str:
    found = re.search(r'<div class="outcome tone-(\w+)" role="status">(.*?)</div>', html, re.S)
    assert found, "no notice on the page"
    return found.group(1) + ": " + " ".join(re.sub(r"<[^>]+>", " ", found.group(2)).split()[1:])


def test_reprint_unavailable_says_why_without_a_traceback(
    tmp_path: Path, roster: RosterSnapshot, event_key: Ed25519PrivateKey,
    caplog: pytest.LogCaptureFixture
) -> None:
    with VirtualPrinter(tmp_path / "pages") as vp:
        host, port = vp.address
        settings = load_settings(None, {
            "BRAMKA_KIOSK__DATA_DIR": str(tmp_path / "kiosk-web"),
            "BRAMKA_PRINTER__BACKEND": "virtual", "BRAMKA_PRINTER__HOST": host,
            "BRAMKA_PRINTER__PORT": str(port)})
        rt = KioskRuntime(settings)
        try:
            rt.checkin.apply_roster(roster)
            rt.start_devices(camera=False)
            client = make_app(rt).test_client()
            login(client)
            caplog.set_level("INFO")
            html = reprint(client, 4).text  # Paweł: never scanned here, no code to print
            assert notice_text(html) == (
                "warn: Na tym stanowisku nie ma aktualnego kodu tej osoby — wydrukuj "
                "identyfikator w punkcie informacyjnym.")
            assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]
            assert not [r for r in caplog.records if r.exc_info]
            # In English, and the reprint works once the kiosk has seen the badge.
            client.get("/staff/?lang=en")
            assert notice_text(reprint(client, 4).text) == (
                "warn: This kiosk has no current badge code for this person — print the "
                "badge at the help desk.")
            rt.checkin.scan(token_for(event_key, 4))
            assert "sent to the printer" in notice_text(reprint(client, 4).text)
        finally:
            rt.stop()


def test_reprint_store_failure_is_a_clear_message_logged_without_a_stack(
    client: FlaskClient, runtime: KioskRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    runtime.printer = StatePrinter({"status": "ready"}, error=StoreError("disk full"))
    login(client)
    html = reprint(client).text
    assert notice_text(html).startswith("error: Nie udało się zapisać zlecenia wydruku")
    assert "sprawdź drukarkę" not in html.lower()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "disk full" in errors[0].getMessage()
    assert errors[0].exc_info is None


def test_reprint_unexpected_failure_logs_the_stack(
    client: FlaskClient, runtime: KioskRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    runtime.printer = StatePrinter({"status": "ready"}, error=RuntimeError("bug"))
    login(client)
    html = reprint(client).text
    assert notice_text(html) == ("error: Nie udało się zlecić wydruku identyfikatora. "
                                 "Wydrukuj go w punkcie informacyjnym.")
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and errors[0].exc_info is not None


def test_reprint_while_the_printer_is_down_says_the_badge_waits(
    client: FlaskClient, runtime: KioskRuntime
) -> None:
    printer = StatePrinter({"status": "paper_out", "queued": 1})
    runtime.printer = printer
    login(client)
    html = reprint(client).text
    assert printer.reprinted == [1]
    assert notice_text(html) == (
        "warn: Identyfikator dla: Anna Kowalska czeka w kolejce, bo drukarka nie drukuje "
        "(Drukarka: brak papieru). Wydrukuje się po usunięciu usterki.")
