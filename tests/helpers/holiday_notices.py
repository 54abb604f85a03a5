"""The State Council General Office's holiday notices for 2022-2026, written out by hand.

Each year: the days off (放假) as inclusive ranges, and the weekend days worked instead (调休上班).
Kept apart from the ``holidays`` package so the calendar is checked against the notices, not
against itself. Sources: 国办发明电〔2021〕11号 (2022), 〔2022〕16号 (2023), 〔2023〕7号 (2024),
〔2024〕12号 (2025), 〔2025〕7号 (2026).
"""

from __future__ import annotations

from datetime import date, timedelta

Range = tuple[tuple[int, int], tuple[int, int]]

NOTICES: dict[int, tuple[tuple[Range, ...], tuple[tuple[int, int], ...]]] = {
    2022: (
        (
            ((1, 1), (1, 3)),  # 元旦
            ((1, 31), (2, 6)),  # 春节
            ((4, 3), (4, 5)),  # 清明节
            ((4, 30), (5, 4)),  # 劳动节
            ((6, 3), (6, 5)),  # 端午节
            ((9, 10), (9, 12)),  # 中秋节
            ((10, 1), (10, 7)),  # 国庆节
        ),
        ((1, 29), (1, 30), (4, 2), (4, 24), (5, 7), (10, 8), (10, 9)),
    ),
    2023: (
        (
            ((1, 1), (1, 2)),  # 元旦 (2022-12-31 to 2023-01-02)
            ((1, 21), (1, 27)),  # 春节
            ((4, 5), (4, 5)),  # 清明节
            ((4, 29), (5, 3)),  # 劳动节
            ((6, 22), (6, 24)),  # 端午节
            ((9, 29), (10, 6)),  # 中秋节、国庆节
        ),
        ((1, 28), (1, 29), (4, 23), (5, 6), (6, 25), (10, 7), (10, 8)),
    ),
    2024: (
        (
            ((1, 1), (1, 1)),  # 元旦
            ((2, 10), (2, 17)),  # 春节
            ((4, 4), (4, 6)),  # 清明节
            ((5, 1), (5, 5)),  # 劳动节
            ((6, 10), (6, 10)),  # 端午节
            ((9, 15), (9, 17)),  # 中秋节
            ((10, 1), (10, 7)),  # 国庆节
        ),
        ((2, 4), (2, 18), (4, 7), (4, 28), (5, 11), (9, 14), (9, 29), (10, 12)),
    ),
    2025: (
        (
            ((1, 1), (1, 1)),  # 元旦
            ((1, 28), (2, 4)),  # 春节
            ((4, 4), (4, 6)),  # 清明节
            ((5, 1), (5, 5)),  # 劳动节
            ((5, 31), (6, 2)),  # 端午节
            ((10, 1), (10, 8)),  # 国庆节、中秋节
        ),
        ((1, 26), (2, 8), (4, 27), (9, 28), (10, 11)),
    ),
    2026: (
        (
            ((1, 1), (1, 3)),  # 元旦
            ((2, 15), (2, 23)),  # 春节
            ((4, 4), (4, 6)),  # 清明节
            ((5, 1), (5, 5)),  # 劳动节
            ((6, 19), (6, 21)),  # 端午节
            ((9, 25), (9, 27)),  # 中秋节
            ((10, 1), (10, 7)),  # 国庆节
        ),
        ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)),
    ),
}


def days_off(year: int) -> frozenset[date]:
    ranges, _ = NOTICES[year]
    found = set()
    for (m1, d1), (m2, d2) in ranges:
        day, last = date(year, m1, d1), date(year, m2, d2)
        while day <= last:
            found.add(day)
            day += timedelta(days=1)
    return frozenset(found)


def make_up_workdays(year: int) -> frozenset[date]:
    return frozenset(date(year, m, d) for m, d in NOTICES[year][1])


def expected_working_days(year: int) -> dict[date, bool]:
    """Every day of ``year``: whether the notice makes it a working day."""
    off, worked = days_off(year), make_up_workdays(year)
    day, result = date(year, 1, 1), {}
    while day.year == year:
        result[day] = day in worked or (day.weekday() < 5 and day not in off)
        day += timedelta(days=1)
    return result


# An invented notice for 2027 (none is published yet): Spring Festival 02-05..02-12 off,
# Sunday 02-14 worked instead.
YEAR_2027 = {"holidays": ["2027-01-01", "2027-02-05..2027-02-12"], "workdays": ["2027-02-14"]}
