"""``gateway calendar show YEAR``: a year's days off and make-up working days, and their source."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from gateway.calendar_years import DEFAULT_BOOK, HolidayBook, YearDays, holiday_book
from gateway.cli.common import console, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import CONFIG_ENV, find_config_path

app = typer.Typer(help="The working-day calendar deadlines count in.", no_args_is_help=True)
WEEKDAYS = "一二三四五六日"


def _book(config: Path | None) -> tuple[HolidayBook, str]:
    """The configuration's calendar; without one (none named, none here) the shipped sources."""
    path = find_config_path(config)
    if config is None and CONFIG_ENV not in os.environ and not path.exists():
        return DEFAULT_BOOK, "none"
    cfg = setup(config, log_to_file=False)
    return holiday_book(cfg), str(cfg.source_path or path)


def breaks(days: YearDays) -> list[tuple[date, date]]:
    """The holidays as the notices write them: each run of days not worked that holds a day
    off, the weekend days it takes in included."""

    def resting(day: date) -> bool:
        return day in days.days_off or (day.weekday() >= 5 and day not in days.workdays)

    runs: list[tuple[date, date]] = []
    day = date(days.year, 1, 1)
    while day.year == days.year:
        if resting(day):
            if runs and runs[-1][1] + timedelta(days=1) == day:
                runs[-1] = (runs[-1][0], day)
            else:
                runs.append((day, day))
        day += timedelta(days=1)
    return [(a, b) for a, b in runs if any(d in days.days_off for d in _span(a, b))]


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _shown(first: date, last: date) -> str:
    span = f"{first:%m-%d}（{WEEKDAYS[first.weekday()]}）"
    if last != first:
        span += f" – {last:%m-%d}（{WEEKDAYS[last.weekday()]}）, {(last - first).days + 1} days"
    return span


def as_dict(days: YearDays, book: HolidayBook, config: str) -> dict[str, Any]:
    return {
        "year": days.year,
        "source": days.source,
        "detail": days.detail,
        "known": days.known,
        "unknown_years": book.unknown_years,
        "config": config,
        "days_off": [d.isoformat() for d in sorted(days.days_off)],
        "breaks": [[a.isoformat(), b.isoformat()] for a, b in breaks(days)],
        "workdays": [d.isoformat() for d in sorted(days.workdays)],
    }


@app.command()
def show(
    year: Annotated[int, typer.Argument(help="The year, e.g. 2027.", min=1950, max=2200)],
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """The year's days off and make-up working days, and where they come from."""
    book, where = _book(config)
    days = book.year(year)
    if json:
        print_json(as_dict(days, book, where))
        return
    console.print(f"[bold]{year}[/bold]: source {days.source}: {days.detail}", highlight=False)
    if not days.known:
        verb = "refused" if book.unknown_years == "refuse" else "provisional"
        console.print(
            f"[yellow]no holiday notice for {year}[/yellow]: the statutory days alone, no "
            f"make-up working days; deadlines in {year} are {verb}. Add calendar.years.{year} "
            "to the configuration once the State Council publishes the notice.",
            highlight=False,
        )
    table = Table(title=f"{year}: days off and make-up working days")
    table.add_column("kind")
    table.add_column("days")
    for first, last in breaks(days):
        table.add_row("off", _shown(first, last))
    for day in sorted(days.workdays):
        table.add_row("worked (调休)", _shown(day, day))
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="calendar")
