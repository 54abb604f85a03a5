"""Where each year's days off and make-up working days come from, and which years are known.

A year's days come from the first source that has it:

1. ``calendar.years.YEAR`` in the configuration: the operator's own entries (a notice published
   after the release, or a correction);
2. ``calendar_notices.yaml`` shipped with the gateway, updated by a release;
3. the ``holidays`` package, where it carries that year's State Council notice.

A year with none of them has no source. Its days are then the statutory holidays alone
(全国年节及纪念日放假办法: the days the law names, without the bridging days and make-up
working days a notice adds, and without the package's Western-style "observed" days, which no
Chinese rule provides). A deadline that falls into such a year is *provisional*, or refused
when ``calendar.unknown_years`` is ``refuse``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Literal

import holidays
import yaml
from holidays.countries.china import ChinaStaticHolidays
from pydantic import ValidationError

from gateway.clock import SHANGHAI
from gateway.config import CalendarConfig, GatewayConfig
from gateway.errors import ConfigError

Source = Literal["config", "data file", "holidays package", "none"]
Policy = Literal["flag", "refuse"]
SHIPPED = Path(__file__).with_name("calendar_notices.yaml")
# The field a record carries when its deadline was computed on the statutory days alone.
PROVISIONAL_FIELD = "due_provisional"
# Warn from this day of the year before a year without a notice (the notice usually comes out
# in November or December).
WARN_FROM = (11, 1)


@dataclass(frozen=True)
class YearDays:
    """One year's days off (weekdays and weekend days alike) and weekend days worked."""

    year: int
    days_off: frozenset[date]
    workdays: frozenset[date]
    source: Source
    detail: str

    @property
    def known(self) -> bool:
        return self.source != "none"


class CalendarRefused(ConfigError):
    """A deadline falls into a year without a notice and the configuration refuses to guess."""


@cache
def _package_year(year: int) -> tuple[frozenset[date], frozenset[date], bool]:
    """(days off, make-up days, whether the package carries the year's notice)."""
    # The package keeps every notice as that year's substituted days; a year without an entry
    # is the package's own estimate.
    known = year in ChinaStaticHolidays.special_public_holidays
    china = holidays.country_holidays("CN", years=year, observed=known)
    days_off = frozenset(day for day in china if day.year == year)
    workdays = frozenset(d for d in china.weekend_workdays if d.year == year)
    return days_off, workdays if known else frozenset(), known


def read_years(path: Path) -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    """A data file of years (``years: {YEAR: {holidays: [...], workdays: [...]}}``), checked."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        settings = CalendarConfig.model_validate({"years": data.get("years") or {}})
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        raise ConfigError("calendar data file cannot be read", path=str(path)) from exc
    except ValidationError as exc:
        message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{path}: {message}") from None
    return {year: entry.days(year) for year, entry in settings.years.items()}


@cache
def _shipped(path: Path) -> dict[int, tuple[frozenset[date], frozenset[date]]]:
    return read_years(path)


@dataclass(frozen=True)
class HolidayBook:
    """Every year's days, with their source, and what to do in a year without one."""

    configured: Mapping[int, tuple[frozenset[date], frozenset[date]]] = field(default_factory=dict)
    data_file: Path = SHIPPED
    unknown_years: Policy = "flag"
    _seen: dict[int, YearDays] = field(default_factory=dict, compare=False, repr=False)

    def year(self, year: int) -> YearDays:
        found = self._seen.get(year)
        if found is None:
            found = self._seen[year] = _year_days(self, year)
        return found

    def known(self, year: int) -> bool:
        return self.year(year).known

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.configured)), self.data_file, self.unknown_years))


def _year_days(book: HolidayBook, year: int) -> YearDays:
    if year in book.configured:
        off, worked = book.configured[year]
        return YearDays(year, off, worked, "config", "calendar.years in the configuration")
    shipped = _shipped(book.data_file)
    if year in shipped:
        off, worked = shipped[year]
        return YearDays(year, off, worked, "data file", book.data_file.name)
    off, worked, known = _package_year(year)
    package = f"holidays {version('holidays')}"
    if known:
        return YearDays(year, off, worked, "holidays package", package)
    return YearDays(year, off, worked, "none", f"statutory days only ({package} has no notice)")


DEFAULT_BOOK = HolidayBook()


def holiday_book(config: GatewayConfig) -> HolidayBook:
    settings = config.calendar
    configured = {year: entry.days(year) for year, entry in settings.years.items()}
    return HolidayBook(configured, SHIPPED, settings.unknown_years)


def today() -> date:
    """Today in Beijing: the day the warnings below are judged on."""
    return datetime.now(SHANGHAI).date()


def calendar_warnings(book: HolidayBook, today: date) -> list[str]:
    """What ``status`` and ``config check`` say: this year, or next year from 1 November,
    without a source for its days off."""
    years = [today.year]
    if (today.month, today.day) >= WARN_FROM:
        years.append(today.year + 1)
    verb = "are refused" if book.unknown_years == "refuse" else "are provisional"
    return [
        f"calendar: {year} has no holiday notice in any source; deadlines in {year} {verb} "
        f"(add calendar.years.{year} once the State Council publishes it)"
        for year in years
        if not book.known(year)
    ]
