"""The sync protocol as an OpenAPI 3.1 document, built from the pydantic models.

The admin serves it at ``{BASE_PATH}/openapi.json``. Request bodies are described in
pydantic's *validation* mode (what the admin accepts), responses in *serialization* mode
(what it sends); shared models land once under ``components.schemas``. The output is
deterministic: the same code gives the same document, byte for byte once dumped with
sorted keys.

Versioning: ``info.version`` and the ``/v<n>`` in the server URL are the protocol number
(:data:`sync.wire.PROTOCOL`). Every request body carries ``protocol``; an admin that does
not speak it answers 426 ``protocol_unsupported`` with ``detail.supported``.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .roster import RosterSnapshot
from .wire import (
    BASE_PATH,
    ERROR_CODES,
    MAX_BATCH,
    MAX_BODY_BYTES,
    PROTOCOL,
    EnrollRequest,
    EnrollResponse,
    Heartbeat,
    HeartbeatReply,
    ScanBatch,
    ScanReceipt,
    WireError,
)

OPENAPI_VERSION = "3.1.0"
DOCUMENT_PATH = "/openapi.json"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "kioskToken"

Mode = Literal["validation", "serialization"]

_REQUESTS: tuple[type[BaseModel], ...] = (EnrollRequest, ScanBatch, Heartbeat)
_RESPONSES: tuple[type[BaseModel], ...] = (
    EnrollResponse, ScanReceipt, RosterSnapshot, HeartbeatReply, WireError,
)

_ERRORS: dict[int, str] = {
    400: "Malformed JSON or gzip, a schema violation, an invalid enrollment code "
         "(`bad_request`, `enrollment_invalid`).",
    401: "No token, or a token this admin does not know (`unauthenticated`).",
    403: "The kiosk was revoked (`kiosk_revoked`): it wipes its roster.",
    413: f"Body over the limits (`too_large`): {MAX_BODY_BYTES} bytes after gunzip.",
    426: "The admin does not speak the kiosk's protocol (`protocol_unsupported`); "
         "`detail.supported` lists the protocols it does speak. The kiosk's software "
         "must be updated.",
    429: "Too many wrong enrollment codes from this address (`too_many_attempts`); "
         "`Retry-After` says when to try again.",
    500: "Server error (`server_error`); the kiosk retries later.",
}
_BODY_ERRORS = (400, 413, 426, 500)
_AUTH_ERRORS = (401, 403)


def _schemas() -> tuple[dict[tuple[type[BaseModel], Mode], dict[str, Any]], dict[str, Any]]:
    models: list[tuple[type[BaseModel], Mode]] = [(m, "validation") for m in _REQUESTS]
    models += [(m, "serialization") for m in _RESPONSES]
    refs, top = models_json_schema(models, ref_template=REF_TEMPLATE)
    return dict(refs), dict(top.get("$defs", {}))


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error_responses(codes: tuple[int, ...], error_ref: dict[str, Any]) -> dict[str, Any]:
    return {str(code): _json(copy.deepcopy(error_ref), _ERRORS[code]) for code in sorted(codes)}


_GZIP_RESPONSE_HEADER = {
    "Content-Encoding": {
        "description": "`gzip` when the request said `Accept-Encoding: gzip` and the body "
                       "is over 1 KiB.",
        "schema": {"type": "string", "enum": ["gzip"]},
    },
}

_CONTENT_ENCODING = {
    "name": "Content-Encoding",
    "in": "header",
    "required": False,
    "description": "`gzip` for a gzip-compressed body (what kiosks send); anything else "
                   "means an uncompressed body.",
    "schema": {"type": "string", "enum": ["gzip", "identity"]},
}


def _operation(op_id: str, summary: str, *, request: dict[str, Any] | None,
               response: dict[str, Any], response_text: str, error_ref: dict[str, Any],
               authenticated: bool, parameters: list[dict[str, Any]] | None = None,
               extra_errors: tuple[int, ...] = ()) -> dict[str, Any]:
    errors: tuple[int, ...] = (400, 500)
    if request is not None:
        errors = _BODY_ERRORS
    if authenticated:
        errors += _AUTH_ERRORS
    errors += extra_errors
    ok = _json(response, response_text)
    ok["headers"] = copy.deepcopy(_GZIP_RESPONSE_HEADER)
    op: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "responses": {"200": ok, **_error_responses(errors, error_ref)},
    }
    params = list(parameters or [])
    if request is not None:
        params.append(copy.deepcopy(_CONTENT_ENCODING))
        op["requestBody"] = {
            "required": True,
            "description": "JSON, optionally gzip-compressed (`Content-Encoding: gzip`). "
                           "`protocol` is the kiosk's protocol number.",
            "content": {"application/json": {"schema": request}},
        }
    if params:
        op["parameters"] = params
    if not authenticated:
        op["security"] = []
    return op


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of sync protocol :data:`~sync.wire.PROTOCOL`."""
    refs, components = _schemas()

    def req(model: type[BaseModel]) -> dict[str, Any]:
        return copy.deepcopy(refs[(model, "validation")])

    def res(model: type[BaseModel]) -> dict[str, Any]:
        return copy.deepcopy(refs[(model, "serialization")])

    error_ref = res(WireError)
    paths: dict[str, Any] = {
        "/enroll": {"post": _operation(
            "enroll", "Trade a single-use enrollment code for the kiosk's own token.",
            request=req(EnrollRequest), response=res(EnrollResponse),
            response_text="Enrolled: keep the token, it is shown only once.",
            error_ref=error_ref, authenticated=False, extra_errors=(429,))},
        "/scans": {"post": _operation(
            "uploadScans",
            f"Upload a batch of at most {MAX_BATCH} scans (idempotent on the scan ids).",
            request=req(ScanBatch), response=res(ScanReceipt),
            response_text="Ids the admin holds now: the kiosk marks these sent.",
            error_ref=error_ref, authenticated=True)},
        "/roster": {"get": _operation(
            "roster", "The roster since the cursor (a full snapshot without one).",
            request=None, response=res(RosterSnapshot),
            response_text="A full snapshot or the changes since `cursor`.",
            error_ref=error_ref, authenticated=True,
            parameters=[{
                "name": "cursor", "in": "query", "required": False,
                "description": "The `cursor` of the last snapshot applied; empty or absent "
                               "for a full snapshot (only the first 64 characters count).",
                "schema": {"type": "string"},
            }])},
        "/badge-images/{sha256}": {"get": {
            "operationId": "badgeImage",
            "summary": "One image of the event's badge template, by the SHA-256 the "
                       "roster's `badge_template` names it with.",
            "parameters": [{"name": "sha256", "in": "path", "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
            "responses": {
                "200": {"description": "The image's bytes; their SHA-256 is the one asked for.",
                        "content": {"image/png": {"schema": {}},
                                    "image/jpeg": {"schema": {}}}},
                "404": _json(copy.deepcopy(error_ref),
                             "The event's template names no such image (`bad_request`)."),
                **_error_responses((400, 401, 403, 500), error_ref),
            },
        }},
        "/heartbeat": {"post": _operation(
            "heartbeat", "Report health and command results; fetch commands.",
            request=req(Heartbeat), response=res(HeartbeatReply),
            response_text="The admin's time and the commands to run.",
            error_ref=error_ref, authenticated=True)},
        DOCUMENT_PATH: {"get": {
            "operationId": "openapi",
            "summary": "This document.",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
        }},
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Bramka sync protocol",
            "version": str(PROTOCOL),
            "description": (
                f"Kiosk <-> admin sync, protocol {PROTOCOL}. Every request body carries "
                "`protocol`; an admin that does not speak it answers 426 "
                "`protocol_unsupported` (Polish and English message, `detail.supported`). "
                f"Error codes: {', '.join(ERROR_CODES)}."
            ),
        },
        "servers": [{"url": BASE_PATH}],
        "security": [{SECURITY_SCHEME: []}],
        "paths": paths,
        "components": {
            "schemas": {name: components[name] for name in sorted(components)},
            "securitySchemes": {SECURITY_SCHEME: {
                "type": "http", "scheme": "bearer",
                "description": "The kiosk's own token, from POST /enroll.",
            }},
        },
    }
