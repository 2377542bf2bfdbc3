"""The sync protocol's OpenAPI document and its versioning.

The document (``sync/openapi.py``) is served by the admin, validates as OpenAPI 3.1 and
names every route of the ``sync_api`` blueprint, so code and contract cannot drift apart.
A kiosk speaking another protocol gets 426 ``protocol_unsupported`` and tells staff to
update its software.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from admin_fixtures import make_event
from openapi_spec_validator import validate
from test_sync import Kiosk, enroll
from werkzeug.serving import make_server

import admin.sync_api
from admin.queries import sync as q_sync
from admin.sync_api import hash_token
from sync.openapi import openapi_document
from sync.transport import SyncRejected
from sync.wire import BASE_PATH, PROTOCOL

DOC_URL = f"{BASE_PATH}/openapi.json"
ROOT = Path(__file__).resolve().parents[2]


def _served(app: Any) -> dict[str, Any]:
    resp = app.test_client().get(DOC_URL)
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return json.loads(resp.data)


def test_served_document_is_valid_openapi_31(app):
    doc = _served(app)
    validate(doc)  # raises OpenAPIValidationError
    assert doc == openapi_document()
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["version"] == str(PROTOCOL)
    assert doc["servers"] == [{"url": BASE_PATH}]


def test_document_is_deterministic():
    first = json.dumps(openapi_document())
    assert all(json.dumps(openapi_document()) == first for _ in range(3))


def test_every_blueprint_route_is_documented_and_nothing_else(app):
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("sync_api."):
            assert rule.rule.startswith(BASE_PATH + "/")
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len(BASE_PATH):])
                routes.add((path, method.lower()))
    documented = {(path, method) for path, ops in openapi_document()["paths"].items()
                  for method in ops}
    assert routes == documented
    assert {("/enroll", "post"), ("/scans", "post"), ("/roster", "get"),
            ("/badge-images/{sha256}", "get"), ("/heartbeat", "post"),
            ("/openapi.json", "get")} == documented


def test_auth_errors_and_gzip_are_described():
    doc = openapi_document()
    assert doc["components"]["securitySchemes"]["kioskToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "The kiosk's own token, from POST /enroll."}
    error = {"$ref": "#/components/schemas/WireError"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            public = path in ("/enroll", "/openapi.json")
            assert (op.get("security") == []) is public, (path, method)
            if path == "/openapi.json":
                continue
            codes = {c for c in op["responses"] if c != "200"}
            expected = {"400", "500"} | ({"413", "426"} if method == "post" else set())
            expected |= {"429"} if path == "/enroll" else {"401", "403"}
            expected |= {"404"} if path == "/badge-images/{sha256}" else set()
            assert codes == expected, (path, method)
            for code in codes:
                assert op["responses"][code]["content"]["application/json"]["schema"] == error
            if method == "post":
                assert op["requestBody"]["required"] is True
                encoding = [p for p in op["parameters"] if p["name"] == "Content-Encoding"]
                assert encoding and "gzip" in encoding[0]["schema"]["enum"]
    roster = doc["paths"]["/roster"]["get"]
    assert [p["name"] for p in roster["parameters"]] == ["cursor"]
    assert roster["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RosterSnapshot"}


def test_sync_package_does_not_import_admin_or_kiosk():
    code = ("import sys, sync.openapi; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'admin', 'kiosk'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


# -- versioning ---------------------------------------------------------------------------------


@pytest.fixture
def kiosk_token(engine: Any) -> str:
    event = make_event(engine)
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście A", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
        assert q_sync.use_enrollment(conn, code, hash_token("s3cret-token"),
                                     datetime.now(UTC)) is not None
    return "s3cret-token"


CLOCK = {"boot_id": "b", "monotonic_ns": 1, "wall_time": "2026-06-16T08:00:00Z"}
BODIES = {
    "/enroll": {"code": "ABCD-EFGH"},
    "/scans": {"clock": CLOCK, "scans": []},
    "/heartbeat": {"clock": CLOCK, "health": {}},
}


@pytest.mark.parametrize("path", sorted(BODIES))
@pytest.mark.parametrize("protocol", [0, PROTOCOL + 1, 99])
def test_other_protocols_get_426_with_both_languages(app, kiosk_token, path, protocol):
    resp = app.test_client().post(
        BASE_PATH + path, json={**BODIES[path], "protocol": protocol},
        headers={"Authorization": f"Bearer {kiosk_token}"})
    assert resp.status_code == 426
    body = resp.get_json()
    assert body["error"] == "protocol_unsupported"
    assert body["message"]["pl"] and body["message"]["en"]
    assert "zaktualizuj" in body["message"]["pl"] and "update" in body["message"]["en"]
    assert body["detail"] == {"supported": [PROTOCOL], "requested": protocol}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_paths_of_another_protocol_version_get_426_not_404(app, kiosk_token, method):
    client = app.test_client()
    for path in ("/api/sync/v1/scans", "/api/sync/v2/roster", "/api/sync/v17/anything/else"):
        resp = client.open(path, method=method, json=BODIES["/scans"],
                           headers={"Authorization": f"Bearer {kiosk_token}"})
        assert resp.status_code == 426, path
        body = resp.get_json()
        assert body["error"] == "protocol_unsupported"
        assert body["detail"] == {"supported": [PROTOCOL],
                                  "requested": int(path.split("/")[3][1:])}
    resp = client.open(BASE_PATH + "/no-such-endpoint", method=method)
    assert resp.status_code == 404 and resp.get_json()["error"] == "bad_request"
    wrong = {"GET": "/scans", "POST": "/roster"}[method]
    resp = client.open(BASE_PATH + wrong, method=method)
    assert resp.status_code == 405 and resp.get_json()["error"] == "bad_request"
    assert resp.headers["Allow"] == ("POST" if method == "GET" else "GET")
    # The real endpoints still win over the catch-all.
    assert client.get(BASE_PATH + "/roster").status_code == 401


def test_current_protocol_is_accepted(app, kiosk_token):
    client = app.test_client()
    for path in ("/scans", "/heartbeat"):
        resp = client.post(BASE_PATH + path, json={**BODIES[path], "protocol": PROTOCOL},
                           headers={"Authorization": f"Bearer {kiosk_token}"})
        assert resp.status_code == 200, resp.get_json()


def test_an_older_kiosk_tells_staff_to_update(engine, app, tmp_path, monkeypatch):
    """The admin moved on to the next protocol: the kiosk shows "rejected", update it."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.port}"
    event = make_event(engine)
    kiosk: Kiosk | None = None
    try:
        kiosk = enroll(engine, url, event["id"], tmp_path)
        kiosk.client.contact()
        monkeypatch.setattr(admin.sync_api, "PROTOCOL", PROTOCOL + 1)
        with pytest.raises(SyncRejected) as info:
            kiosk.client.contact()
        assert info.value.code == "protocol_unsupported" and info.value.status == 426
        assert info.value.error.detail["supported"] == [PROTOCOL + 1]
        kiosk.client.start()
        deadline = time.monotonic() + 10
        while kiosk.client.state.status != "rejected" and time.monotonic() < deadline:
            time.sleep(0.05)
        state = kiosk.client.state
        assert state.status == "rejected"
        assert state.message.startswith("Update the kiosk software")
        assert f"protocol {PROTOCOL + 1}" in state.message
        assert kiosk.store.reader.event() is not None  # unlike a revoked kiosk, it keeps its roster
    finally:
        if kiosk is not None:
            kiosk.close()
        server.shutdown()
        server.server_close()
