"""Schemas of the labor-force platform's API, for its OpenAPI document.

The routes serialize with orjson and parse bodies themselves (a page of 5,000 persons skips
response validation; a verification batch is judged item by item), so these models document
the wire format; they are not on the hot path.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulators.kit.reconcile import RangeCursor
from simulators.labor_force.intake import MAX_ITEMS


class Person(BaseModel):
    """One labor-force record, in MOHRSS indicator field names."""

    model_config = ConfigDict(title="Person")

    AAC002: str = Field(description="公民身份号码, 18 characters (GB 11643)")
    AAC003: str | None = Field(None, description="姓名")
    AAC004: str | None = Field(None, description="性别, GB/T 2261.1: 1 男, 2 女")
    AAC005: str | None = Field(None, description="民族, GB 3304 two-digit code")
    AAC006: str | None = Field(None, description="出生日期, YYYYMMDD")
    AAB299: str | None = Field(None, description="户籍所在地行政区划, GB/T 2260 six digits")
    AAC011: str | None = Field(None, description="文化程度, GB/T 4658 two-digit code")
    AAC008: str | None = Field(
        None, description="就业状态: 1 已就业, 2 未就业, 3 自主创业, 4 灵活就业, 5 务农, 9 其他"
    )
    AAE006: str | None = Field(None, description="工作地点")
    AAE005: str | None = Field(None, description="手机号码, 11 digits")
    HCZT: str | None = Field(None, description="核查状态: 0 未核查, 1 已核查, 2 核查异常")
    AAE036: str = Field(description="更新时间, YYYY-MM-DD HH:MM:SS, Asia/Shanghai")


class Cursor(BaseModel):
    """Where the next page starts: pass both values back as query parameters."""

    updated_since: str = Field(description="AAE036 of the last record of this page")
    after_key: str = Field(description="AAC002 of the last record of this page")


class PersonsPage(BaseModel):
    """A page of persons ordered by (AAE036, AAC002)."""

    items: list[Person]
    has_more: bool = Field(description="Whether records follow this page now")
    total: int = Field(
        description="How many records list from this request's cursor on, this page's included"
    )
    next: Cursor | None = Field(
        description=(
            "The cursor after this page's last record; null for an empty page. Keep it even "
            "when has_more is false: it is where the next incremental read starts."
        )
    )


class VerificationItem(BaseModel):
    """One verification result of the bureau."""

    idempotencyKey: str = Field(description="Unique per result; a resend is answered the same")
    AAC002: str = Field(description="公民身份号码 of the person checked")
    HCZT: Literal["0", "1", "2"] = Field(description="核查状态")
    AAC008: Literal["1", "2", "3", "4", "5", "9"] = Field(description="就业状态")
    AAE006: str = Field(max_length=200, description="工作地点")
    HCSJ: str = Field(description="核查时间, YYYY-MM-DD HH:MM:SS")
    HCR: str = Field(min_length=1, max_length=50, description="核查人")


class VerificationBatch(BaseModel):
    """Up to 500 results; each is answered on its own."""

    items: list[VerificationItem] = Field(max_length=MAX_ITEMS)


class VerificationAnswer(BaseModel):
    """Accepted with a receipt number, or rejected with a code and a reason."""

    idempotencyKey: str | None
    status: Literal["accepted", "rejected"]
    receiptNo: str | None = Field(None, description="When accepted: HC and twelve digits")
    code: Literal["E_UNKNOWN_PERSON", "E_INVALID_FIELD"] | None = Field(
        None, description="When rejected"
    )
    reason: str | None = Field(None, description="When rejected: the field and the rule")


class VerificationAnswers(BaseModel):
    """One answer per item sent (or per known key asked about)."""

    results: list[VerificationAnswer]


class AdvanceRequest(BaseModel):
    """Move simulated time on: change a share of the persons."""

    model_config = ConfigDict(extra="forbid")

    fraction: float = Field(ge=0.0, le=1.0, description="Share of persons to change")
    seed: int | None = Field(None, description="Which persons; default: the next in sequence")


class AdvanceResult(BaseModel):
    changed: int


class PersonsRange(BaseModel):
    """A page of the persons of a key range, in AAC002 order."""

    items: list[Person]
    has_more: bool = Field(description="Whether more persons of the range follow")
    next: RangeCursor | None = Field(description="Where the next page starts; null when done")


class MutateRequest(BaseModel):
    """Change, delete and add persons behind the gateway's back (a reconciliation test)."""

    model_config = ConfigDict(extra="forbid")

    change: int = Field(0, ge=0, le=100_000, description="Persons to change (new AAE036)")
    delete: int = Field(0, ge=0, le=100_000, description="Persons to remove")
    add: int = Field(0, ge=0, le=100_000, description="Persons to add (new AAE036)")
    seed: int = Field(0, description="Which persons")


class MutateResult(BaseModel):
    """The ID numbers of the persons changed, deleted and added."""

    changed: list[str]
    deleted: list[str]
    added: list[str]


class ForgetRequest(BaseModel):
    """Lose accepted verifications behind the gateway's back (a reconciliation test)."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=0, le=100_000, description="Accepted verifications to lose")
    seed: int = Field(0, description="Which ones")


class ForgetResult(BaseModel):
    forgotten: list[str] = Field(description="Their idempotency keys")
