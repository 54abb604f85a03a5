"""``gateway sync``, ``jobs``, ``status`` and ``adapters``: running and watching jobs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gateway.adapter import discover_adapters
from gateway.calendar_years import calendar_warnings, holiday_book, today
from gateway.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    err_console,
    open_store,
    print_json,
    setup,
)
from gateway.config import GatewayConfig
from gateway.pipeline import JobRunner, RunSummary
from gateway.private import exposed
from gateway.service.leases import held_lease
from gateway.store import Store

SUMMARY_COLUMNS = (
    "read", "inserted", "updated", "unchanged", "rejected", "retried", "unreadable",
)  # fmt: skip


def summary_table(summaries: list[RunSummary], title: str = "Runs") -> Table:
    table = Table(title=title)
    table.add_column("job")
    table.add_column("status")
    for name in SUMMARY_COLUMNS:
        table.add_column(name, justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("records/s", justify="right")
    for s in summaries:
        colour = {"succeeded": "green", "failed": "red", "partial": "red"}.get(s.status, "yellow")
        table.add_row(
            s.job,
            f"[{colour}]{s.status}[/]",
            *(f"{getattr(s, name):,}" for name in SUMMARY_COLUMNS),
            f"{s.seconds:.2f}",
            f"{s.rate:,.0f}",
        )
    return table


def exit_code(status: str, signals: list[int]) -> int:
    """succeeded 0; partial and failed 1; interrupted 128 + the signal (130 SIGINT, 143 SIGTERM)."""
    if status == "succeeded":
        return 0
    if status == "interrupted" and signals:
        return 128 + signals[0]
    return 1


def _install_stop(stop: threading.Event) -> list[int]:
    """First Ctrl-C or SIGTERM: finish the batch in flight, then stop. Answers the signals seen."""
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signum)
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
    return received


def sync(
    job: Annotated[str, typer.Argument(help="The job to run once, as named in gateway.yaml.")],
    config: ConfigOption = None,
    json: JsonOption = False,
    reset: Annotated[
        bool, typer.Option("--reset", help="Forget the job's cursor and read from the start.")
    ] = False,
) -> None:
    """Run one job once, with a live progress line; exit 1 if the run failed."""
    cfg = setup(config)
    cfg.job(job)
    store = open_store(cfg)
    stop = threading.Event()
    signals = _install_stop(stop)
    runner = JobRunner(cfg, store, stop=stop)
    try:
        # The same lease the scheduler takes: a manual sync never overlaps a scheduled run.
        with held_lease(store, runner.instance, job, cfg.service.lease_seconds, stop):
            store.mark_abandoned_runs(job)  # we hold the lease: any other 'running' run died
            if reset:
                store.reset_checkpoint(job)
            with Progress(
                SpinnerColumn(),
                TextColumn("[bold]{task.description}"),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                disable=json,
            ) as progress:
                task = progress.add_task(job, counts="starting", total=None)

                def update(counts: Mapping[str, int]) -> None:
                    text = "  ".join(f"{k} {counts[k]:,}" for k in SUMMARY_COLUMNS)
                    progress.update(task, counts=text)

                summary = runner.run(job, progress=update)
    finally:
        store.close()
    if json:
        print_json(summary.as_dict())
    else:
        console.print(summary_table([summary], title=f"gateway sync {job}"))
        if summary.error:
            console.print(f"[red]{summary.status}:[/] {summary.error}")
    code = exit_code(summary.status, signals)
    if code:
        raise typer.Exit(code)


def file_warnings(cfg: GatewayConfig, store: Store) -> list[str]:
    """The store's and the log's files that others may read (they hold personal data)."""
    paths = []
    if store.file is not None:
        paths += [store.file, store.file.with_name(store.file.name + "-wal")]
    if cfg.logging.file:
        paths.append(cfg.path(cfg.logging.file))
    return [
        f"{path} is {who}-readable and holds personal data: chmod 600 {path}"
        for path in paths
        if (who := exposed(path)) is not None
    ]


def encryption_warnings(store: Store) -> list[str]:
    """A store that keeps personal data in clear says so (the embedded demo may)."""
    if store.sealer is not None:
        return []
    return ["the store is unencrypted: personal data at rest is in clear "
            "(set store.encryption.key, docs/privacy.md)"]  # fmt: skip


def status(config: ConfigOption = None, json: JsonOption = False) -> None:
    """The last run of every job: when, how it ended, and its counts."""
    cfg = setup(config)
    store = open_store(cfg)
    runs = {r["job"]: r for r in store.last_runs(list(cfg.jobs))}
    store.close()
    rows = [
        {"job": name, **(runs.get(name) or {"status": "never run"})} for name in sorted(cfg.jobs)
    ]
    warnings = [
        *calendar_warnings(holiday_book(cfg), today()),
        *file_warnings(cfg, store),
        *encryption_warnings(store),
    ]
    if json:
        print_json(rows)
        for line in warnings:  # the JSON on stdout keeps its shape for scripts
            err_console.print(f"warning: {line}", highlight=False)
        return
    table = Table(title="Job status")
    for column in ("job", "status", "started_at", "ended_at", *SUMMARY_COLUMNS, "error"):
        table.add_column(column, justify="right" if column in SUMMARY_COLUMNS else "left")
    for row in rows:
        table.add_row(
            row["job"],
            row["status"],
            str(row.get("started_at") or ""),
            str(row.get("ended_at") or ""),
            *(f"{row.get(c, 0) or 0:,}" for c in SUMMARY_COLUMNS),
            str(row.get("error") or ""),
        )
    console.print(table)
    for line in warnings:
        console.print(f"[yellow]![/yellow] {line}", highlight=False)


def list_jobs(config: ConfigOption = None, json: JsonOption = False) -> None:
    """The configured jobs: source, target, mapping, schedule and dependencies."""
    cfg = setup(config, log_to_file=False)
    rows = [
        {
            "job": name,
            "source": job.source,
            "target": job.target,
            "mapping": job.mapping,
            "schedule": job.schedule or "-",
            "depends_on": ", ".join(job.depends_on) or "-",
        }
        for name, job in cfg.jobs.items()
    ]
    if json:
        print_json(rows)
        return
    table = Table(title="Jobs")
    for column in ("job", "source", "target", "mapping", "schedule", "depends_on"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row.values())
    console.print(table)


adapters_app = typer.Typer(help="The installed platform adapters.", no_args_is_help=True)


@adapters_app.command("list")
def list_adapters(json: JsonOption = False) -> None:
    """Every adapter installed in this environment, with its streams."""
    rows = [
        {
            "adapter": name,
            "pull": ", ".join(sorted(adapter.pull_streams())) or "(any)",
            "push": ", ".join(sorted(adapter.push_streams())) or "(any)",
            "description": adapter.description,
        }
        for name, adapter in sorted(discover_adapters().items())
    ]
    if json:
        print_json(rows)
        return
    table = Table(title="Adapters")
    for column in ("adapter", "pull streams", "push streams", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row.values())
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(status)
    app.command("jobs")(list_jobs)
    app.add_typer(adapters_app, name="adapters")
