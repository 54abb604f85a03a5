"""What every simulator answers to a reconciliation: the holdings of key ranges.

``POST {prefix}/holdings`` takes ``{"ranges": [{"low", "high"}]}`` and answers one
``{"low", "high", "count", "digest"}`` per range, digests as :mod:`gateway.reconcile.digest`
defines them; the records of a range are listed by the simulator's own ``/range`` route.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.simkit.envelope import Code, JSONBytes, fail, ok

MAX_RANGES = 64


class KeyRangeModel(BaseModel):
    """Keys from ``low`` (inclusive) to ``high`` (exclusive), compared by code point; a null
    end is open."""

    model_config = ConfigDict(extra="forbid")

    low: str | None = Field(None, max_length=255)
    high: str | None = Field(None, max_length=255)


class HoldingsRequest(BaseModel):
    """Up to 64 key ranges to count and digest."""

    model_config = ConfigDict(extra="forbid")

    ranges: list[KeyRangeModel] = Field(min_length=1, max_length=MAX_RANGES)


class RangeHoldings(BaseModel):
    """What the platform holds in one range."""

    low: str | None
    high: str | None
    count: int = Field(description="Records held in the range")
    digest: str = Field(
        description=(
            "Sum modulo 2^128 of BLAKE2b-128(key, NUL, BLAKE2b-128 hex of the record as "
            "sorted compact UTF-8 JSON), 32 hex digits"
        )
    )


class HoldingsAnswer(BaseModel):
    """One answer per range asked, in the same order."""

    ranges: list[RangeHoldings]


class RangeCursor(BaseModel):
    """Where the next page of a range starts: pass it back as ``after_key``."""

    after_key: str


def answer_holdings(
    body: bytes, holdings: Callable[[str | None, str | None], tuple[int, str]]
) -> JSONBytes:
    """The answer to a holdings request, ``holdings(low, high)`` counting and digesting one."""
    try:
        request = HoldingsRequest.model_validate(orjson.loads(body or b"null"))
    except (orjson.JSONDecodeError, ValidationError):
        return fail(Code.INVALID_PARAM, f"ranges: a list of 1 to {MAX_RANGES} ranges", status=400)
    answers = []
    for key_range in request.ranges:
        count, digest = holdings(key_range.low, key_range.high)
        answers.append(
            {"low": key_range.low, "high": key_range.high, "count": count, "digest": digest}
        )
    return ok({"ranges": answers})
