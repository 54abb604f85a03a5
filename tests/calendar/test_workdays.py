"""Working-day deadlines on the Chinese calendar: holidays, make-up working days, office hours."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import holidays
import pytest

from gateway.clock import SHANGHAI
from gateway.errors import ConfigError
from gateway.workdays import DEFAULT_CALENDAR, WorkCalendar, parse_days

HALF_DAY = "0.5"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def test_holidays_package_knows_the_make_up_working_days() -> None:
    """The installed holidays package lists 2022's worked weekend days (调休), not just days off."""
    china = holidays.country_holidays("CN", years=2022)
    assert {date(2022, 10, 8), date(2022, 10, 9)} <= china.weekend_workdays
    assert date(2022, 10, 7) in china


def test_national_day_week_and_its_make_up_weekend() -> None:
    """10-01..10-07 are off; Saturday 10-08 and Sunday 10-09 are worked; 10-15 is a weekend."""
    off = [date(2022, 10, d) for d in range(1, 8)]
    assert not any(DEFAULT_CALENDAR.is_working_day(d) for d in off)
    assert DEFAULT_CALENDAR.is_working_day(date(2022, 10, 8))
    assert DEFAULT_CALENDAR.is_working_day(date(2022, 10, 9))
    assert not DEFAULT_CALENDAR.is_working_day(date(2022, 10, 15))
    assert DEFAULT_CALENDAR.next_working_day(date(2022, 9, 30)) == date(2022, 10, 8)


def test_late_friday_before_national_day_is_due_on_the_first_working_day_after() -> None:
    """16:30 on Fri 2022-09-30: 30 minutes that day, 3 hours on Sat 10-08, due at its noon."""
    due = DEFAULT_CALENDAR.due(at(2022, 9, 30, 16, 30), HALF_DAY)
    assert due == at(2022, 10, 8, 12, 0)


def test_make_up_saturday_morning_is_due_the_same_day() -> None:
    """10:00 on the make-up Saturday 2022-10-08: 2 hours before noon, 1.5 after, due 14:30."""
    assert DEFAULT_CALENDAR.due(at(2022, 10, 8, 10, 0), HALF_DAY) == at(2022, 10, 8, 14, 30)


def test_make_up_saturday_afternoon_runs_into_the_make_up_sunday() -> None:
    """15:00 on Sat 10-08: 2 hours that day, 1.5 on the make-up Sunday 10-09: due 10:30."""
    assert DEFAULT_CALENDAR.due(at(2022, 10, 8, 15, 0), HALF_DAY) == at(2022, 10, 9, 10, 30)


def test_received_during_the_holiday_starts_at_the_next_opening() -> None:
    """A case filed online on 10-03 starts counting at 09:00 on 10-08."""
    assert DEFAULT_CALENDAR.due(at(2022, 10, 3, 10, 0), HALF_DAY) == at(2022, 10, 8, 13, 30)


def test_lunch_break_and_closing_time_do_not_count() -> None:
    """11:00 + 3.5 h: one hour before lunch, 2.5 after; ending at 17:00 stays at 17:00."""
    assert DEFAULT_CALENDAR.due(at(2022, 3, 1, 11, 0), HALF_DAY) == at(2022, 3, 1, 15, 30)
    assert DEFAULT_CALENDAR.due(at(2022, 3, 1, 13, 30), HALF_DAY) == at(2022, 3, 1, 17, 0)


def test_whole_days_count_from_the_day_after_receipt_to_its_close() -> None:
    """15 working days from 2022-09-30: the holiday skipped, the make-up days counted."""
    assert DEFAULT_CALENDAR.due(at(2022, 9, 30, 10, 0), "15") == at(2022, 10, 26, 17, 0)
    assert DEFAULT_CALENDAR.due(at(2022, 9, 30, 10, 0), 1) == at(2022, 10, 8, 17, 0)


def test_spring_festival_make_up_days_2022() -> None:
    """Sat 01-29 and Sun 01-30 were worked; 01-31..02-06 were off."""
    assert DEFAULT_CALENDAR.due(at(2022, 1, 28, 16, 0), HALF_DAY) == at(2022, 1, 29, 11, 30)
    assert DEFAULT_CALENDAR.next_working_day(date(2022, 1, 30)) == date(2022, 2, 7)


def test_working_seconds_between_skips_nights_holidays_and_lunch() -> None:
    """From Fri 16:30 before National Day to noon on the make-up Saturday: 3.5 working hours."""
    seconds = DEFAULT_CALENDAR.working_seconds_between(at(2022, 9, 30, 16, 30), at(2022, 10, 8, 12))
    assert seconds == int(3.5 * 3600)
    assert DEFAULT_CALENDAR.working_seconds_between(at(2022, 10, 8, 12), at(2022, 9, 30)) == 0


def test_due_and_working_time_agree() -> None:
    """For any receipt time, the office time from receipt to the due time is the whole limit."""
    start = at(2022, 9, 20, 7, 13)
    for step in range(0, 24 * 30, 7):
        received = start + timedelta(hours=step)
        due = DEFAULT_CALENDAR.due(received, HALF_DAY)
        assert DEFAULT_CALENDAR.working_seconds_between(received, due) == 3.5 * 3600


def test_office_hours_are_configurable() -> None:
    """With 08:30-12:00 and 14:30-18:00 a working day is 7 h: half a day from 11:00 ends 17:00."""
    calendar = WorkCalendar.from_settings(["08:30-12:00", "14:30-18:00"])
    assert calendar.seconds_per_day == 7 * 3600
    assert calendar.due(at(2022, 3, 1, 11, 0), HALF_DAY) == at(2022, 3, 1, 17, 0)
    assert calendar.due(at(2022, 3, 1, 8, 0), HALF_DAY) == at(2022, 3, 1, 12, 0)


def test_extra_days_override_the_package() -> None:
    """A notice the package does not know yet: an extra holiday and an extra worked Saturday."""
    calendar = WorkCalendar.from_settings(
        extra_holidays=[date(2022, 3, 1)], extra_workdays=[date(2022, 3, 5)]
    )
    assert not calendar.is_working_day(date(2022, 3, 1))
    assert calendar.is_working_day(date(2022, 3, 5))
    assert calendar.due(at(2022, 2, 28, 16, 0), HALF_DAY) == at(2022, 3, 2, 11, 30)


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (["9:00-12:00"], "HH:MM-HH:MM"),
        (["12:00-09:00"], "end after it starts"),
        (["09:00-12:00", "11:00-17:00"], "overlap"),
        ([], "at least one period"),
    ],
)
def test_bad_office_hours_are_configuration_errors(hours: list[str], message: str) -> None:
    """Malformed, reversed, overlapping or missing periods are refused with a clear message."""
    with pytest.raises(ConfigError, match=message):
        WorkCalendar.from_settings(hours)


@pytest.mark.parametrize("value", ["-1", "half", "NaN"])
def test_bad_time_limits_are_refused(value: str) -> None:
    """A time limit must be a finite, non-negative number of working days."""
    with pytest.raises(ConfigError):
        parse_days(value)


def test_naive_times_are_refused() -> None:
    """A time without a zone could be read in the wrong one; the calendar does not guess."""
    with pytest.raises(ValueError, match="aware"):
        DEFAULT_CALENDAR.due(datetime(2022, 3, 1, 9), HALF_DAY)
