"""``gateway sync``, ``jobs`` and ``status``: running and watching jobs."""

from __future__ import annotations

import signal
import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.adapter import ExportStream
from gateway.calendar_years import calendar_warnings, holiday_book, today
from gateway.cli.common import console, err_console, open_store, print_json, setup
from gateway.cli.display import Column, local, seconds_between, utc, zone, zone_note
from gateway.cli.display import table as display_table
from gateway.cli.options import ConfigOption, JsonOption
from gateway.cli.partitioned import sync_partitions
from gateway.cli.progress import RunProgress
from gateway.clock import utc_now
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.pipeline import JobRunner, RunSummary
from gateway.pipeline.dryrun import dry_run
from gateway.pipeline.export import parse_month
from gateway.pipeline.partitions import job_partitions, latest_views
from gateway.private import exposed
from gateway.service.leases import held_lease
from gateway.service.triggers import next_due
from gateway.store import Store, history

SUMMARY_COLUMNS = (
    "read", "inserted", "updated", "unchanged", "rejected", "retried", "unreadable",
)  # fmt: skip


def summary_table(summaries: list[RunSummary], title: str = "Runs") -> Table:
    """Runs as they ended: names and outcomes whole, counts wrapped, fit for 80 columns."""
    columns = [Column("job", "key"), Column("status", "key"), Column("counts"),
               Column("seconds", "number"), Column("records/s", "number")]  # fmt: skip
    cells = []
    for s in summaries:
        counts = ", ".join(f"{getattr(s, n):,} {n}" for n in SUMMARY_COLUMNS if getattr(s, n))
        cells.append(
            [s.job, s.status, counts or "nothing read", f"{s.seconds:.2f}", f"{s.rate:,.0f}"]
        )
    return display_table(title, columns, cells, console.width)


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
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Read, map and validate; write nothing (no records, cursor, outbox or sends).",
        ),
    ] = False,
    month: Annotated[
        str | None,
        typer.Option(
            "--month",
            metavar="YYYY-MM",
            help="A monthly file job (the justice bureau's notice): the month to write.",
        ),
    ] = None,
) -> None:
    """Run one job once, with a live progress line; exit 1 if the run failed."""
    cfg = setup(config, check=True)
    cfg.job(job)
    if month is not None:
        parse_month(month)
    if dry_run:
        _dry_run(cfg, job, json)
        return
    store = open_store(cfg)
    stop = threading.Event()
    signals = _install_stop(stop)
    runner = JobRunner(cfg, store, stop=stop)
    if month is not None and not isinstance(runner.stream(job), ExportStream):
        store.close()
        raise ConfigError("--month applies to a monthly file job", job=job)
    if cfg.jobs[job].partitions is not None:
        try:
            summary, parts = sync_partitions(
                cfg, store, runner, job, stop, reset=reset, show_progress=not json
            )
        finally:
            store.close()
        _show(job, summary, parts, json)
        code = exit_code(summary.status, signals)
        if code:
            raise typer.Exit(code)
        return
    try:
        # The same lease the scheduler takes: a manual sync never overlaps a scheduled run.
        with held_lease(store, runner.instance, job, cfg.service.lease_seconds, stop):
            store.mark_abandoned_runs(job)  # we hold the lease: any other 'running' run died
            if reset:
                store.reset_checkpoint(job)
            with RunProgress(console, job, disable=json) as progress:
                summary = runner.run(
                    job,
                    progress=progress.update,
                    overrides={"month": month} if month is not None else None,
                )
    finally:
        store.close()
    _show(job, summary, [], json)
    code = exit_code(summary.status, signals)
    if code:
        raise typer.Exit(code)


def _show(job: str, summary: RunSummary, parts: list[RunSummary], json: bool) -> None:
    """A sync's outcome: the job's run, after its partitions' when it has them."""
    if json:
        found = summary.as_dict()
        if parts:
            found["partitions"] = [part.as_dict() for part in parts]
        print_json(found)
        return
    console.print(summary_table([*parts, summary], title=f"gateway sync {job}"))
    if summary.error:
        # One line however long, so a log or a script reads the whole reason.
        console.print(
            f"[red]{summary.status}:[/] {escape(summary.error)}",
            soft_wrap=True,
            highlight=False,
        )


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


WIDE = 200  # --wide tables are for wide terminals and files: not squeezed to the terminal
WideOption = Annotated[
    bool, typer.Option("--wide", help="More columns (every counter); wider than 80 columns.")
]


def _run_json(run: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if run is None:
        return None
    return {
        "run_id": run["id"],
        "status": run["status"],
        "started_at": utc(run["started_at"]),
        "ended_at": utc(run["ended_at"]),
        "seconds": seconds_between(run["started_at"], run["ended_at"]),
        **{name: int(run[name]) for name in SUMMARY_COLUMNS},
        "error": run["error"],
    }


def _dry_run(cfg: GatewayConfig, job: str, json: bool) -> None:
    store = open_store(cfg)
    stop = threading.Event()
    _install_stop(stop)
    try:
        report = dry_run(JobRunner(cfg, store, stop=stop), job, stop)
    finally:
        store.close()
    if json:
        print_json(report.as_dict())
        return
    console.print(
        f"dry run of {job} ({report.direction}): {report.read:,} read, {report.valid:,} valid, "
        f"{report.rejected:,} rejected, {report.unreadable:,} unreadable; nothing written",
        highlight=False,
    )
    for item in report.rejections:
        reasons = "; ".join(
            f"{r['field']}: {r['rule']}" + (f" ({r['detail']})" if r.get("detail") else "")
            for r in item["reasons"]
        )
        key = f" {item['key']}" if item["key"] else ""
        console.print(f"  ✗ {item['source']}{key}: {escape(reasons)}", highlight=False)


def status_rows(cfg: GatewayConfig, store: Store, now: datetime) -> list[dict[str, Any]]:
    """Per job: the last run, the last success, the next due time and open dead letters."""
    names = sorted(cfg.jobs)
    last = history.latest(store, names)
    succeeded = history.latest(store, names, status="succeeded")
    letters = history.open_letters(store)
    book = holiday_book(cfg)
    rows = []
    for name in names:
        job = cfg.jobs[name]
        due = next_due(name, job.schedule, now, book) if job.enabled else None
        row = {
            "job": name,
            "enabled": job.enabled,
            "schedule": job.schedule,
            "last_run": _run_json(last.get(name)),
            "last_success": _run_json(succeeded.get(name)),
            "next_due": utc(due),
            "open_dead_letters": letters.get(name, 0),
        }
        if job.partitions is not None:
            # The job's run is its newest round, every partition's runs summed (decision 0021).
            view, success = latest_views(store, name, job_partitions(cfg, name))
            row["last_run"], row["last_success"] = _run_json(view), _run_json(success)
            row["partitions"] = view["partitions"] if view else {}
        rows.append(row)
    return rows


def status(config: ConfigOption = None, json: JsonOption = False, wide: WideOption = False) -> None:
    """Per job: its last run, its last success, when it is next due, and open dead letters."""
    cfg = setup(config, check=True)
    store = open_store(cfg)
    try:
        rows = status_rows(cfg, store, utc_now())
    finally:
        store.close()
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
    tz = zone(cfg)
    columns = [
        Column("job", "key"),
        Column("last run", "key"),
        Column("at"),
        Column("last success"),
        Column("next due"),
        Column("open DLQ", "number"),
    ]
    if wide:
        columns += [Column(name, "number") for name in SUMMARY_COLUMNS]
    cells = []
    for row in rows:
        run, success = row["last_run"], row["last_success"]
        due = local(row["next_due"], tz) if row["enabled"] else "disabled"
        cell = [
            row["job"],
            run["status"] if run else "never run",
            local(run["started_at"], tz) if run else "",
            local(success["started_at"], tz) if success else "",
            due or "-",
            f"{row['open_dead_letters']:,}",
        ]
        if wide:
            cell += [f"{run[name] if run else 0:,}" for name in SUMMARY_COLUMNS]
        cells.append(cell)
    width = WIDE if wide else console.width
    console.print(display_table("Job status", columns, cells, width), width=width)
    console.print(zone_note(cfg), highlight=False)
    for row in rows:
        run = row["last_run"]
        if run and run["error"]:
            console.print(f"[red]✗[/red] {row['job']}: {run['error']}", highlight=False)
    for line in warnings:
        console.print(f"[yellow]![/yellow] {line}", highlight=False)


def list_jobs(
    config: ConfigOption = None, json: JsonOption = False, wide: WideOption = False
) -> None:
    """The configured jobs: source, target, schedule, next due time, mapping and dependencies."""
    cfg = setup(config, log_to_file=False, check=True)
    now = utc_now()
    book = holiday_book(cfg)
    rows: list[dict[str, Any]] = [
        {
            "job": name,
            "source": job.source,
            "target": job.target,
            "mapping": job.mapping,
            "schedule": job.schedule,
            "enabled": job.enabled,
            "next_due": (utc(next_due(name, job.schedule, now, book)) if job.enabled else None),
            "depends_on": list(job.depends_on),
        }
        for name, job in cfg.jobs.items()
    ]
    if json:
        print_json(rows)
        return
    tz = zone(cfg)
    columns = [Column("job", "key"), Column("from → to"), Column("schedule"), Column("next due")]
    if wide:
        columns += [Column("mapping"), Column("depends on")]
    cells: list[list[str]] = []
    for row in rows:
        due = local(row["next_due"], tz) if row["enabled"] else "disabled"
        cell = [
            row["job"],
            f"{row['source']} → {row['target']}",
            row["schedule"] or "-",
            due or "-",
        ]
        if wide:
            cell += [row["mapping"], ", ".join(row["depends_on"]) or "-"]
        cells.append(cell)
    width = WIDE if wide else console.width
    console.print(display_table("Jobs", columns, cells, width), width=width)
    console.print(zone_note(cfg), highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(sync)
    app.command()(status)
    app.command("jobs")(list_jobs)
