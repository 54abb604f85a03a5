"""Resident ID numbers (公民身份号码) per GB 11643-1999, written for the hot path.

Layout: 6-digit region code, 8-digit birth date, 3-digit sequence (odd for men), check
character (ISO 7064 MOD 11-2). The weighted sum ``Σ dᵢ·2^(18-i) mod 11`` equals
``2·int(first17, 13) mod 11`` because 13 ≡ 2 (mod 11): one C-level ``int()`` call replaces the
loop (python-stdnum uses the same identity). The test suite proves the result equal to
python-stdnum's for arbitrary input.

Where we deliberately differ from ``stdnum.cn.ric``:
- residence permits for Hong Kong, Macao and Taiwan residents (810000, 820000, 830000) are valid;
- a region code that was not in force in the birth year, or has been abolished since, is a
  *warning*; so are an unknown code within a known province, a province- or prefecture-level
  code (numbers are issued under county codes), Taiwan's province code 710000 (Taiwan
  residents' permits use 830000) and a birth year before 1900; only an unknown province is an
  error;
- a birth date in the future is an error (stdnum accepts it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache

from gateway.codes.regions import (
    RESIDENCE_PERMIT_REGIONS,
    province_exists,
    region_level,
    region_status,
)

_CHECK = "10X98765432"
_NO_WARNINGS: tuple[str, ...] = ()
# What the holder's region and birth year can tell; the first is no problem, only a fact.
REGION_WARNINGS = {
    "created_after": "region_created_after_birth",
    "abolished_before": "region_abolished_before_birth",
    "abolished": "region_abolished",
}
INFORMATIONAL = frozenset({"region_created_after_birth"})
_OLDEST_YEAR = 1900
# Birth dates are looked up in a set of every valid date from here to the day the set was built;
# anything else takes the slow path, which also covers a process that runs past midnight.
_FIRST_CACHED_YEAR = 1900
_MEMO_LIMIT = 100_000


class IdNumberError(ValueError):
    """Why a string is not a valid resident ID number; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def id_check_char(first17: str) -> str:
    """The check character (``0``-``9`` or ``X``) for the first 17 digits of an ID number."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("expected 17 ASCII digits")
    return _CHECK[(2 * int(first17, 13)) % 11]


@cache
def _valid_birth_dates() -> frozenset[str]:
    first, last = date(_FIRST_CACHED_YEAR, 1, 1).toordinal(), date.today().toordinal()
    # isoformat, not strftime: a third of the time for the 45,000 days every process builds.
    return frozenset(
        date.fromordinal(day).isoformat().replace("-", "") for day in range(first, last + 1)
    )


def _check_birth_date(text: str) -> None:
    try:
        born = date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise IdNumberError("birth_date", "birth date is not a real date") from None
    if born > date.today():
        raise IdNumberError("birth_date", "birth date is in the future")


def id_validator() -> Callable[[str], tuple[str, ...]]:
    """A validating function with its tables bound, for the hot path of a compiled mapping.

    It raises :class:`IdNumberError` for a wrong length or character, a wrong check
    character, a birth date that is not a real day or lies in the future, or an unknown
    province, and answers the warning codes (usually none): ``region_created_after_birth``
    (informational), ``region_abolished_before_birth``, ``region_abolished``,
    ``region_unknown``, ``region_not_county``, ``region_taiwan``, ``birth_before_1900``.
    """
    births = _valid_birth_dates()
    # Warnings depend only on the region and the birth year: the first 10 characters.
    known: dict[str, tuple[str, ...]] = {}
    check_chars = _CHECK

    def validate(value: str) -> tuple[str, ...]:
        if len(value) != 18 or not value.isascii():
            raise IdNumberError("format", "must be 18 characters: 17 digits and a digit or X")
        first17 = value[:17]
        if not first17.isdigit() or value[17] not in "0123456789X":
            raise IdNumberError("format", "must be 17 digits and a digit or X")
        if check_chars[(2 * int(first17, 13)) % 11] != value[17]:
            raise IdNumberError("check_digit", "check character does not match (GB 11643)")
        if value[6:14] not in births:
            _check_birth_date(value[6:14])
        head = value[:10]
        found = known.get(head)
        if found is None:
            found = _region_warnings(value[:6], int(value[6:10]))
            if len(known) >= _MEMO_LIMIT:
                known.clear()
            known[head] = found
        return found

    return validate


def validate_id_number(value: str) -> tuple[str, ...]:
    """Check ``value`` strictly; answer the warning codes (see :func:`id_validator`)."""
    return _default_validator()(value)


@cache
def _default_validator() -> Callable[[str], tuple[str, ...]]:
    return id_validator()


def _region_warnings(region: str, year: int) -> tuple[str, ...]:
    if region in RESIDENCE_PERMIT_REGIONS:
        return _NO_WARNINGS
    found: tuple[str, ...] = ("birth_before_1900",) if year < _OLDEST_YEAR else ()
    if region.startswith("71"):
        return (*found, "region_taiwan")
    status = region_status(region, year)
    if status == "unknown":
        if not province_exists(region):
            raise IdNumberError("region", "region code names no province (GB/T 2260)")
        found += ("region_unknown",)
    elif status != "ok":
        found += (REGION_WARNINGS[status],)
    if region_level(region) != "county":
        found += ("region_not_county",)
    return found or _NO_WARNINGS


def is_valid_id_number(value: str) -> bool:
    """Whether :func:`validate_id_number` accepts ``value`` (warnings do not matter)."""
    try:
        validate_id_number(value)
    except IdNumberError:
        return False
    return True


# Spaces, dashes and dots people type inside numbers, and the full-width forms spreadsheets keep.
_ID_NOISE = str.maketrans(
    {" ": None, "\t": None, "\u00a0": None, "\u3000": None, "-": None, "–": None, ".": None}
    | {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}
    | {"x": "X", "ｘ": "X", "Ｘ": "X"}
)


# What Excel makes of an ID number typed or pasted as a number (5.22601E+17): kept as it is, so
# the validator can say what happened instead of reading "522601E+17".
EXCEL_NUMBER = re.compile(r"\d(?:\.\d+)?[eE]\+?\d+")


def normalize_id_number(value: str) -> str:
    """An ID number as written to its canonical characters: no spaces, dashes or dots inside,
    full-width digits as ASCII, the check character ``X`` upper-case. Nothing else changes."""
    if EXCEL_NUMBER.fullmatch(value):
        return value
    if value.isascii() and value.isalnum() and "x" not in value:
        return value  # already canonical: the common case, without building a new string
    return value.translate(_ID_NOISE)


def upgrade_id15(value: str) -> str:
    """A 15-digit first-generation number (region, ``YYMMDD`` born 19YY, sequence) as its
    18-character form by GB 11643: ``19`` inserted before the year, the check character added.
    Anything else comes back unchanged."""
    if len(value) != 15 or not (value.isascii() and value.isdigit()):
        return value
    first17 = value[:6] + "19" + value[6:]
    return first17 + id_check_char(first17)


def id_birth_date(value: str) -> date:
    """The birth date written in a (valid) ID number."""
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def id_gender(value: str) -> str:
    """The GB/T 2261.1 gender code of a (valid) ID number: ``1`` odd sequence, ``2`` even."""
    return "1" if int(value[16]) % 2 else "2"


def id_region(value: str) -> str:
    """The region code an ID number was issued under."""
    return value[:6]
