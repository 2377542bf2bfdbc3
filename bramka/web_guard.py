"""What the admin's and the kiosk's web apps guard alike: the CSRF token of a browser
session, whether a request wants JSON, and the body of a JSON error.

Both apps import this (``kiosk/`` and ``admin/`` never import each other). A JSON error
has the sync protocol's shape (``sync.wire.WireError``): ``{"error": code, "message":
{"pl": …, "en": …}, "detail": …}``, so every client reads one kind of refusal.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Collection
from typing import Any

from flask import Response, jsonify, request, session


def csrf_token(key: str) -> str:
    """This browser session's CSRF token (kept under ``key``), made on first use."""
    token = session.get(key)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[key] = token
    return token


def csrf_valid(sent: object, key: str) -> bool:
    """``sent`` is this session's token. Compared as UTF-8 bytes in constant time:
    ``compare_digest`` on str raises TypeError beyond ASCII (a 500 for a forged "żółw")."""
    expected = session.get(key)
    if not isinstance(expected, str) or not expected or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def wants_json(json_paths: Collection[str] = ()) -> bool:
    """The answer should be JSON: an API path, a ``.json`` one, one of ``json_paths`` (an
    app's streams), or a client that asks for JSON first."""
    path = request.path
    return (path.startswith("/api/") or path.endswith(".json") or path in json_paths
            or request.accept_mimetypes.best == "application/json")


def json_error(status: int, code: str, pl: str, en: str, detail: Any = None) -> Response:
    """A refusal as JSON, in the wire's ``WireError`` shape."""
    resp = jsonify({"error": code, "message": {"pl": pl, "en": en}, "detail": detail})
    resp.status_code = status
    return resp
