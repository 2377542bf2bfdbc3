"""Every admin response carries the security headers, and the pages keep to the CSP."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from admin_testkit import Client
from flask import Flask

from sync.wire import BASE_PATH

ADMIN = Path(__file__).resolve().parents[2] / "admin"


def assert_secured(resp: object, what: str) -> None:
    resp.close()  # type: ignore[attr-defined]  # a static file stays open otherwise
    headers = resp.headers  # type: ignore[attr-defined]
    csp = headers.get("Content-Security-Policy", "")
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], what
    assert directives.get("script-src") == ["'self'"], what
    assert directives.get("style-src") == ["'self'"], what
    assert directives.get("object-src") == ["'none'"], what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("X-Frame-Options") == "DENY", what


def test_every_page_as_the_organizer_sends_the_headers(app: Flask, organizer: Client) -> None:
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.arguments - {"filename"}:
            continue
        url = rule.build({"filename": "admin.css"})[1] if rule.arguments else rule.rule
        assert_secured(organizer.get(url), url)
        checked += 1
    assert checked > 5


@pytest.mark.parametrize(("url", "status"), [
    ("/login", 200), ("/events", 302), ("/static/dashboard.js", 200), ("/no-such-page", 404),
    (f"{BASE_PATH}/openapi.json", 200), (f"{BASE_PATH}/roster", 401),  # no kiosk token
    ("/api/sync/v1/roster", 426)])  # a kiosk of an older protocol
def test_public_answers_errors_and_machine_api_send_the_headers(client: Client, url: str,
                                                                status: int) -> None:
    resp = client.get(url)
    assert resp.status_code == status, url
    assert_secured(resp, url)


def test_a_form_post_and_its_redirect_send_the_headers(app: Flask, client: Client) -> None:
    assert_secured(client.login("nobody", "wrong password"), "failed login")
    assert_secured(client.post("/lang/en", {"next": "/login"}), "redirect")


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_have_nothing_the_csp_would_block() -> None:
    found = []
    for template in sorted((ADMIN / "templates").rglob("*.html")):
        if template.parent.name == "mail":  # e-mail bodies: no CSP there, inline styles needed
            continue
        text = template.read_text(encoding="utf-8")
        found += [f"{template.name}: {what}" for pattern, what in INLINE if pattern.search(text)]
    assert found == []


def test_scripts_neither_eval_nor_write_markup() -> None:
    # 'unsafe-eval' and inline markup with handlers are not allowed by the CSP.
    risky = re.compile(r"\beval\(|new Function\(|setAttribute\(\s*[\"'](style|on)|innerHTML")
    found = [f"{js.name}: {m.group(0)}" for js in sorted((ADMIN / "static").glob("*.js"))
             for m in risky.finditer(js.read_text(encoding="utf-8"))]
    assert found == []
