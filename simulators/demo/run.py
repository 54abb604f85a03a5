"""What ``gateway demo`` runs: write the working directory, start the simulators, run every job
once, and show the runs and the bureau's headline figures."""

from __future__ import annotations

from pathlib import Path

from rich.panel import Panel

from gateway.adapter import discover_adapters
from gateway.cli.common import console, open_store, setup
from gateway.cli.jobs import summary_table
from gateway.config import FileWitnessConfig, GatewayConfig
from gateway.errors import GatewayError
from gateway.pipeline import JobRunner
from gateway.store import Store
from simulators.demo.config import DEFAULT_SIZE, REPORT_DAY, DemoContext, job_order, write_config
from simulators.serve import running_simulators


def demo(directory: Path, size: int | None = None, seed: int = 2022) -> int:
    """Write DIR/gateway.yaml and inbox files, start the simulators, run every job once; the
    exit code (1 when a run failed)."""
    ctx = DemoContext(directory.resolve(), size=DEFAULT_SIZE if size is None else size, seed=seed)
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
    return 1 if failed else 0


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
