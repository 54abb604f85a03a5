"""``gateway demo``: set up a working directory and run every job once against simulators.

The demo is not part of the runtime: it is found through the ``gateway.sim_commands``
entry-point group, like ``gateway simulate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.cli.simulate import sim_command


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Working directory to create or reuse.")
    ] = Path("gateway-demo"),
    size: Annotated[
        int | None,
        typer.Option(
            "--size",
            min=100,
            help="Labor-force population the simulator serves. The bureau's real figure is "
            "2,247,000; the demo default (20,000) is smaller so the demo ends within a minute.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the simulated data.")] = 2022,
) -> None:
    """Write DIR/gateway.yaml and inbox files, start the simulators, run every job once."""
    code: int = sim_command("demo")(directory, size, seed)
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command()(demo)
