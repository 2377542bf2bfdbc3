"""Schema-driven fuzzing of the sync endpoints: the admin's own OpenAPI document, the real
admin over HTTP on 127.0.0.1 (so gzip answers are decoded as a kiosk decodes them), an
enrolled kiosk's token.

Whatever a kiosk (or anyone) sends, the admin answers with a documented status and body,
and never with a 5xx. Positive and negative (schema-violating) cases, bounded and
deterministic: at most ``EXAMPLES`` cases per endpoint, derandomized, no example database.
Runs on SQLite and (when BRAMKA_TEST_DATABASE_URL is set) PostgreSQL.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import schemathesis
from admin_fixtures import add_person, make_event
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import func, insert, select
from support import served as serve_app

from admin.queries import events as q_events
from admin.queries import sync as q_sync
from admin.schema import kiosk_clock, kiosk_commands, scans
from admin.sync_api import hash_token
from sync.openapi import openapi_document
from sync.wire import BASE_PATH, PROTOCOL

EXAMPLES = 50
TOKEN = "fuzz-kiosk-token-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
# Every documented operation (test_sync_openapi checks these are exactly the routes).
OPERATIONS = [(path, method.upper()) for path, ops in openapi_document()["paths"].items()
              for method in ops]


@pytest.fixture
def served(app: Any) -> Iterator[str]:
    with serve_app(app) as url:
        yield url


@pytest.fixture
def enrolled(engine: Any) -> str:
    """An event with people, an enrolled kiosk with a pending reprint; its token."""
    event = make_event(engine)
    anna = add_person(engine, event["id"], "Anna", "Kowalska", "MOPS Kraków")
    add_person(engine, event["id"], "Łukasz", "Wójcik", "GOPS w Gdowie")
    with engine.begin() as conn:
        kiosk_id = q_sync.create_kiosk(conn, event["id"], "Wejście A", "entrance", "")
        code = q_sync.new_enrollment(conn, kiosk_id)
        assert q_sync.use_enrollment(conn, code, hash_token(TOKEN), datetime.now(UTC))
        badge = q_events.issue_token(conn, event["id"], anna, 1)
        conn.execute(insert(kiosk_commands).values(
            kiosk_id=kiosk_id, kind="reprint", status="pending", created_at=datetime.now(UTC),
            payload=json.dumps({"attendee_id": anna, "badge": {
                "name": "Anna Kowalska", "institution": "MOPS Kraków", "role": "participant",
                "token": badge}})))
    return TOKEN


def _send(case: schemathesis.Case, base_url: str, session: requests.Session) -> Any:
    kwargs: dict[str, Any] = {}
    if (case.headers or {}).get("Content-Encoding") == "gzip" and isinstance(
            case.body, dict | list | str | int | float | bool):
        # Say gzip, send gzip: otherwise every such case stops at "body is not valid gzip".
        kwargs["data"] = gzip.compress(json.dumps(case.body).encode())
    return case.call_and_validate(base_url=base_url, session=session, checks=CHECKS, **kwargs)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_sync_endpoints_survive_fuzzing(served, enrolled, path, method):
    schema = schemathesis.openapi.from_url(f"{served}{BASE_PATH}/openapi.json")
    operation = schema[path][method]
    cases = st.one_of(
        operation.as_strategy(schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )

    statuses: list[int] = []

    @given(case=cases)
    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None)
    def run(case: schemathesis.Case) -> None:
        # call_and_validate raises on any failed check (a 5xx, a body off the schema)
        statuses.append(_send(case, served + BASE_PATH, session).status_code)

    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {enrolled}"
        run()
    assert statuses  # the cases really ran (a GET without parameters has just one)
    assert max(statuses) < 500, sorted(set(statuses))


# -- regressions: 500s the fuzzing found (now 400 bad_request, nothing stored) ------------------

CLOCK = {"boot_id": "boot", "monotonic_ns": 5_000_000_000, "wall_time": "2026-06-16T08:00:00Z"}
SCAN = {"id": "0" * 32, "kiosk_id": "k", "result": "ok", "admitted": True, "event_id": 1,
        "attendee_id": 1, "wall_time": "2026-06-16T08:00:00Z", "monotonic_ns": 1,
        "boot_id": "other"}


@pytest.mark.parametrize("change", [
    # OverflowError placing a scan: wall time + the kiosk's clock offset leaves the calendar
    {"scan": {"wall_time": "9999-12-31T00:00:00Z"}, "clock": {"wall_time": "0002-01-01T00:00:00Z"}},
    {"scan": {"wall_time": "0001-01-01T00:30:00+01:00"}},  # not even representable in UTC
    # OverflowError in SQLite ("Python int too large"), NumericValueOutOfRange in PostgreSQL
    {"scan": {"monotonic_ns": 2**63}},
    {"clock": {"monotonic_ns": 2**64}},
    {"scan": {"attendee_id": 2**31}},
    {"scan": {"session_id": -(2**31) - 1}},
    {"scan": {"badge_revision": 2**40}},
    {"scan": {"event_id": 2**70}},
    # PostgreSQL: "text fields cannot contain NUL (0x00) bytes"
    {"scan": {"boot_id": "a\x00b"}},
    {"scan": {"raw": "\x00"}},
    {"clock": {"boot_id": "\x00"}},
], ids=lambda change: json.dumps(change)[:60])
def test_unstorable_scans_are_refused_not_a_500(app, engine, enrolled, change):
    body = {"protocol": PROTOCOL, "clock": {**CLOCK, **change.get("clock", {})},
            "scans": [{**SCAN, **change.get("scan", {})}]}
    resp = app.test_client().post(f"{BASE_PATH}/scans", json=body,
                                  headers={"Authorization": f"Bearer {enrolled}"})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"] == "bad_request"
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(scans)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(kiosk_clock)).scalar() == 0


@pytest.mark.parametrize("change", [
    {"health": {"unsent_scans": 2**31}},  # kiosks.queue_length is 32 bits in PostgreSQL
    {"health": {"camera": "ok\x00"}},
    {"clock": {"monotonic_ns": 2**63}},
], ids=lambda change: json.dumps(change)[:60])
def test_unstorable_heartbeats_are_refused_not_a_500(app, enrolled, change):
    body = {"protocol": PROTOCOL, "clock": {**CLOCK, **change.get("clock", {})},
            "health": change.get("health", {})}
    resp = app.test_client().post(f"{BASE_PATH}/heartbeat", json=body,
                                  headers={"Authorization": f"Bearer {enrolled}"})
    assert resp.status_code == 400, resp.get_json()
    assert resp.get_json()["error"] == "bad_request"


@pytest.mark.parametrize("command_id", ["²", "٣", "99999999999999999999", "-1", ""])
def test_odd_command_result_ids_are_ignored(app, engine, enrolled, command_id):
    """``"²".isdigit()`` is true but ``int("²")`` raises; huge ids overflow PostgreSQL."""
    body = {"protocol": PROTOCOL, "clock": CLOCK, "health": {},
            "results": [{"id": command_id, "ok": True}]}
    resp = app.test_client().post(f"{BASE_PATH}/heartbeat", json=body,
                                  headers={"Authorization": f"Bearer {enrolled}"})
    assert resp.status_code == 200, resp.get_json()
    assert [c["badge"]["name"] for c in resp.get_json()["commands"]] == ["Anna Kowalska"]
    with engine.connect() as conn:
        assert conn.execute(select(kiosk_commands.c.status)).scalar() == "delivered"
