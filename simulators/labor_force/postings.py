"""The simulated platform's job-posting intake (岗位信息发布): validation, expiry, and the
answers of :mod:`simulators.labor_force.intake` (per item, per idempotency key). Postings
are kept by posting number (a new version replaces the old); a posting is valid on a day from
its AAE030 to its AAE031, both included, and expires after.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from pydantic import BaseModel, Field

from adapters.labor_force.streams import POSTINGS_PATH, POSTINGS_RECEIPTS_PATH
from gateway.codes.uscc import is_valid_uscc
from simulators.kit import Code, Envelope, JSONBytes, fail, json_body, ok, plain
from simulators.labor_force.intake import (
    E_INVALID_FIELD,
    MAX_ITEMS,
    AnswerBook,
    Kept,
    batch_items,
    receipt_keys,
)

E_UNKNOWN_EMPLOYER = "E_UNKNOWN_EMPLOYER"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class PostingItem(BaseModel):
    """One job posting as the bureau publishes it."""

    idempotencyKey: str = Field(description="Unique per version; a resend is answered the same")
    ACB210: str = Field(min_length=1, max_length=32, description="岗位编号")
    BCE055: str = Field(min_length=1, max_length=100, description="岗位名称")
    AAB004: str = Field(min_length=1, max_length=200, description="招聘单位名称")
    AAB998: str = Field(description="招聘单位统一社会信用代码 (GB 32100), registered here")
    ACB21D: int = Field(ge=1, description="招聘人数")
    ACB221: int = Field(ge=16, le=70, description="最低年龄")
    ACB222: int = Field(ge=16, le=70, description="最高年龄, not below ACB221")
    ACC530: str = Field(min_length=1, max_length=200, description="工作地点")
    AAE030: str = Field(description="发布日期 YYYY-MM-DD")
    AAE031: str = Field(description="有效截止日期 YYYY-MM-DD, not before AAE030")
    ACB241: int | None = Field(None, ge=0, description="最低月薪 (元)")
    ACB242: int | None = Field(None, ge=0, description="最高月薪 (元), not below ACB241")
    AAE005: str | None = Field(None, max_length=20, description="联系电话")


class PostingBatch(BaseModel):
    items: list[PostingItem] = Field(max_length=MAX_ITEMS)


class PostingAnswer(BaseModel):
    idempotencyKey: str | None
    status: Literal["accepted", "rejected"]
    receiptNo: str | None = Field(None, description="When accepted: GW and twelve digits")
    code: Literal["E_INVALID_FIELD", "E_UNKNOWN_EMPLOYER"] | None = None
    reason: str | None = Field(None, description="When rejected: the field and the rule")


class PostingAnswers(BaseModel):
    results: list[PostingAnswer]


def _text(limit: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, str) and 0 < len(v) <= limit


def _int(low: int, high: int | None = None) -> Callable[[Any], bool]:
    return lambda v: (
        isinstance(v, int) and not isinstance(v, bool) and v >= low and (high is None or v <= high)
    )


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


_RULES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("ACB210", _text(32), "required text, at most 32 long"),
    ("BCE055", _text(100), "required text, at most 100 long"),
    ("AAB004", _text(200), "required text, at most 200 long"),
    ("AAB998", lambda v: isinstance(v, str) and is_valid_uscc(v), "must be a valid USCC"),
    ("ACB21D", _int(1), "must be a whole number of at least 1"),
    ("ACB221", _int(16, 70), "must be an age from 16 to 70"),
    ("ACB222", _int(16, 70), "must be an age from 16 to 70"),
    ("ACC530", _text(200), "required text, at most 200 long"),
    ("AAE030", lambda v: _day(v) is not None, "must be a date YYYY-MM-DD"),
    ("AAE031", lambda v: _day(v) is not None, "must be a date YYYY-MM-DD"),
    ("ACB241", lambda v: v is None or _int(0)(v), "must be a whole number of yuan"),
    ("ACB242", lambda v: v is None or _int(0)(v), "must be a whole number of yuan"),
    ("AAE005", lambda v: v is None or _text(20)(v), "must be text, at most 20 long"),
)


def _judge(item: dict[str, Any], known: frozenset[str]) -> tuple[str, str] | None:
    """(code, reason) of a refusal, or ``None`` when the posting is acceptable."""
    for name, rule, message in _RULES:
        if not rule(item.get(name)):
            return E_INVALID_FIELD, f"{name}: {message}"
    if item["ACB222"] < item["ACB221"]:
        return E_INVALID_FIELD, "ACB222: must not be below ACB221"
    if date.fromisoformat(item["AAE031"]) < date.fromisoformat(item["AAE030"]):
        return E_INVALID_FIELD, "AAE031: must not be before AAE030"
    low, high = item.get("ACB241"), item.get("ACB242")
    if low is not None and high is not None and high < low:
        return E_INVALID_FIELD, "ACB242: must not be below ACB241"
    if item["AAB998"] not in known:
        return E_UNKNOWN_EMPLOYER, "AAB998: no employer registered under this code"
    return None


class PostingLedger:
    """The postings kept by number (as (from, until) days), and the answers given."""

    def __init__(self, employers: Iterable[str]) -> None:
        self._employers = frozenset(employers)
        self._book = AnswerBook()
        self._postings: dict[str, tuple[date, date]] = {}

    @property
    def duplicates(self) -> int:
        return self._book.duplicates

    @property
    def rejected(self) -> int:
        return self._book.rejected

    def submit(self, items: Iterable[Any]) -> list[dict[str, Any]]:
        def take(item: dict[str, Any]) -> Kept:
            refused = _judge(item, self._employers)
            if refused is not None:
                return refused
            start, end = date.fromisoformat(item["AAE030"]), date.fromisoformat(item["AAE031"])
            self._postings[item["ACB210"]] = (start, end)
            return "", f"GW{len(self._book.answers) + 1:012d}"

        return self._book.submit(items, take)

    def receipts(self, keys: Iterable[str]) -> list[dict[str, Any]]:
        return self._book.receipts(keys)

    def counts(self, on: date) -> dict[str, int]:
        """Postings held, and those valid on ``on`` (the rest have expired or not yet begun)."""
        with self._book.lock:
            valid = sum(1 for start, end in self._postings.values() if start <= on <= end)
            return {"entered": len(self._postings), "valid": valid}


def mount_postings(app: FastAPI, ledger: PostingLedger) -> None:
    """The posting routes of the platform, and the harness's view of what it holds."""

    @app.post(
        POSTINGS_PATH,
        tags=["jobs"],
        summary="Publish job postings",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[PostingAnswers], "description": "One per item"}},
        openapi_extra=json_body(PostingBatch, f"Up to {MAX_ITEMS} job postings"),
    )
    async def submit_postings(request: Request) -> JSONBytes:
        items = await batch_items(request)
        if isinstance(items, JSONBytes):
            return items
        return ok({"results": ledger.submit(items)})

    @app.get(
        POSTINGS_RECEIPTS_PATH,
        tags=["jobs"],
        summary="Answers already given, by idempotency key",
        response_class=JSONBytes,
        responses={200: {"model": Envelope[PostingAnswers], "description": "Known keys"}},
    )
    async def posting_receipts(
        keys: Annotated[str, Query(min_length=1, description="Comma-separated keys, up to 500")],
    ) -> JSONBytes:
        wanted = receipt_keys(keys)
        if isinstance(wanted, JSONBytes):
            return wanted
        return ok({"results": ledger.receipts(wanted)})

    @app.get("/_sim/postings", tags=["harness"], summary="Postings held and valid on a day")
    async def posting_counts(
        on: Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="The day")],
    ) -> JSONBytes:
        day = _day(on)
        if day is None:
            return fail(Code.INVALID_PARAM, "invalid parameter: on", status=400)
        return plain(ledger.counts(day))
