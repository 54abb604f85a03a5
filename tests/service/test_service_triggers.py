"""Schedules as triggers: aligned intervals, crontab day numbers, and due times."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.clock import SHANGHAI
from gateway.errors import ConfigError
from gateway.service.triggers import crontab_weekdays, make_trigger, previous_fire


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


def test_intervals_are_aligned_to_the_clock_not_to_the_start() -> None:
    """'every 15m' is due at :00, :15, :30, :45 whenever the trigger was built."""
    first, second = make_trigger("j", "every 15m"), make_trigger("j", "every 15m")
    now = at(2026, 11, 26, 10, 22, 5)
    assert previous_fire(first, now) == at(2026, 11, 26, 10, 15)
    assert previous_fire(second, now) == previous_fire(first, now)
    assert previous_fire(make_trigger("j", "every 30s"), now) == at(2026, 11, 26, 10, 22, 0)
    assert previous_fire(make_trigger("j", "every 2h"), now) == at(2026, 11, 26, 10, 0)


def test_a_fire_time_is_its_own_due_time() -> None:
    """At the exact fire instant the due time is that instant, not the one before."""
    now = at(2026, 11, 26, 10, 15)
    assert previous_fire(make_trigger("j", "every 15m"), now) == now
    assert previous_fire(make_trigger("j", "15 10 * * *"), now) == now


def test_crontab_day_numbers_mean_what_crontab_means() -> None:
    """1-5 is Monday to Friday and 0 or 7 is Sunday, as in crontab (not APScheduler 3)."""
    assert crontab_weekdays("1-5") == "mon,tue,wed,thu,fri"
    assert crontab_weekdays("0") == "sun"
    assert crontab_weekdays("7") == "sun"
    assert crontab_weekdays("*/2") == "sun,tue,thu,sat"
    assert crontab_weekdays("5-7") == "fri,sat,sun"
    assert crontab_weekdays("mon-fri") == "mon-fri"
    assert crontab_weekdays("*") == "*"
    saturday = at(2026, 11, 28, 12, 0)
    friday_run = at(2026, 11, 27, 2, 30)
    assert previous_fire(make_trigger("j", "30 2 * * 1-5"), saturday) == friday_run


def test_rare_cron_schedules_still_find_their_due_time() -> None:
    """A yearly schedule's due time is found months later."""
    trigger = make_trigger("j", "0 0 1 1 *")
    assert previous_fire(trigger, at(2026, 6, 1, 8, 0)) == at(2026, 1, 1, 0, 0)


@pytest.mark.parametrize("schedule", ["61 * * * *", "* * * * 8", "* * * * 1-fri", "every 0s"])
def test_bad_schedules_name_the_job(schedule: str) -> None:
    """A schedule APScheduler cannot use is a configuration error naming the job."""
    with pytest.raises(ConfigError, match="nightly"):
        make_trigger("nightly", schedule)
