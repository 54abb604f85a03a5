"""The OpenAPI document of a generated simulator, written from the same declarations as its
streams: the routes, their parameters for the chosen paging, the envelope, the outcomes, and
the refusals every signed route may answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["document"]

REF = "#/components/schemas/"
_DATETIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
_SIZE = {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}
_PARAMETERS: dict[str, list[tuple[str, dict[str, Any], str]]] = {
    "keyset": [
        ("page_size", _SIZE, "Records per page"),
        ("updated_since", {"type": "string"}, "Cursor: updatedAt of the last record read"),
        ("after_key", {"type": "string"}, "Cursor: id of the last record read"),
    ],
    "page": [
        ("page", {"type": "integer", "minimum": 1, "default": 1}, "Page number, from 1"),
        ("page_size", _SIZE, "Records per page"),
    ],
    "offset": [
        ("offset", {"type": "integer", "minimum": 0, "default": 0}, "Records to skip"),
        ("limit", _SIZE, "Records per page"),
    ],
    "link": [
        ("page_size", _SIZE, "Records per page"),
        ("token", {"type": "integer", "minimum": 0, "default": 0}, "From the previous next link"),
    ],
}
_NEXT: dict[str, dict[str, Any]] = {
    "keyset": {
        "type": "object",
        "properties": {"updated_since": {"type": "string"}, "after_key": {"type": "string"}},
        "required": ["updated_since", "after_key"],
        "description": "The cursor after this page (absent for an empty page)",
    },
    "link": {"type": "string", "description": "Path and query of the next page"},
}
_REFUSALS = {
    "400": "INVALID_PARAM",
    "401": "AUTH_FAILED, STALE_TIMESTAMP or NONCE_REUSED",
    "429": "RATE_LIMITED; wait Retry-After seconds",
    "500": "INTERNAL_ERROR; transient",
    "503": "SERVICE_UNAVAILABLE; transient",
}
_SECURITY = {
    "AppKey": "X-App-Key",
    "Timestamp": "X-Timestamp",
    "Nonce": "X-Nonce",
    "Signature": "X-Signature",
}


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string", "const": "0"},
            "msg": {"type": "string"},
            "data": data,
            "requestId": {"type": "string"},
        },
        "required": ["code", "msg", "data", "requestId"],
    }


def _components(paging: str) -> dict[str, Any]:
    page: dict[str, Any] = {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": REF + "Record"}},
            "has_more": {"type": "boolean"},
            "total": {"type": "integer", "minimum": 0},
        },
        "required": ["items", "has_more"],
    }
    if paging in _NEXT:
        page["properties"]["next"] = _NEXT[paging]
    outcome = {
        "type": "object",
        "properties": {
            "idempotencyKey": {"type": "string"},
            "status": {"enum": ["accepted", "rejected"]},
            "receiptNo": {"type": "string"},
            "code": {"type": "string"},
            "reason": {"type": "string"},
        },
        "required": ["idempotencyKey", "status"],
    }
    return {
        "Record": {
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "category": {"enum": ["A", "B", "C"]},
                "amount": {"type": "integer"},
                "updatedAt": {
                    "type": "string",
                    "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$",
                },
            },
            "required": ["id", "name", "category", "updatedAt"],
        },
        "Page": page,
        "PageEnvelope": _envelope({"$ref": REF + "Page"}),
        "Outcome": outcome,
        "Outcomes": {
            "type": "object",
            "properties": {"results": {"type": "array", "items": {"$ref": REF + "Outcome"}}},
            "required": ["results"],
        },
        "OutcomesEnvelope": _envelope({"$ref": REF + "Outcomes"}),
        "Submission": {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "idempotencyKey": {"type": "string", "minLength": 1},
                            "recordId": {"type": "string"},
                            "name": {"type": "string"},
                            "category": {"type": "string"},
                        },
                        "required": ["idempotencyKey"],
                    },
                }
            },
            "required": ["items"],
        },
        "ErrorEnvelope": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "msg": {"type": "string"},
                "data": {"type": "null"},
                "requestId": {"type": "string"},
            },
            "required": ["code", "msg", "requestId"],
        },
    }


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": REF + ref}}}


def _operation(summary: str, ok: str, signed: bool, **extra: Any) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": {"description": "The answer", "content": _json(ok)}}
    for status, description in _REFUSALS.items():
        if status == "401" and not signed:
            continue
        responses[status] = {"description": description, "content": _json("ErrorEnvelope")}
    operation: dict[str, Any] = {"summary": summary, "responses": responses, **extra}
    if signed:
        operation["security"] = [{name: [] for name in _SECURITY}]
    return operation


def _query(name: str, schema: dict[str, Any], description: str, required: bool = False) -> Any:
    return {
        "name": name, "in": "query", "required": required, "schema": schema,
        "description": description,
    }  # fmt: skip


def document(
    name: str, pull: Sequence[str], push: Sequence[str], paging: str, signing: str
) -> dict[str, Any]:
    """The simulator's document for these streams, paging and signing."""
    signed = signing != "none"
    paths: dict[str, Any] = {}
    for stream in pull:
        paths[f"/api/v1/{stream}"] = {
            "get": _operation(
                f"List {stream}",
                "PageEnvelope",
                signed,
                parameters=[_query(*p) for p in _PARAMETERS[paging]],
            )
        }
    for stream in push:
        paths[f"/api/v1/{stream}"] = {
            "post": _operation(
                f"Submit {stream}: one outcome per record",
                "OutcomesEnvelope",
                signed,
                requestBody={"required": True, "content": _json("Submission")},
            )
        }
        paths[f"/api/v1/{stream}/receipts"] = {
            "get": _operation(
                f"What became of earlier {stream} sends",
                "OutcomesEnvelope",
                signed,
                parameters=[
                    _query(
                        "keys",
                        {"type": "string", "pattern": "^[^,]+(,[^,]+){0,99}$"},
                        "Idempotency keys, comma-separated (at most 100)",
                        True,
                    )
                ],
            )
        }
    algorithm = signing.upper() if signed else "none: the platform checks no signature"
    return {
        "openapi": "3.1.0",
        "info": {
            "title": f"{name.replace('_', ' ')} (simulator)",
            "version": "0.1.0",
            "description": (
                'Every answer is the envelope {code, msg, data, requestId}; code "0" is '
                f"success. Signing: {algorithm}. Paging: {paging}."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _components(paging),
            "securitySchemes": {
                scheme: {"type": "apiKey", "in": "header", "name": header}
                for scheme, header in _SECURITY.items()
            }
            if signed
            else {},
        },
    }
