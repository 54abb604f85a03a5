"""``first working day of month HH:MM``: the month's first working day on the Chinese calendar
(holidays and make-up working days), as a trigger, a due time, a next run and a config value."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta
from pathlib import Path

import holidays
import pytest

from gateway.calendar_years import holiday_book
from gateway.clock import SHANGHAI
from gateway.config import parse_config
from gateway.errors import ConfigError
from gateway.service.leases import LeaseManager
from gateway.service.metrics import ServiceMetrics
from gateway.service.scheduler import JobScheduler, Progress, RunOutcome
from gateway.service.triggers import FirstWorkingDayTrigger, make_trigger, next_due, previous_fire
from gateway.store import Store
from gateway.workdays import DEFAULT_CALENDAR

SCHEDULE = "first working day of month 09:00"
CHINA = holidays.country_holidays("CN", years=range(2022, 2027))


def never_run(job: str, stop: threading.Event, progress: Progress) -> RunOutcome:
    raise AssertionError("the scheduler is built, never started")


def nine(day: date) -> datetime:
    return datetime.combine(day, time(9), SHANGHAI)


@pytest.mark.parametrize(
    ("year", "month", "first"),
    [
        # 1–7 October off for National Day; Saturday 8 October worked in exchange.
        (2022, 10, date(2022, 10, 8)),
        # 1–3 January off (New Year on a Saturday): Tuesday the 4th.
        (2022, 1, date(2022, 1, 4)),
        # Spring Festival 31 January – 6 February 2022: Monday the 7th.
        (2022, 2, date(2022, 2, 7)),
        (2022, 11, date(2022, 11, 1)),
        # 31 December 2022 – 2 January 2023 off: Tuesday the 3rd.
        (2023, 1, date(2023, 1, 3)),
        # Spring Festival 21–27 January 2023 is over by February: Wednesday the 1st.
        (2023, 2, date(2023, 2, 1)),
        # 29 September – 6 October 2023 off; Saturday 7 October worked.
        (2023, 10, date(2023, 10, 7)),
        # 1–3 January 2026 off; Sunday 4 January worked.
        (2026, 1, date(2026, 1, 4)),
    ],
)
def test_first_working_day_around_holidays(year: int, month: int, first: date) -> None:
    """The notices' days off and make-up days decide, not the weekday alone."""
    assert DEFAULT_CALENDAR.first_working_day(year, month) == first
    assert FirstWorkingDayTrigger(time(9)).fire_time(year, month) == nine(first)


def test_every_month_agrees_with_the_holidays_package() -> None:
    """Sixty months, each first working day recomputed with the holidays package's own test."""
    trigger = make_trigger("notice", SCHEDULE)
    fire = trigger.get_next_fire_time(None, nine(date(2022, 1, 1)) - timedelta(days=1))
    for year in range(2022, 2027):
        for month in range(1, 13):
            day = date(year, month, 1)
            while not CHINA.is_working_day(day):
                day += timedelta(days=1)
            assert fire == nine(day)
            fire = trigger.get_next_fire_time(fire, fire)


def test_due_time_and_next_run() -> None:
    """On 31 October the last due time is 8 October 09:00 and the next is 1 November 09:00;
    at the fire instant the due time is that instant."""
    trigger = make_trigger("notice", SCHEDULE)
    end_of_october = nine(date(2022, 10, 31))
    assert previous_fire(trigger, end_of_october) == nine(date(2022, 10, 8))
    assert previous_fire(trigger, nine(date(2022, 10, 8))) == nine(date(2022, 10, 8))
    assert previous_fire(trigger, nine(date(2022, 10, 8)) - timedelta(seconds=1)) == nine(
        date(2022, 9, 1)
    )
    assert next_due("notice", SCHEDULE, end_of_october) == nine(date(2022, 11, 1))
    # A day before the month's first working day it is due that very day.
    assert next_due("notice", SCHEDULE, nine(date(2022, 10, 7))) == nine(date(2022, 10, 8))


def test_the_configured_holiday_book_is_used(tmp_path: Path, store_url: str) -> None:
    """calendar.years moves the trigger: a year the operator configured, in the scheduler too."""
    data = {
        "calendar": {"years": {2030: {"holidays": ["2030-07-01..2030-07-02"]}}},
        "platforms": {"inbox": {"adapter": "files", "options": {"inbox": "in"}}},
        "jobs": {
            "notice": {
                "source": "inbox.rows",
                "target": "store",
                "mapping": "files/items.yaml",
                "schedule": SCHEDULE,
            }
        },
    }
    config = parse_config(data, "test", tmp_path)
    book = holiday_book(config)
    assert next_due("notice", SCHEDULE, nine(date(2030, 6, 15)), book) == nine(date(2030, 7, 3))
    assert next_due("notice", SCHEDULE, nine(date(2030, 6, 15))) == nine(date(2030, 7, 1))
    store = Store(store_url)
    try:
        leases = LeaseManager(store, "test:1", 30.0)
        metrics = ServiceMetrics(store, config.jobs, config.platforms, "test:1")
        scheduler = JobScheduler(config, store, leases, never_run, metrics)
        fire = scheduler.triggers["notice"].get_next_fire_time(None, nine(date(2030, 6, 15)))
    finally:
        store.close()
    assert fire == nine(date(2030, 7, 3))


@pytest.mark.parametrize(
    "schedule",
    ["first working day of month 9:00", "first working day of month 24:00", "first working day"],
)
def test_a_misspelt_working_day_schedule_is_refused(tmp_path: Path, schedule: str) -> None:
    """The form is exact: 'first working day of month HH:MM', 24-hour time."""
    data = {
        "platforms": {"inbox": {"adapter": "files", "options": {"inbox": "in"}}},
        "jobs": {
            "notice": {
                "source": "inbox.rows",
                "target": "store",
                "mapping": "files/items.yaml",
                "schedule": schedule,
            }
        },
    }
    with pytest.raises(ConfigError, match="first working day of month HH:MM"):
        parse_config(data, "test", tmp_path)
