"""Validators: checks on a typed value. A failure rejects the record; warnings only annotate it.

A validator function returns ``None`` (fine) or a tuple of ``(rule, detail, level)`` warnings,
and raises :class:`FieldReject` to refuse the value. Each declares the types it applies to, so
a mapping that puts ``uscc`` on a date field is refused when it loads, not when it runs, and
every warning it can give (``gateway mappings explain`` lists them). A warning's detail starts
with its code (``region_abolished_before_birth: …``); level ``info`` marks a fact that is no
problem.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.codes import regions
from gateway.codes.idnumber import EXCEL_NUMBER, INFORMATIONAL, IdNumberError, id_validator
from gateway.codes.phone import is_landline, is_mobile, is_phone
from gateway.codes.uscc import UsccError, validate_uscc
from gateway.mapping.result import INFO, WARNING
from gateway.mapping.steps import FieldReject, Op, Param

Warning_ = tuple[str, str, str]
Check = Callable[[Any], tuple[Warning_, ...] | None]
TEXT = frozenset({"str", "list"})
ORDERED = frozenset({"int", "decimal", "date", "datetime", "str"})

_ID_WARNINGS = {
    "region_created_after_birth": "region code came into force after the birth year: the "
    "holder registered later (GB/T 2260)",
    "region_abolished_before_birth": "region code was abolished before the birth year: no "
    "office issued numbers under it then (GB/T 2260)",
    "region_abolished": "region code was in force in the birth year and is abolished since",
    "region_unknown": "region code is not in the GB/T 2260 table, its province is",
    "region_not_county": "a province- or prefecture-level code: numbers are issued under "
    "county-level codes",
    "region_taiwan": "710000 is Taiwan's province code; Taiwan residents' permits use 830000",
    "birth_before_1900": "birth year before 1900",
}
_USCC_WARNINGS = {
    "uscc_category": "registration authority and organisation category are not a pair of "
    "GB 32100's table",
    "uscc_org_check": "embedded organisation code (positions 9-17) fails its GB 11714 check",
}
_REGION_WARNINGS = {"region_abolished": "region code has been abolished (GB/T 2260)"}


def _warning(code: str, meanings: dict[str, str]) -> Warning_:
    return (code, meanings[code], INFO if code in INFORMATIONAL else WARNING)


def _described(meanings: dict[str, str]) -> tuple[Warning_, ...]:
    return tuple(_warning(code, meanings) for code in meanings)


@dataclass(frozen=True)
class Context:
    """What a validator factory may know about its field: the type and how to parse a literal."""

    type_name: str
    parse_literal: Callable[[Any], Any]
    zone: ZoneInfo


@dataclass(frozen=True)
class ValidatorOp(Op):
    """A validator: the types it takes and every warning (code, meaning, level) it can give."""

    types: frozenset[str] = TEXT
    warns: tuple[Warning_, ...] = ()


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
        return tuple(id_warning(w) for w in found)

    return check


def _issue(rule: str, code: str, meanings: dict[str, str]) -> Warning_:
    _, meaning, level = _warning(code, meanings)
    return (rule, f"{code}: {meaning}", level)


def id_warning(code: str) -> Warning_:
    """The ``resident_id`` warning ``code`` as the validator gives it (rule, detail, level)."""
    return _issue("resident_id", code, _ID_WARNINGS)


def _uscc(_ctx: Context) -> Check:
    def check(value: str) -> tuple[Warning_, ...] | None:
        try:
            found = validate_uscc(value)
        except UsccError as exc:
            raise FieldReject("uscc", f"{exc.reason}: {exc.detail}") from None
        return tuple(_issue("uscc", w, _USCC_WARNINGS) for w in found) or None

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
        return (_issue("region", "region_abolished", _REGION_WARNINGS),)

    return check


def _regex(_ctx: Context, pattern: re.Pattern[str]) -> Check:
    def check(value: str) -> None:
        if pattern.fullmatch(value) is None:
            raise FieldReject("regex", f"does not match {pattern.pattern}")

    return check


def _length(_ctx: Context, exact: int | None, low: int | None, high: int | None) -> Check:
    if exact is not None and (low is not None or high is not None):
        raise ValueError("give exact, or min and/or max, not both")
    if any(n is not None and n < 0 for n in (exact, low, high)):
        raise ValueError("a length cannot be negative")
    if low is not None and high is not None and low > high:
        raise ValueError(f"min {low} is greater than max {high}")
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
        ValidatorOp(
            "resident_id",
            (),
            _resident_id,
            "GB 11643 ID number, strict check digit",
            warns=_described(_ID_WARNINGS),
        ),
        ValidatorOp(
            "uscc",
            (),
            _uscc,
            "GB 32100 unified social credit code",
            warns=_described(_USCC_WARNINGS),
        ),
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
        ValidatorOp(
            "region",
            (),
            _region,
            "GB/T 2260 region code (abolished → warning)",
            warns=_described(_REGION_WARNINGS),
        ),
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
