"""``gateway demo``: set up a working directory and run every job once against simulators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from gateway.adapter import discover_adapters
from gateway.cli.common import console, open_store, setup
from gateway.cli.jobs import summary_table
from gateway.config import FileWitnessConfig, GatewayConfig
from gateway.demo import (
    DEFAULT_SIZE,
    REPORT_DAY,
    DemoContext,
    job_order,
    running_simulators,
    write_config,
)
from gateway.errors import GatewayError
from gateway.pipeline import JobRunner
from gateway.store import Store


def demo(
    directory: Annotated[
        Path, typer.Option("--dir", help="Working directory to create or reuse.")
    ] = Path("gateway-demo"),
    size: Annotated[
        int,
        typer.Option(
            "--size",
            min=100,
            help="Labor-force population the simulator serves. The bureau's real figure is "
            "2,247,000; the demo default is smaller so the demo ends within a minute.",
        ),
    ] = DEFAULT_SIZE,
    seed: Annotated[int, typer.Option(help="Seed of the simulated data.")] = 2022,
) -> None:
    """Write DIR/gateway.yaml and inbox files, start the simulators, run every job once."""
    ctx = DemoContext(directory.resolve(), size=size, seed=seed)
    config_path = write_config(ctx)
    config = setup(config_path)
    store = open_store(config)
    summaries = []
    with running_simulators(config):
        runner = JobRunner(config, store)
        for job in job_order(config):
            with console.status(f"running {job}…"):
                summaries.append(runner.run(job))
    figures = headlines(config, store)
    store.close()
    console.print(summary_table(summaries, title="gateway demo: one run of every job"))
    failed = [s for s in summaries if s.status in ("failed", "partial")]
    for s in failed:
        console.print(f"[red]{s.job} failed:[/] {s.error}")
    console.print(
        Panel.fit(
            f"config  {config_path}\n"
            f"store   {config.store_url}\n"
            f"logs    {config.path(config.logging.file or 'logs')}\n"
            f"{_witness_line(config)}\n"
            f"Go on (with --config {config_path}):\n"
            "  gateway status | gateway audit verify | gateway dlq list\n"
            "  gateway report --help          (reports the adapters offer)\n"
            "  gateway simulate               (serve the simulators, in another terminal)\n"
            "  gateway sync labor-persons     (with the simulators served)",
            title="demo directory",
        )
    )
    console.print(
        Panel(
            "\n".join(figures) or "no adapter offers a report",
            title=f"the bureau's figures on {REPORT_DAY}, from the synced data "
            "(gateway report NAME)",
        )
    )
    if failed:
        raise typer.Exit(1)


def headlines(config: GatewayConfig, store: Store) -> list[str]:
    """One line per report the installed adapters offer."""
    lines = []
    for adapter in sorted(discover_adapters().values(), key=lambda a: a.name):
        for report, headline in adapter.headlines().items():
            try:
                lines.append(f"{report}: {headline(config, store, REPORT_DAY)}")
            except GatewayError as exc:
                lines.append(f"{report}: not available ({exc})")
    return lines


def _witness_line(config: GatewayConfig) -> str:
    """Where the demo's signed checkpoints went: what ``audit verify`` compares the log with."""
    files = [w.path for w in config.audit.witnesses if isinstance(w, FileWitnessConfig)]
    return f"witness {config.path(files[0])} (signed checkpoints)" if files else ""


def register(app: typer.Typer) -> None:
    app.command()(demo)
