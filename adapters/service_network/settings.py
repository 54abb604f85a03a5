"""Settings of a service-network platform, checked once.

``platforms.NAME.options`` may carry ``calendar``: the office hours deadlines count in, and days
that differ on this platform alone (``extra_holidays``, ``extra_workdays``). Each year's State
Council notice comes from the configuration's holiday book (``calendar`` at the top level). A
typo fails with a :class:`~gateway.errors.ConfigError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, ValidationError

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


_S = TypeVar("_S", bound=_Settings)


def _validate(model: type[_S], raw: Mapping[str, Any], where: str) -> _S:
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"]) or "options"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"invalid {where} option {key!r}: {message}") from None


def calendar_for(platform: PlatformConfig, book: HolidayBook = DEFAULT_BOOK) -> WorkCalendar:
    """The working-day calendar a service-network platform's deadlines count in."""
    settings = _validate(PlatformOptions, platform.options, "service network platform").calendar
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
