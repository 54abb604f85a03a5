"""The ``gateway`` command (Typer + Rich). Errors end as one line and a meaningful exit code:
0 success, 1 a run or check failed, 2 bad configuration or arguments."""

from __future__ import annotations

import sys

import typer

from gateway.cli import (
    breakers,
    calendar,
    config,
    console,
    erase,
    jobs,
    reconcile,
    runs,
    simulate,
    state,
    store,
    users,
)
from gateway.cli.common import opened_stores
from gateway.errors import GatewayError
from gateway.faults import environment_fault
from gateway.masking import scrub_text
from gateway.private import keep_private

app = typer.Typer(
    name="gateway",
    help="Data-exchange gateway between the bureau's systems and the provincial platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _private_files() -> None:
    """Data-exchange gateway between the bureau's systems and the provincial platforms."""
    keep_private()


jobs.register(app)
runs.register(app)
breakers.register(app)
state.register(app)
simulate.register(app)
calendar.register(app)
config.register(app)
reconcile.register(app)
store.register(app)
erase.register(app)
console.register(app)
users.register(app)


def _mount_optional() -> None:
    """Sub-command groups that live in their own modules."""
    from gateway.cli.demo import register as register_demo

    register_demo(app)
    for module, name in (
        ("gateway.cli_mappings", "mappings"),
        ("gateway.cli_audit", "audit"),
        ("gateway.cli_dlq", "dlq"),
        ("gateway.cli_service", "service"),
    ):
        try:
            sub = __import__(module, fromlist=["app"])
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        if name == "service":
            sub.register(app)
        else:
            app.add_typer(sub.app, name=name)


_mount_optional()


def _mount_reports() -> None:
    """``gateway report NAME``: reports that adapters contribute."""
    from gateway.adapter import discover_adapters

    report_app = typer.Typer(help="Reports computed from the synced data.", no_args_is_help=True)
    count = 0
    for adapter in discover_adapters().values():
        for name, command in adapter.reports().items():
            report_app.command(name)(command)
            count += 1
    if count:
        app.add_typer(report_app, name="report")
    for name, adapter in discover_adapters().items():
        commands = adapter.commands()
        if commands is not None:
            app.add_typer(commands, name=name)


_mount_reports()


def main() -> None:
    try:
        app()
    except GatewayError as exc:
        typer.echo(f"error: {scrub_text(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:
        # A fault of the environment is one line naming the store, the cause and what to do;
        # anything else is a bug and keeps its traceback.
        fault = environment_fault(exc)
        if fault is None:
            raise
        where = f"store {opened_stores[-1]}: " if opened_stores else ""
        typer.echo(f"error: {where}{scrub_text(fault)}", err=True)
        sys.exit(1)
