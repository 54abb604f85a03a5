"""Settings of a service-network platform, checked once.

``platforms.NAME.options`` may carry ``calendar``: the office hours deadlines count in, and days
that differ on this platform alone (``extra_holidays``, ``extra_workdays``). Each year's State
Council notice comes from the configuration's holiday book (``calendar`` at the top level). The
handling job's options are its stream's ``options_model``, validated by the runner. A typo fails
with a :class:`~gateway.errors.ConfigError` naming the key.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict

from gateway.adapter import parse_options
from gateway.calendar_years import DEFAULT_BOOK, HolidayBook
from gateway.config import PlatformConfig
from gateway.errors import ConfigError
from gateway.workdays import DEFAULT_HOURS, WorkCalendar


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CalendarSettings(_Settings):
    working_hours: tuple[str, ...] = DEFAULT_HOURS
    timezone: str = "Asia/Shanghai"
    extra_holidays: tuple[date, ...] = ()
    extra_workdays: tuple[date, ...] = ()


class PlatformOptions(_Settings):
    """``options`` of a platform whose adapter is ``service_network``."""

    calendar: CalendarSettings = CalendarSettings()


def calendar_for(platform: PlatformConfig, book: HolidayBook = DEFAULT_BOOK) -> WorkCalendar:
    """The working-day calendar a service-network platform's deadlines count in."""
    where = "service network platform"
    settings = parse_options(PlatformOptions, platform.options, where=where).calendar
    try:
        return WorkCalendar.from_settings(
            settings.working_hours,
            settings.timezone,
            settings.extra_holidays,
            settings.extra_workdays,
            book,
        )
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError("unknown time zone", timezone=settings.timezone) from None
