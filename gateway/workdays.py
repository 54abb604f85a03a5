"""Chinese working-day arithmetic: statutory holidays, make-up working days (调休), office hours.

Each year's days off *and* the weekend days worked instead (e.g. Saturday 2022-10-08 and Sunday
2022-10-09 after National Day) come from a :class:`~gateway.calendar_years.HolidayBook`: the
configuration, the shipped data file or the ``holidays`` package, whichever has that year's
State Council notice. A deadline that runs into a year none of them has is computed on the
statutory days alone and marked provisional (:meth:`WorkCalendar.deadline`), or refused.
``extra_holidays`` and ``extra_workdays`` are one platform's own exceptions on top.

Time limits (办理时限) count in working days, the way the law counts periods (民法典 art. 201):

* a whole number of days counts by days: the day of receipt is not counted, and the case is due
  at the close of office hours on the N-th working day after it;
* a fraction (0.5 working day for a social-insurance registration) counts by hours: that share
  of a working day's office hours, from the moment of receipt (or from the next opening, when
  received outside office hours).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from zoneinfo import ZoneInfo

from gateway.calendar_years import DEFAULT_BOOK, CalendarRefused, HolidayBook
from gateway.clock import SHANGHAI
from gateway.errors import ConfigError

DEFAULT_HOURS = ("09:00-12:00", "13:00-17:00")
# No time limit in any catalogue runs past a year of working days; a longer walk is a bug.
_MAX_DAYS_WALKED = 800
_PERIOD = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Deadline:
    """A due time, and whether a year it was counted through had no notice (``provisional``)."""

    at: datetime
    provisional: bool
    unknown_years: tuple[int, ...] = ()


def parse_period(text: str) -> tuple[time, time]:
    """``"09:00-12:00"`` → (09:00, 12:00); the end must come after the start."""
    match = _PERIOD.match(text.strip())
    if match is None:
        raise ConfigError("working hours must look like HH:MM-HH:MM", period=text)
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if (h2, m2) <= (h1, m1):
        raise ConfigError("a working period must end after it starts", period=text)
    return time(h1, m1), time(h2, m2)


def _seconds(moment: time) -> int:
    return moment.hour * 3600 + moment.minute * 60


def parse_days(value: object) -> Decimal:
    """A time limit in working days (``0.5``, ``"15"``) as an exact, non-negative number."""
    try:
        days = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError("a time limit must be a number of working days") from None
    if not days.is_finite() or days < 0:
        raise ConfigError("a time limit must be a non-negative number of working days")
    return days


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and office hours in one time zone (Asia/Shanghai by default)."""

    periods: tuple[tuple[time, time], ...]
    zone: ZoneInfo = SHANGHAI
    extra_holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    book: HolidayBook = DEFAULT_BOOK

    @classmethod
    def from_settings(
        cls,
        hours: Iterable[str] = DEFAULT_HOURS,
        zone: str = "Asia/Shanghai",
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        book: HolidayBook = DEFAULT_BOOK,
    ) -> WorkCalendar:
        periods = tuple(sorted(parse_period(p) for p in hours))
        if not periods:
            raise ConfigError("working hours need at least one period")
        for (_, end), (start, _) in pairwise(periods):
            if start < end:
                raise ConfigError("working periods overlap", periods=", ".join(hours))
        return cls(
            periods, ZoneInfo(zone), frozenset(extra_holidays), frozenset(extra_workdays), book
        )

    @property
    def seconds_per_day(self) -> int:
        return sum(_seconds(end) - _seconds(start) for start, end in self.periods)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays:
            return False
        year = self.book.year(day.year)
        if day.weekday() >= 5:
            return day in year.workdays
        return day not in year.days_off

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for _ in range(_MAX_DAYS_WALKED):
            day += timedelta(days=1)
            if self.is_working_day(day):
                return day
        raise ConfigError("no working day within the search window", after=day.isoformat())

    def first_working_day(self, year: int, month: int) -> date:
        """The month's first working day (2022-10: the 8th, a make-up Saturday)."""
        first = date(year, month, 1)
        return first if self.is_working_day(first) else self.next_working_day(first)

    def nth_working_day_after(self, day: date, count: int) -> date:
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            raise ValueError("working-time arithmetic needs an aware datetime")
        return moment.astimezone(self.zone)

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone)

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The moment when ``seconds`` of office time have passed since ``start``.

        An amount that runs out exactly at a closing time is due at that closing time, not at
        the next opening.
        """
        local = self._local(start)
        day, remaining = local.date(), seconds
        for _ in range(_MAX_DAYS_WALKED):
            if self.is_working_day(day):
                for opens, closes in self.periods:
                    begin = max(self._at(day, opens), local)
                    end = self._at(day, closes)
                    if begin >= end:
                        continue
                    available = int((end - begin).total_seconds())
                    if remaining <= available:
                        return begin + timedelta(seconds=remaining)
                    remaining -= available
            day += timedelta(days=1)
        raise ConfigError("time limit runs past the search window", start=start.isoformat())

    def due(self, received: datetime, days: Decimal | float | str) -> datetime:
        """When a case received at ``received`` with a limit of ``days`` working days is due."""
        return self.deadline(received, days).at

    def _checked(self, first: date, last: date) -> tuple[int, ...]:
        """The years from ``first`` to ``last`` without a notice; refused if so configured."""
        unknown = tuple(y for y in range(first.year, last.year + 1) if not self.book.known(y))
        if unknown and self.book.unknown_years == "refuse":
            raise CalendarRefused(
                "a deadline falls into a year without a holiday notice; add calendar.years",
                year=unknown[0],
            )
        return unknown

    def deadline(self, received: datetime, days: Decimal | float | str) -> Deadline:
        """:meth:`due`, and whether it was counted through a year without a notice."""
        at = self._due(received, days)
        unknown = self._checked(self._local(received).date(), at.date())
        return Deadline(at, bool(unknown), unknown)

    def working_day_deadline(self, day: date, count: int) -> tuple[date, bool]:
        """The ``count``-th working day after ``day``, and whether it is provisional."""
        last = self.nth_working_day_after(day, count)
        return last, bool(self._checked(day, last))

    def _due(self, received: datetime, days: Decimal | float | str) -> datetime:
        limit = parse_days(days)
        local = self._local(received)
        if limit == limit.to_integral_value():
            if limit == 0:
                return local
            last = self.nth_working_day_after(local.date(), int(limit))
            return self._at(last, self.periods[-1][1])
        seconds = int((limit * self.seconds_per_day).to_integral_value())
        return self.add_working_seconds(local, seconds)

    def working_seconds_between(self, start: datetime, end: datetime) -> int:
        """Office time between two moments (0 when ``end`` is not after ``start``)."""
        first, last = self._local(start), self._local(end)
        if last <= first:
            return 0
        total, day = 0, first.date()
        while day <= last.date():
            if self.is_working_day(day):
                for opens, closes in self.periods:
                    begin = max(self._at(day, opens), first)
                    stop = min(self._at(day, closes), last)
                    if stop > begin:
                        total += int((stop - begin).total_seconds())
            day += timedelta(days=1)
        return total


DEFAULT_CALENDAR = WorkCalendar.from_settings()
