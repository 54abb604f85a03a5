"""``gateway report NAME`` and per-adapter command groups: what the installed adapters
contribute to the command line, found through their entry points when a command asks for
them, so that ``gateway --help`` or ``gateway status`` imports no adapter."""

from __future__ import annotations

from functools import cached_property
from typing import Any

import typer
from typer.core import TyperGroup

from gateway.adapter import adapter_names, discover_adapters, load_adapter

REPORT_HELP = "Reports computed from the synced data."


# The click that Typer runs on (its own copy since Typer 0.29) names the context and command
# types; this module only passes them through, so they are Any here.


class AdapterCommands(TyperGroup):
    """The root group: its own commands, and ``gateway ADAPTER …`` for an installed adapter
    with commands of its own, that adapter alone imported when it is named."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in adapter_names():
            return found
        commands = load_adapter(cmd_name).commands()
        return None if commands is None else typer.main.get_group(commands)


class Reports(TyperGroup):
    """``gateway report``: every installed adapter's report commands, discovered when the
    group is used (its listing or one of its commands), not when the CLI starts."""

    @cached_property
    def _found(self) -> TyperGroup:
        reports = typer.Typer()
        for adapter in discover_adapters().values():
            for name, command in adapter.reports().items():
                reports.command(name)(command)
        return typer.main.get_group(reports)

    def list_commands(self, ctx: Any) -> list[str]:
        return self._found.list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return self._found.get_command(ctx, cmd_name)


def register(app: typer.Typer) -> None:
    app.add_typer(typer.Typer(cls=Reports, help=REPORT_HELP, no_args_is_help=True), name="report")
