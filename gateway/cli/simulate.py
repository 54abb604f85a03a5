"""``gateway simulate``: run the simulators a configuration names, on their ports.

The simulators are not part of the runtime: this command finds them through the
``gateway.sim_commands`` entry-point group, and names the extra to install when they are not
there.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Annotated, Any

import typer

from gateway.cli.common import setup
from gateway.cli.options import ConfigOption

SIM_COMMANDS_GROUP = "gateway.sim_commands"
SIM_EXTRA = "gov-exchange-gateway[sim]"
# What the [sim] extra brings: without one of these the simulators cannot be imported.
_SIM_MODULES = frozenset({"simulators", "fastapi", "starlette", "uvicorn"})


def sim_command(name: str) -> Callable[..., Any]:
    """The simulators' side of ``gateway NAME``; without them, one line naming the extra to
    install, and exit code 2."""
    command: Callable[..., Any] | None = None
    for ep in entry_points(group=SIM_COMMANDS_GROUP, name=name):
        try:
            command = ep.load()
        except ModuleNotFoundError as exc:
            if (exc.name or "").partition(".")[0] not in _SIM_MODULES:
                raise
    if command is None:
        typer.echo(f"gateway {name} needs the simulators: pip install '{SIM_EXTRA}'", err=True)
        raise typer.Exit(2)
    return command


def simulate(
    platforms: Annotated[
        list[str] | None, typer.Argument(help="Platforms to simulate (default: all that have one).")
    ] = None,
    config: ConfigOption = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="A fault to inject, NAME=VALUE (repeatable): error_rate=0.1, burst_503=100:3, "
            "rate_429_every=50, timeout_rate=0.05, busy_rate=0.02, truncated_rate=0.01, "
            "duplicate_rate=0.05, down=true. Changeable later with POST /_sim/faults.",
        ),
    ] = None,
) -> None:
    """Serve each configured platform's simulator on 127.0.0.1 until Ctrl-C."""
    serve = sim_command("simulate")
    cfg = setup(config)
    unknown = [p for p in platforms or [] if p not in cfg.platforms]
    if unknown:
        raise typer.BadParameter(f"unknown platform(s): {', '.join(unknown)}")
    code: int = serve(cfg, platforms or [], fault or [])
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(simulate)
