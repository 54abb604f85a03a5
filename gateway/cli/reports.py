"""``gateway report NAME`` and per-adapter command groups: what the installed adapters
contribute to the command line, found through their entry points."""

from __future__ import annotations

import typer

from gateway.adapter import discover_adapters


def register(app: typer.Typer) -> None:
    adapters = discover_adapters()
    report_app = typer.Typer(help="Reports computed from the synced data.", no_args_is_help=True)
    count = 0
    for adapter in adapters.values():
        for name, command in adapter.reports().items():
            report_app.command(name)(command)
            count += 1
    if count:
        app.add_typer(report_app, name="report")
    for name, adapter in adapters.items():
        commands = adapter.commands()
        if commands is not None:
            app.add_typer(commands, name=name)
