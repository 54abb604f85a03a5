"""GB/T 2260 administrative division codes, with the years each code was in force.

People keep ID numbers issued under codes that were later abolished, and registration offices
issued numbers under codes that came into force after the holder's birth. Both are facts of
life, so :func:`region_status` tells them apart for the caller to *warn*, never to reject: a
code created after the birth is the ordinary case (the person registered later), one abolished
before the birth is suspicious (no office could have issued it then).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import pairwise
from typing import Literal

from gateway.codes.tables import CodeTable, make_table, read_data_file

RegionStatus = Literal["ok", "created_after", "abolished_before", "abolished", "unknown"]
RegionLevel = Literal["province", "prefecture", "county"]

# Hong Kong, Macao and Taiwan residents' residence permits (GB 11643 numbers since 2018).
RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})


@dataclass(frozen=True)
class RegionPeriod:
    """One name of one code and the years (inclusive) it was in force; ``None`` is open."""

    name: str
    valid_from: int | None
    valid_to: int | None

    def covers(self, year: int) -> bool:
        return (self.valid_from is None or year >= self.valid_from) and (
            self.valid_to is None or year <= self.valid_to
        )


@dataclass(frozen=True)
class _Data:
    periods: dict[str, tuple[RegionPeriod, ...]]
    # Codes in force from the first list until today under any name: the common fast path.
    stable: frozenset[str]
    meta: dict[str, str]


def _year(text: str) -> int | None:
    return int(text) if text else None


@cache
def _data() -> _Data:
    meta, rows = read_data_file("regions.csv")
    periods: dict[str, list[RegionPeriod]] = {}
    for row in rows:
        period = RegionPeriod(row["name"], _year(row["valid_from"]), _year(row["valid_to"]))
        periods.setdefault(row["code"], []).append(period)
    frozen = {code: tuple(found) for code, found in periods.items()}
    stable = frozenset(
        code
        for code, found in frozen.items()
        if found[0].valid_from is None
        and found[-1].valid_to is None
        and all(a.valid_to is not None and b.valid_from == a.valid_to + 1 for a, b in _pairs(found))
    )
    return _Data(frozen, stable, meta)


def region_periods() -> Mapping[str, tuple[RegionPeriod, ...]]:
    """Every code of the shipped table with its names and the years each was in force."""
    return _data().periods


def _pairs(found: tuple[RegionPeriod, ...]) -> list[tuple[RegionPeriod, RegionPeriod]]:
    return list(pairwise(found))


def current_codes() -> frozenset[str]:
    """Codes in force today (never abolished): the fast path of the region validator."""
    return _current()


@cache
def _current() -> frozenset[str]:
    return frozenset(code for code, found in _data().periods.items() if found[-1].valid_to is None)


def region_level(code: str) -> RegionLevel:
    """Province (``520000``), prefecture (``522600``) or county (``522601``), by its shape."""
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "prefecture"
    return "county"


def region_exists(code: str) -> bool:
    """Whether ``code`` is a GB/T 2260 code at any time (abolished codes included)."""
    return code in _data().periods


def province_exists(code: str) -> bool:
    """Whether the first two digits of ``code`` name a province-level division."""
    return code[:2] + "0000" in _data().periods


def region_status(code: str, year: int | None = None) -> RegionStatus:
    """``ok``; not a code in ``year`` because it was ``created_after`` it (in force later) or
    ``abolished_before`` it (only ever in force earlier); ``abolished`` (in force in ``year``
    but abolished since); or ``unknown`` (never a code)."""
    data = _data()
    found = data.periods.get(code)
    if found is None:
        return "unknown"
    if code in data.stable:
        return "ok"
    if year is not None and not any(p.covers(year) for p in found):
        # A code in force again after a gap counts as created after: people register later.
        later = any(p.valid_from is not None and p.valid_from > year for p in found)
        return "created_after" if later else "abolished_before"
    return "abolished" if found[-1].valid_to is not None else "ok"


def region_name(code: str, year: int | None = None) -> str | None:
    """The code's name in ``year`` (its latest name when ``year`` is ``None``)."""
    found = _data().periods.get(code)
    if not found:
        return None
    if year is not None:
        for period in found:
            if period.covers(year):
                return period.name
    return found[-1].name


def region_codes(
    prefix: str = "", *, level: RegionLevel | None = None, year: int | None = None
) -> tuple[str, ...]:
    """Codes starting with ``prefix``, of one ``level`` if given, in force in ``year`` (this
    year when ``None``). Simulators draw real codes from here: a code in force in the birth
    year and still in force today gives an ID number that raises no warning."""
    when = date.today().year if year is None else year
    return tuple(
        code
        for code, found in _data().periods.items()
        if code.startswith(prefix)
        and (level is None or region_level(code) == level)
        and any(p.covers(when) for p in found)
    )


@cache
def region_table() -> CodeTable:
    """Every code ever in force, labelled with its latest name, as the code table ``region``."""
    data = _data()
    labels = {code: found[-1].name for code, found in data.periods.items()}
    return make_table(
        "region",
        labels,
        title=data.meta.get("title", "region"),
        source=data.meta.get("source", ""),
        version=data.meta.get("version", ""),
    )
