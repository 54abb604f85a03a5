"""The ``gateway`` command (Typer + Rich). Errors end as one line and a meaningful exit code:
0 success, 1 a run or check failed, 2 bad configuration or arguments."""

from __future__ import annotations

import sys

import typer

from gateway.cli import (
    adapters,
    audit,
    breakers,
    calendar,
    config,
    console,
    demo,
    dlq,
    erase,
    jobs,
    mappings,
    reconcile,
    reports,
    runs,
    schema,
    service,
    simulate,
    state,
    store,
    users,
)
from gateway.cli.common import opened_stores
from gateway.cli.reports import AdapterCommands
from gateway.errors import GatewayError
from gateway.faults import environment_fault
from gateway.masking import scrub_text
from gateway.private import keep_private

app = typer.Typer(
    name="gateway",
    cls=AdapterCommands,
    help="Data-exchange gateway between the bureau's systems and the provincial platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    epilog="An installed adapter may add commands of its own: gateway ADAPTER --help "
    "(gateway adapters list names them).",
)


@app.callback()
def _private_files() -> None:
    """Data-exchange gateway between the bureau's systems and the provincial platforms."""
    keep_private()


for group in (
    jobs,
    adapters,
    runs,
    breakers,
    state,
    simulate,
    demo,
    calendar,
    config,
    reconcile,
    store,
    erase,
    mappings,
    audit,
    dlq,
    service,
    schema,
    console,
    users,
    reports,
):
    group.register(app)


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
