"""Every day of 2022-2026 against the State Council's holiday notices (tests/holiday_notices.py)."""

from __future__ import annotations

import holidays
import pytest

from gateway.workdays import DEFAULT_CALENDAR
from tests.helpers.holiday_notices import NOTICES, expected_working_days

YEARS = sorted(NOTICES)


@pytest.mark.parametrize("year", YEARS)
def test_every_day_of_the_year_is_a_working_day_exactly_as_the_notice_says(year: int) -> None:
    """Days off, weekends and make-up working days: all 365/366 days agree with the notice."""
    expected = expected_working_days(year)
    wrong = [d for d, working in expected.items() if DEFAULT_CALENDAR.is_working_day(d) != working]
    assert wrong == []
    assert len(expected) in (365, 366)


@pytest.mark.parametrize("year", YEARS)
def test_the_years_of_the_notices_are_definite(year: int) -> None:
    """The pinned holidays package carries each notice, so no deadline there is provisional."""
    days = DEFAULT_CALENDAR.book.year(year)
    assert days.known
    assert days.source == "holidays package"
    assert days.detail == f"holidays {holidays.__version__}"


def test_the_notices_themselves_are_consistent() -> None:
    """Sanity of the hand-written data: make-up days are weekend days and never days off."""
    for year in YEARS:
        expected = expected_working_days(year)
        worked = [d for d, w in expected.items() if w and d.weekday() >= 5]
        assert worked, year
        assert sum(expected.values()) in range(246, 252), year
