"""``gateway simulate``: run the simulators a configuration names, on their ports."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from gateway.cli.common import ConfigOption, console, setup
from gateway.demo import running_simulators


def simulate(
    platforms: Annotated[
        list[str] | None, typer.Argument(help="Platforms to simulate (default: all that have one).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Serve each configured platform's simulator on 127.0.0.1 until Ctrl-C."""
    cfg = setup(config)
    unknown = [p for p in platforms or [] if p not in cfg.platforms]
    if unknown:
        raise typer.BadParameter(f"unknown platform(s): {', '.join(unknown)}")
    with running_simulators(cfg, only=platforms) as urls:
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
