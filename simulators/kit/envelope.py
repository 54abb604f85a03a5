"""The response envelope every simulated platform speaks.

Every API answer is ``{"code": "0", "msg": "ok", "data": ..., "requestId": "..."}``. A business
failure is HTTP 200 with a non-zero ``code``; transport-level failures (401, 429, 5xx) carry the
same envelope with ``data`` null. Bodies are serialized by orjson straight to bytes: big pages
skip FastAPI's response-model validation on purpose.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field
from starlette.responses import Response

T = TypeVar("T")

# A per-process prefix plus a counter: unique, cheap, and never derived from request content.
_REQUEST_PREFIX = os.urandom(4).hex()
_REQUEST_COUNTER = itertools.count(1)


class Code(StrEnum):
    """Envelope codes the simulators answer with."""

    OK = "0"
    AUTH_FAILED = "AUTH_FAILED"
    STALE_TIMESTAMP = "STALE_TIMESTAMP"
    NONCE_REUSED = "NONCE_REUSED"
    SYSTEM_BUSY = "SYSTEM_BUSY"
    RATE_LIMITED = "RATE_LIMITED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INVALID_PARAM = "INVALID_PARAM"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"


class JSONBytes(Response):
    """A response whose body is already-serialized JSON."""

    media_type = "application/json"


def new_request_id() -> str:
    return f"{_REQUEST_PREFIX}{next(_REQUEST_COUNTER):012d}"


def envelope(data: Any, *, code: str = Code.OK, msg: str = "ok") -> bytes:
    """The serialized envelope around ``data``."""
    return orjson.dumps(
        {"code": str(code), "msg": msg, "data": data, "requestId": new_request_id()}
    )


def ok(data: Any) -> JSONBytes:
    """HTTP 200, code ``"0"``."""
    return JSONBytes(envelope(data))


def fail(
    code: str, msg: str, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> JSONBytes:
    """A refusal: HTTP 200 for business failures, 4xx/5xx for the others."""
    return JSONBytes(envelope(None, code=code, msg=msg), status_code=status, headers=headers)


def plain(data: Any, *, status: int = 200) -> JSONBytes:
    """Bare JSON without the envelope, for the harness's /_sim/ routes."""
    return JSONBytes(orjson.dumps(data), status_code=status)


class Envelope(BaseModel, Generic[T]):
    """The envelope around every API answer (documentation only; bodies skip validation)."""

    code: str = Field(description='"0" on success; otherwise a business or refusal code')
    msg: str = Field(description="Short human-readable message")
    data: T | None = Field(description='The answer; null when code is not "0"')
    requestId: str = Field(description="Unique per response, for support tickets")


class ErrorEnvelope(BaseModel):
    """A refusal: ``data`` is always null."""

    code: str = Field(
        description=(
            "AUTH_FAILED, STALE_TIMESTAMP, NONCE_REUSED (HTTP 401); RATE_LIMITED (429); "
            "INTERNAL_ERROR (500); SERVICE_UNAVAILABLE (503); SYSTEM_BUSY (200); "
            "INVALID_PARAM (400); NOT_FOUND (404)"
        )
    )
    msg: str
    data: None = None
    requestId: str
