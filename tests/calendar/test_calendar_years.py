"""Each year's source of days off; deadlines in a year without one are provisional or refused."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from gateway.calendar_years import (
    CalendarRefused,
    HolidayBook,
    calendar_warnings,
    holiday_book,
    read_years,
)
from gateway.clock import SHANGHAI
from gateway.config import parse_config
from gateway.errors import ConfigError
from gateway.workdays import DEFAULT_CALENDAR, WorkCalendar
from tests.helpers.holiday_notices import YEAR_2027

HALF_DAY = "0.5"
RECEIVED = datetime(2027, 2, 4, 16, 30, tzinfo=SHANGHAI)


def calendar_with(config: dict[str, object]) -> WorkCalendar:
    book = holiday_book(parse_config({"calendar": config}, "gateway.yaml", Path(".")))
    return WorkCalendar.from_settings(book=book)


def test_2027_is_counted_on_the_statutory_days_alone_and_flagged() -> None:
    """No Western 'observed' days (02-09, 02-10): 30 min on 02-04, 3 h on Tue 02-09, due noon."""
    deadline = DEFAULT_CALENDAR.deadline(RECEIVED, HALF_DAY)
    assert deadline.at == datetime(2027, 2, 9, 12, 0, tzinfo=SHANGHAI)
    assert (deadline.provisional, deadline.unknown_years) == (True, (2027,))
    days = DEFAULT_CALENDAR.book.year(2027)
    assert days.source == "none"
    assert {date(2027, 5, 3), date(2027, 10, 4)}.isdisjoint(days.days_off)
    assert days.workdays == frozenset()


def test_a_deadline_crossing_into_an_unknown_year_is_provisional() -> None:
    """Received in a known year, due in the next, unknown one: provisional all the same."""
    late_december = datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI)
    assert DEFAULT_CALENDAR.deadline(late_december, "15").provisional
    assert not DEFAULT_CALENDAR.deadline(late_december, "1").provisional


def test_refuse_policy_raises_a_configuration_error() -> None:
    """``unknown_years: refuse`` refuses to compute a deadline in 2027, naming the year."""
    calendar = calendar_with({"unknown_years": "refuse"})
    with pytest.raises(CalendarRefused, match="year=2027") as caught:
        calendar.deadline(RECEIVED, HALF_DAY)
    assert caught.value.exit_code == 2
    with pytest.raises(CalendarRefused):
        calendar.working_day_deadline(date(2026, 12, 20), 20)


def test_the_year_in_the_configuration_makes_the_deadline_definite() -> None:
    """With 2027 configured: 02-05..02-12 off, Sat 02-13 a weekend: due noon on make-up 02-14."""
    calendar = calendar_with({"years": {2027: YEAR_2027}})
    deadline = calendar.deadline(RECEIVED, HALF_DAY)
    assert deadline == type(deadline)(datetime(2027, 2, 14, 12, 0, tzinfo=SHANGHAI), False)
    assert calendar.book.year(2027).source == "config"
    assert calendar.is_working_day(date(2027, 2, 14))
    assert not calendar.is_working_day(date(2027, 2, 13))


def test_a_shipped_data_file_is_a_source(tmp_path: Path) -> None:
    """A year in the data file counts as known; the configuration still wins over it."""
    data = tmp_path / "notices.yaml"
    data.write_text(
        "years:\n  2027:\n    holidays: ['2027-02-05..2027-02-11']\n    workdays: [2027-02-20]\n",
        encoding="utf-8",
    )
    book = HolidayBook(data_file=data)
    assert (book.year(2027).source, book.year(2027).detail) == ("data file", "notices.yaml")
    assert date(2027, 2, 20) in book.year(2027).workdays
    assert book.year(2026).source == "holidays package"
    configured = calendar_with({"years": {2027: YEAR_2027}}).book.configured
    assert HolidayBook(configured, data).year(2027).source == "config"


def test_the_shipped_data_file_reads() -> None:
    """The file the release ships parses (and holds no year the package already has wrong)."""
    assert all(year > 2026 for year in read_years(HolidayBook().data_file))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"holidays": ["2026-02-05"]}, "not in 2027"),
        ({"holidays": ["2027-02-05..2027-02-01"]}, "ends before it starts"),
        ({"holidays": ["Feb 5"]}, "not a date or a range"),
        ({"holidays": [], "workdays": ["2027-02-10"]}, "not a Saturday or Sunday"),
        ({"holidays": ["2027-02-14"], "workdays": ["2027-02-14"]}, "both a holiday and a workday"),
    ],
)
def test_bad_years_in_the_configuration_are_refused(entry: dict[str, object], message: str) -> None:
    """A typo in a configured year fails when the file loads, naming the year and the day."""
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config({"calendar": {"years": {2027: entry}}}, "gateway.yaml", Path("."))
    assert "calendar" in str(caught.value)


def test_warnings_start_on_the_first_of_november_of_the_year_before() -> None:
    """31 October 2026: nothing to say; 1 November: 2027 has no notice; configured: silent."""
    assert calendar_warnings(DEFAULT_CALENDAR.book, date(2026, 10, 31)) == []
    (warning,) = calendar_warnings(DEFAULT_CALENDAR.book, date(2026, 11, 1))
    assert "2027" in warning
    assert "provisional" in warning
    refusing = calendar_with({"unknown_years": "refuse"}).book
    assert "refused" in calendar_warnings(refusing, date(2026, 12, 2))[0]
    known = calendar_with({"years": {2027: YEAR_2027}}).book
    assert calendar_warnings(known, date(2026, 12, 2)) == []
    assert len(calendar_warnings(DEFAULT_CALENDAR.book, date(2027, 11, 2))) == 2
