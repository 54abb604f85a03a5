"""``gateway simulate``: run the simulators a configuration names, on their ports."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from gateway.cli.common import console, setup
from gateway.cli.options import ConfigOption
from gateway.demo import running_simulators
from gateway.simkit.cli import parse_fault_assignments


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
    cfg = setup(config)
    unknown = [p for p in platforms or [] if p not in cfg.platforms]
    if unknown:
        raise typer.BadParameter(f"unknown platform(s): {', '.join(unknown)}")
    faults = parse_fault_assignments(fault or []).model_dump(exclude_defaults=True)
    with running_simulators(cfg, only=platforms, faults=faults) as urls:
        if not urls:
            console.print("no platform in this configuration has simulator settings")
            raise typer.Exit(1)
        for name, url in urls.items():
            console.print(f"{name:20} {url}")
        console.print("serving; Ctrl-C stops")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopped")


def register(app: typer.Typer) -> None:
    app.command()(simulate)
