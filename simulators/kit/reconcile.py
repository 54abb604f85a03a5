"""What every simulator answers to a reconciliation: the holdings of key ranges.

``POST {prefix}/holdings`` takes ``{"ranges": [{"low", "high"}]}`` and answers one
``{"low", "high", "count", "digest"}`` per range, digests as :mod:`gateway.reconcile.digest`
defines them; the records of a range are listed by the simulator's own ``/range`` route
(:func:`range_page` for a simulator that holds its records in memory).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.reconcile.digest import RangeAccumulator, record_digest
from simulators.kit.envelope import Code, JSONBytes, fail, ok

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


def in_range(key: str, low: str | None, high: str | None) -> bool:
    return (low is None or key >= low) and (high is None or key < high)


def digest_held(
    records: Iterable[Mapping[str, Any]], key_field: str, low: str | None, high: str | None
) -> tuple[int, str]:
    """Count and range digest of the ``records`` (held in memory) whose key is in the range."""
    acc = RangeAccumulator()
    for record in records:
        key = str(record[key_field])
        if in_range(key, low, high):
            acc.add(key, record_digest(record))
    result = acc.result()
    return result.count, result.digest


def range_page(
    records: Iterable[Mapping[str, Any]],
    key_field: str,
    low: str | None,
    high: str | None,
    after: str | None,
    limit: int,
) -> dict[str, Any]:
    """A page of the ``records`` of a key range in key order, after ``after``: the ``data`` of
    a range route's answer."""
    chosen = sorted(
        (r for r in records if in_range(str(r[key_field]), low, high)
         and (after is None or str(r[key_field]) > after)),
        key=lambda r: str(r[key_field]),
    )  # fmt: skip
    page, more = chosen[:limit], len(chosen) > limit
    nxt = {"after_key": str(page[-1][key_field])} if page and more else None
    return {"items": page, "has_more": more, "next": nxt}
