"""``gateway config check``: the configuration, its jobs' mappings and adapters, and the calendar.

Problems exit 2 with one line each; the calendar's warnings (a year without a holiday notice,
from 1 November of the year before) are printed but do not fail the check.
"""

from __future__ import annotations

from pathlib import Path

import typer

from gateway.adapter import load_adapter
from gateway.calendar_years import calendar_warnings, holiday_book, today
from gateway.cli.common import ConfigOption, JsonOption, console, print_json, setup
from gateway.errors import ConfigError
from gateway.mapping import load_mapping
from mappings import resolve_mapping

app = typer.Typer(help="The gateway's configuration.", no_args_is_help=True)


def problems(config_path: Path | None) -> tuple[str, list[str], list[str]]:
    """(the file checked, problems, warnings); a file that does not load raises instead."""
    cfg = setup(config_path, log_to_file=False)
    found: list[str] = []
    for name, platform in sorted(cfg.platforms.items()):
        try:
            load_adapter(platform.adapter)
        except ConfigError as exc:
            found.append(f"platforms.{name}: {exc}")
    for name, job in sorted(cfg.jobs.items()):
        try:
            load_mapping(resolve_mapping(job.mapping, cfg.base_dir))
        except ConfigError as exc:
            found.append(f"jobs.{name}.mapping: {exc}")
    return str(cfg.source_path), found, calendar_warnings(holiday_book(cfg), today())


@app.command()
def check(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Load the configuration, every job's mapping and every platform's adapter; warn about
    calendar years without a holiday notice. Exit 2 on a problem."""
    path, found, warnings = problems(config)
    if json:
        print_json({"config": path, "problems": found, "warnings": warnings})
    else:
        for line in found:
            console.print(f"[red]✗[/red] {line}", highlight=False)
        for line in warnings:
            console.print(f"[yellow]![/yellow] {line}", highlight=False)
        if not found:
            console.print(f"[green]✓[/green] {path} OK", highlight=False)
    if found:
        raise typer.Exit(2)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="config")
