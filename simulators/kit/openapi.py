"""OpenAPI documents that describe the platform dialect, not just the routes.

FastAPI documents the routes; :func:`document_dialect` adds what every platform shares: the four
signing headers as security schemes, the envelope and the refusals every signed route may
answer (401, 429, 500, 503), and 400 instead of FastAPI's 422 for a bad parameter.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from gateway.http.signing import HEADER_APP_KEY, HEADER_NONCE, HEADER_SIGNATURE, HEADER_TIMESTAMP
from simulators.kit.envelope import ErrorEnvelope

REF = "#/components/schemas/{model}"

DIALECT = """
## Dialect

**Signing.** Every request under the API prefix carries four headers: `X-App-Key`,
`X-Timestamp` (Unix milliseconds), `X-Nonce` (unique per request) and `X-Signature`, the hex
HMAC ({algorithm}) keyed by the application secret over six lines joined by `\\n`: the method,
the path, the query sorted by name (`k=v` joined by `&`, percent-encoded), the timestamp, the
nonce, and the hex SHA-256 of the body (of the empty string when there is none). A wrong key or
signature is refused with HTTP 401 `AUTH_FAILED`; a timestamp more than {window} s away from
the server's clock with `STALE_TIMESTAMP`; a nonce seen within that window with `NONCE_REUSED`.

**Envelope.** Every answer is `{{"code": "0", "msg": "ok", "data": ..., "requestId": ...}}`.
A business failure is HTTP 200 with a non-zero code (`SYSTEM_BUSY`: try again later). HTTP 429
carries `Retry-After` in seconds; 500 and 503 are transient.

**Harness.** Routes under `/_sim/` are not signed: they stand for the test harness (fault
settings, statistics), not for the platform.
"""

_SECURITY_SCHEMES = {
    name: {"type": "apiKey", "in": "header", "name": header, "description": description}
    for name, header, description in (
        ("AppKey", HEADER_APP_KEY, "The application key issued by the platform"),
        ("Timestamp", HEADER_TIMESTAMP, "Unix time in milliseconds"),
        ("Nonce", HEADER_NONCE, "A value never used before within the time window"),
        ("Signature", HEADER_SIGNATURE, "Hex HMAC over the string to sign"),
    )
}

_REFUSALS = {
    "401": "AUTH_FAILED, STALE_TIMESTAMP or NONCE_REUSED",
    "429": "RATE_LIMITED; wait Retry-After seconds",
    "500": "INTERNAL_ERROR; transient",
    "503": "SERVICE_UNAVAILABLE; transient",
}


def dialect_text(algorithm: str, window_seconds: float) -> str:
    """The dialect section of an info description, for one simulator's settings."""
    return DIALECT.format(algorithm=algorithm.upper(), window=f"{window_seconds:g}")


def json_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra`` that documents a JSON body the route parses itself."""
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}},
        }
    }


def document_dialect(
    schema: dict[str, Any], api_prefix: str, models: Iterable[type[BaseModel]] = ()
) -> dict[str, Any]:
    """Add the dialect to a generated document, in place; returns it."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    _add_model(schemas, ErrorEnvelope)
    for model in models:
        _add_model(schemas, model)
    components["securitySchemes"] = _SECURITY_SCHEMES
    error_ref = {"$ref": REF.format(model=ErrorEnvelope.__name__)}
    error_content = {"application/json": {"schema": error_ref}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            _drop_placeholder_types(responses)
            if responses.pop("422", None) is not None:
                responses["400"] = {"description": "INVALID_PARAM", "content": error_content}
            if path.startswith(api_prefix):
                operation["security"] = [{name: [] for name in _SECURITY_SCHEMES}]
                for status, description in _REFUSALS.items():
                    responses[status] = {"description": description, "content": error_content}
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return schema


def _drop_placeholder_types(responses: dict[str, Any]) -> None:
    """A raw-bytes response class makes FastAPI add ``type: string`` beside the documented
    model's ``$ref``; the body is that model, so the placeholder goes."""
    for response in responses.values():
        for media in response.get("content", {}).values():
            schema = media.get("schema", {})
            if "$ref" in schema:
                schema.pop("type", None)


def openapi_text(schema: dict[str, Any]) -> str:
    """The committed form of a document: stable, readable, UTF-8."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    generated = model.model_json_schema(ref_template=REF)
    for name, definition in generated.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault(model.__name__, generated)
