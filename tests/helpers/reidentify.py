"""The re-identification attack: how few ID numbers fit what one view shows of a person (the
masked number, clear dates, years and region codes); shared by the CLI and console tests."""

from __future__ import annotations

import re
from datetime import date, timedelta
from functools import cache

from gateway.codes.idnumber import id_check_char
from gateway.codes.regions import region_table

MIN_CANDIDATES = 20
MASKED_ID = re.compile(r"(?<!\d)(\d{3})\*{8,11}(\d{3}[\dXx])(?![\dXx])")
_DATE = re.compile(r"(?<!\d)(19\d\d|20[0-2]\d)-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
_YEAR = re.compile(r"(?<!\d)(19\d\d|20[0-2]\d)(?!\d)")
_REGION = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_ALL_CODES = tuple(sorted(region_table().codes))  # every code ever in force


def _codes(prefix: str) -> list[str]:
    return [code for code in _ALL_CODES if code.startswith(prefix)]


@cache
def _days(year: int | None) -> frozenset[str]:
    """Every day of ``year`` as YYYYMMDD (of 1930-2010 when ``None``)."""
    if year is None:
        return frozenset().union(*(_days(y) for y in range(1930, 2011)))
    day, found = date(year, 1, 1), set()
    while day.year == year:
        found.add(day.strftime("%Y%m%d"))
        day += timedelta(days=1)
    return frozenset(found)


def _count(days: frozenset[str], regions: list[str], tail: str, stop: int) -> int:
    found = 0
    for day in sorted(days):
        for region in regions:
            if id_check_char(region + day + tail[:3]) == tail[3]:
                found += 1
                if found >= stop:
                    return found
    return found


def candidates(text: str, id_number: str, stop: int = MIN_CANDIDATES) -> int:
    """How few ID numbers the attacker is left with, among guesses that hold the true one.

    Every clear date is tried as the birth date, every year shown as the birth year, every
    clear six-digit code as the region; a guess that leaves out the true number fails.
    Counting stops at ``stop``: past it the number is not rebuilt.
    """
    assert id_number not in text, "ID number in clear"
    assert id_number.lower() not in text, "ID number in clear"
    shown = [m for m in MASKED_ID.finditer(text) if id_number.startswith(m.group(1))]
    shown = [m for m in shown if id_number.upper().endswith(m.group(2).upper())]
    if not shown:
        return stop  # nothing of this number is shown
    head, tail = shown[0].group(1), shown[0].group(2).upper()
    born, region = id_number[6:14], id_number[:6]
    day_guesses = [frozenset([d]) for d in {"".join(m.groups()) for m in _DATE.finditer(text)}]
    day_guesses += [_days(int(y)) for y in set(_YEAR.findall(text))]
    day_guesses.append(_days(None))
    region_guesses = [[r] for r in set(_REGION.findall(text)) if r.startswith(head)]
    region_guesses.append(_codes(head))
    return min(
        (
            _count(days, regions, tail, stop)
            for days in day_guesses
            if born in days
            for regions in region_guesses
            if region in regions
        ),
        default=stop,
    )
