"""bramka.web_guard: the CSRF check, JSON-or-page and the JSON error both web apps share."""

from __future__ import annotations

import pytest
from flask import Flask, session

from bramka import web_guard
from sync.wire import WireError

KEY = "csrf"


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.secret_key = "test"
    return app


def test_the_token_is_made_once_per_session(app: Flask) -> None:
    with app.test_request_context():
        token = web_guard.csrf_token(KEY)
        assert len(token) >= 32 and web_guard.csrf_token(KEY) == token == session[KEY]


@pytest.mark.parametrize("sent", [None, "", "forged", "żółw-ąę", "\udcff", 7, ["x"]])
def test_anything_but_the_token_is_refused_without_an_error(app: Flask, sent: object) -> None:
    with app.test_request_context():
        web_guard.csrf_token(KEY)
        assert web_guard.csrf_valid(sent, KEY) is False


def test_the_token_is_accepted_and_only_under_its_key(app: Flask) -> None:
    with app.test_request_context():
        token = web_guard.csrf_token(KEY)
        assert web_guard.csrf_valid(token, KEY) is True
        assert web_guard.csrf_valid(token, "other") is False


def test_a_session_without_a_token_accepts_none(app: Flask) -> None:
    with app.test_request_context():
        assert web_guard.csrf_valid("", KEY) is False
        session[KEY] = 5  # not a token we made
        assert web_guard.csrf_valid("5", KEY) is False


@pytest.mark.parametrize(("path", "accept", "json_paths", "expected"), [
    ("/api/scan", "text/html", (), True),
    ("/events/1/dashboard.json", "text/html", (), True),
    ("/staff/", "application/json", (), True),
    ("/staff/", "text/html", (), False),
    ("/events", "text/html", (), False),
    ("/events", "text/html", ("/events",), True),
])
def test_wants_json(app: Flask, path: str, accept: str, json_paths: tuple[str, ...],
                    expected: bool) -> None:
    with app.test_request_context(path, headers={"Accept": accept}):
        assert web_guard.wants_json(json_paths) is expected


def test_a_json_error_has_the_wire_shape(app: Flask) -> None:
    with app.test_request_context():
        resp = web_guard.json_error(413, "too_large", "Za duże.", "Too large.", {"max": 5})
    assert resp.status_code == 413
    body = resp.get_json()
    assert set(body) == set(WireError.model_fields)
    assert WireError.model_validate(body).message.pl == "Za duże."
