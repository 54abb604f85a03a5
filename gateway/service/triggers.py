"""A job's ``schedule`` as an APScheduler trigger, and the due time a firing stands for.

``every N{s|m|h}`` counts from a fixed origin (2000-01-01 00:00 Asia/Shanghai), not from when
the process started: every instance then computes the same due times ("every 15m" is :00, :15,
:30, :45), which is what lets the store tell a due run that already happened from one that has
not (:mod:`gateway.service.scheduler`). Five-field cron expressions are read in Asia/Shanghai
with crontab's meaning of day-of-week numbers (0 and 7 are Sunday); APScheduler 3 numbers days
from Monday, so numbers are translated to day names before it sees them.

``first working day of month HH:MM`` fires once a month, at HH:MM Asia/Shanghai on the month's
first working day by the configuration's holiday book (:mod:`gateway.calendar_years`): 8
October 2022, a make-up Saturday after the National Day week, not 1 October. No cron field can
say that, so it is a trigger of its own.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from gateway.calendar_years import DEFAULT_BOOK, HolidayBook
from gateway.clock import SHANGHAI
from gateway.config import FIRST_WORKING_DAY
from gateway.errors import ConfigError
from gateway.workdays import WorkCalendar

ORIGIN = datetime(2000, 1, 1, tzinfo=SHANGHAI)
_EVERY = re.compile(r"^every (\d+(?:\.\d+)?)\s*([smh])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_PART = re.compile(r"^(\*|\d+(?:-\d+)?)(?:/(\d+))?$")
# Windows searched, smallest first, for the latest fire time before now (see previous_fire).
_LOOKBACKS = tuple(timedelta(seconds=s) for s in (2, 120, 7200, 2 * 86400, 64 * 86400, 800 * 86400))


def interval_seconds(schedule: str) -> float | None:
    """The period of an ``every N{s|m|h}`` schedule, or ``None`` for a cron expression."""
    match = _EVERY.match(schedule.strip())
    if match is None:
        return None
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field with its numbers as day names (``1-5`` → ``mon,…,fri``)."""
    if field == "*" or re.fullmatch(r"[a-z,\-/*]+", field.lower()):
        return field
    days: list[int] = []
    for part in field.split(","):
        match = _DAY_PART.match(part)
        if match is None:
            raise ValueError(f"day of week {part!r} mixes numbers and names")
        span, step = match.group(1), int(match.group(2) or 1)
        first, _, last = span.partition("-")
        low, high = (0, 6) if span == "*" else (int(first), int(last or first))
        if not 0 <= low <= high <= 7 or step < 1:
            raise ValueError(f"day of week {part!r} is out of range 0-7")
        days.extend(range(low, high + 1, step))
    names = dict.fromkeys(_DAY_NAMES[d] for d in sorted(days))
    return ",".join(names)


class FirstWorkingDayTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler is untyped
    """Fires at ``at`` (Asia/Shanghai) on each month's first working day."""

    def __init__(self, at: time, book: HolidayBook = DEFAULT_BOOK) -> None:
        self.at = at
        self.calendar = WorkCalendar.from_settings(book=book)

    def fire_time(self, year: int, month: int) -> datetime:
        return datetime.combine(self.calendar.first_working_day(year, month), self.at, SHANGHAI)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        after = now.astimezone(SHANGHAI)
        if previous_fire_time is not None:
            after = max(after, previous_fire_time + timedelta(microseconds=1))
        year, month = after.year, after.month
        while True:
            fire = self.fire_time(year, month)
            if fire >= after:
                return fire
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def __str__(self) -> str:
        return f"first working day of month {self.at:%H:%M}"


def make_trigger(job: str, schedule: str, book: HolidayBook = DEFAULT_BOOK) -> Any:
    """The APScheduler trigger for ``schedule``; a bad expression names the job. ``book`` gives
    the working days of a ``first working day of month`` schedule."""
    monthly = FIRST_WORKING_DAY.match(schedule.strip())
    if monthly is not None:
        return FirstWorkingDayTrigger(time(int(monthly.group(1)), int(monthly.group(2))), book)
    seconds = interval_seconds(schedule)
    if seconds is not None:
        if seconds <= 0:
            raise ConfigError("a schedule interval must be positive", job=job, schedule=schedule)
        return IntervalTrigger(seconds=seconds, start_date=ORIGIN, timezone=SHANGHAI)
    fields = schedule.split()
    try:
        if len(fields) != 5:
            raise ValueError("expected five fields: minute hour day month day-of-week")
        minute, hour, day, month, weekday = fields
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_weekdays(weekday),
            timezone=SHANGHAI,
        )
    except ValueError as exc:
        raise ConfigError(f"job {job!r}: schedule {schedule!r}: {exc}") from None


def previous_fire(trigger: Any, now: datetime) -> datetime | None:
    """The latest time at or before ``now`` that ``trigger`` fires, if any in the last two years.

    APScheduler calls a job without saying which fire time it stands for; this recomputes it.
    Windows grow from seconds to years, and within the first window holding a fire time the
    walk forward is short, whether the trigger fires every second or once a year.
    """
    for lookback in _LOOKBACKS:
        fire: datetime | None = trigger.get_next_fire_time(None, now - lookback)
        if fire is None or fire > now:
            continue
        while True:
            following: datetime | None = trigger.get_next_fire_time(
                fire, fire + timedelta(microseconds=1)
            )
            if following is None or following > now:
                return fire
            fire = following
    return None


def next_due(
    job: str, schedule: str | None, now: datetime, book: HolidayBook = DEFAULT_BOOK
) -> datetime | None:
    """When the scheduler next runs ``job`` (``None`` for a job without a schedule)."""
    if schedule is None:
        return None
    fire: datetime | None = make_trigger(job, schedule, book).get_next_fire_time(None, now)
    return fire
