"""Validators: checks on a typed value. A failure rejects the record; warnings only annotate it.

A validator function returns ``None`` (fine) or a tuple of ``(rule, detail)`` warnings, and
raises :class:`FieldReject` to refuse the value. Each declares the types it applies to, so a
mapping that puts ``uscc`` on a date field is refused when it loads, not when it runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.codes import regions
from gateway.codes.idnumber import EXCEL_NUMBER, IdNumberError, id_validator
from gateway.codes.phone import is_landline, is_mobile, is_phone
from gateway.codes.uscc import UsccError, validate_uscc
from gateway.mapping.steps import FieldReject, Op, Param

Warning_ = tuple[str, str]
Check = Callable[[Any], tuple[Warning_, ...] | None]
TEXT = frozenset({"str", "list"})
ORDERED = frozenset({"int", "decimal", "date", "datetime", "str"})

_ID_WARNINGS = {
    "region_not_in_force": "region code was not in force in the birth year (GB/T 2260)",
    "region_abolished": "region code has been abolished since (GB/T 2260)",
    "region_unknown": "region code is not in the GB/T 2260 table, its province is",
}


@dataclass(frozen=True)
class Context:
    """What a validator factory may know about its field: the type and how to parse a literal."""

    type_name: str
    parse_literal: Callable[[Any], Any]
    zone: ZoneInfo


@dataclass(frozen=True)
class ValidatorOp(Op):
    types: frozenset[str] = TEXT


# Excel turns an ID number typed as a number into 5.22601E+17, or its first 15 digits and
# zeros once it is saved again.
EXCEL_ADVICE = (
    "Excel turned this ID number into a number and dropped digits; format the column as "
    "Text before typing or pasting, or export from the source system again as text"
)


def _resident_id(_ctx: Context) -> Check:
    validate = id_validator()

    def check(value: str) -> tuple[Warning_, ...] | None:
        if EXCEL_NUMBER.fullmatch(value):
            raise FieldReject("resident_id", f"excel_number: {EXCEL_ADVICE}")
        try:
            found = validate(value)
        except IdNumberError as exc:
            if exc.reason == "check_digit" and value.endswith("000"):
                detail = f"{exc.detail}; if the file passed through Excel: {EXCEL_ADVICE}"
                raise FieldReject("resident_id", f"{exc.reason}: {detail}") from None
            raise FieldReject("resident_id", f"{exc.reason}: {exc.detail}") from None
        if not found:
            return None
        return tuple(("resident_id", f"{w}: {_ID_WARNINGS[w]}") for w in found)

    return check


def _uscc(_ctx: Context) -> Check:
    def check(value: str) -> None:
        try:
            validate_uscc(value)
        except UsccError as exc:
            raise FieldReject("uscc", f"{exc.reason}: {exc.detail}") from None

    return check


def _predicate(name: str, test: Callable[[str], bool], detail: str) -> Callable[[Context], Check]:
    def build(_ctx: Context) -> Check:
        def check(value: str) -> None:
            if not test(value):
                raise FieldReject(name, detail)

        return check

    return build


def _region(_ctx: Context) -> Check:
    current = regions.current_codes()

    def check(value: str) -> tuple[Warning_, ...] | None:
        if value in current:
            return None
        status = regions.region_status(value)
        if status == "ok":
            return None
        if status == "unknown":
            raise FieldReject("region", "not a GB/T 2260 region code")
        return (("region", "region code has been abolished (GB/T 2260)"),)

    return check


def _regex(_ctx: Context, pattern: re.Pattern[str]) -> Check:
    def check(value: str) -> None:
        if pattern.fullmatch(value) is None:
            raise FieldReject("regex", f"does not match {pattern.pattern}")

    return check


def _length(_ctx: Context, exact: int | None, low: int | None, high: int | None) -> Check:
    if exact is not None:
        low = high = exact
    if low is None and high is None:
        raise ValueError("length needs a length, min or max")
    lo, hi = low or 0, high if high is not None else 1 << 62
    shown = f"{lo}" if lo == hi else f"{lo}..{high if high is not None else ''}"

    def check(value: str) -> None:
        if not lo <= len(value) <= hi:
            raise FieldReject("length", f"length must be {shown}")

    return check


def _range(ctx: Context, low: Any, high: Any) -> Check:
    lo = None if low is None else ctx.parse_literal(low)
    hi = None if high is None else ctx.parse_literal(high)
    if lo is None and hi is None:
        raise ValueError("range needs min or max")
    shown = f"{'' if lo is None else low}..{'' if hi is None else high}"

    def check(value: Any) -> None:
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise FieldReject("range", f"must be within {shown}")

    return check


def _not_future(ctx: Context) -> Check:
    zone = ctx.zone

    def check(value: date) -> None:
        # Datetimes are wall-clock times in the mapping's zone inside a compiled mapping.
        now = datetime.now(zone).replace(tzinfo=None) if isinstance(value, datetime) else None
        if value > (now or date.today()):
            raise FieldReject("not_future", "lies in the future")

    return check


VALIDATORS: dict[str, ValidatorOp] = {
    op.name: op
    for op in (
        ValidatorOp("resident_id", (), _resident_id, "GB 11643 ID number, strict check digit"),
        ValidatorOp("uscc", (), _uscc, "GB 32100 unified social credit code"),
        ValidatorOp(
            "mobile",
            (),
            _predicate("mobile", is_mobile, "not an 11-digit mobile number"),
            "mainland mobile, 1[3-9] and 9 digits",
        ),
        ValidatorOp(
            "landline",
            (),
            _predicate("landline", is_landline, "not a landline with area code"),
            "landline with area code",
        ),
        ValidatorOp(
            "phone",
            (),
            _predicate("phone", is_phone, "not a mobile or landline number"),
            "mobile or landline",
        ),
        ValidatorOp("region", (), _region, "GB/T 2260 region code (abolished → warning)"),
        ValidatorOp("regex", (Param("pattern", "regex"),), _regex, "the whole value matches"),
        ValidatorOp(
            "length",
            (
                Param("exact", "int", required=False),
                Param("min", "int", required=False),
                Param("max", "int", required=False),
            ),
            _length,
            "number of characters: exact, or min/max",
        ),
        ValidatorOp(
            "range",
            (Param("min", "value", required=False), Param("max", "value", required=False)),
            _range,
            "min ≤ value ≤ max, in the field's type",
            types=ORDERED,
        ),
        ValidatorOp(
            "not_future",
            (),
            _not_future,
            "a date or time not after now",
            types=frozenset({"date", "datetime"}),
        ),
    )
}
