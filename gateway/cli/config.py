"""``gateway config check``: everything ``sync`` and ``run`` would refuse, found at once.

Each problem is one line with the file, the line and the key: adapters that are not installed,
streams an adapter does not have, schedules the scheduler cannot read, a missing store
directory, job options their stream refuses (:mod:`gateway.config_check`), secrets that cannot
be resolved and mappings that do not compile. Problems exit 2; the calendar's warnings (a year
without a holiday notice, from 1 November of the year before) are printed but do not fail the
check. ``--ping`` also reaches every HTTP platform once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import httpx
import typer

from gateway.calendar_years import calendar_warnings, holiday_book, today
from gateway.cli.common import console, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.config_check import Problem, key_lines, option_problems, structural_problems
from gateway.errors import ConfigError
from gateway.mapping import load_mapping
from mappings import resolve_mapping

app = typer.Typer(help="The gateway's configuration.", no_args_is_help=True)


def _slow_problems(cfg: GatewayConfig) -> list[Problem]:
    """Secrets that do not resolve and mappings that do not compile."""
    lines = key_lines(cfg.source_path)
    found: list[Problem] = []
    for name, platform in sorted(cfg.platforms.items()):
        if platform.app_secret is not None:
            try:
                platform.app_secret.resolve(cfg.base_dir)
            except ConfigError as exc:
                key = ("platforms", name, "app_secret")
                found.append(Problem(".".join(key), str(exc), lines.get(key)))
    if cfg.audit.key is not None:
        try:
            cfg.audit.key.resolve(cfg.base_dir)
        except ConfigError as exc:
            found.append(Problem("audit.key", str(exc), lines.get(("audit", "key"))))
    for name, job in sorted(cfg.jobs.items()):
        try:
            load_mapping(resolve_mapping(job.mapping, cfg.base_dir))
        except ConfigError as exc:
            key = ("jobs", name, "mapping")
            found.append(Problem(".".join(key), str(exc), lines.get(key)))
    return found


def _ping(cfg: GatewayConfig) -> list[Problem]:
    """One plain GET to every HTTP platform's base URL: any HTTP answer means it is reachable."""
    from gateway.http.reasons import transport_cause

    lines = key_lines(cfg.source_path)
    found: list[Problem] = []
    for name, platform in sorted(cfg.platforms.items()):
        if not platform.base_url:
            continue
        try:
            httpx.get(platform.base_url, timeout=platform.timeout.connect)
        except httpx.HTTPError as exc:
            key = ("platforms", name, "base_url")
            message = f"{platform.base_url} cannot be reached: {transport_cause(exc)}"
            found.append(Problem(".".join(key), message, lines.get(key)))
    return found


def problems(config_path: Path | None, *, ping: bool = False) -> tuple[str, list[str], list[str]]:
    """(the file checked, problems, warnings); a file that does not load raises instead."""
    cfg = setup(config_path, log_to_file=False)
    found = structural_problems(cfg) + option_problems(cfg) + _slow_problems(cfg)
    if ping:
        found += _ping(cfg)
    lines = [problem.where(cfg.source_path) for problem in found]
    return str(cfg.source_path), lines, calendar_warnings(holiday_book(cfg), today())


@app.command()
def check(
    config: ConfigOption = None,
    json: JsonOption = False,
    ping: Annotated[bool, typer.Option("--ping", help="Also reach every platform once.")] = False,
) -> None:
    """Everything sync and run would refuse, listed together with file, line and key; warn
    about calendar years without a holiday notice. Exit 2 on a problem."""
    path, found, warnings = problems(config, ping=ping)
    if json:
        print_json({"config": path, "problems": found, "warnings": warnings})
    else:
        for line in found:
            console.print(f"[red]✗[/red] {line}", highlight=False, soft_wrap=True)
        for line in warnings:
            console.print(f"[yellow]![/yellow] {line}", highlight=False)
        if not found:
            console.print(f"[green]✓[/green] {path} OK", highlight=False)
    if found:
        raise typer.Exit(2)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="config")
