"""Helpers for the admin tests: a logged-in client that carries the CSRF token."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

PASSWORD = "correct horse battery"


def make_user(app: Flask, username: str, role: str) -> int:
    from admin.queries.users import create_user

    with app.extensions["bramka_db"].begin() as conn:
        return create_user(conn, username, PASSWORD, role, fast_hash=True)


class Client:
    """The Flask test client plus the CSRF token a browser would carry."""

    def __init__(self, client: FlaskClient) -> None:
        self.raw = client

    def csrf(self) -> str:
        with self.raw.session_transaction() as sess:
            token = sess.get("_csrf")
        if not token:
            self.raw.get("/login")
            with self.raw.session_transaction() as sess:
                token = sess["_csrf"]
        return str(token)

    def get(self, url: str, **kw: Any) -> Any:
        return self.raw.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf())
        return self.raw.post(url, data=data, **kw)

    def post_json(self, url: str, payload: Any) -> Any:
        return self.raw.post(url, json=payload, headers={"X-CSRF-Token": self.csrf()})

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.post("/login", {"username": username, "password": password})
