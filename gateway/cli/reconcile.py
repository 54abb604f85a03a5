"""``gateway reconcile JOB``: does the store hold exactly what the platform holds?"""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.table import Table

from gateway.audit.settings import key_digester
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.errors import ConfigError
from gateway.pipeline.context import instance_name, key_masker
from gateway.reconcile.findings import KINDS, Findings
from gateway.reconcile.runner import ReconcileOptions, Reconciler
from gateway.service.leases import held_lease


def reconcile(
    job: Annotated[str, typer.Argument(help="The job whose platform and store to compare.")],
    config: ConfigOption = None,
    json: JsonOption = False,
    sample: Annotated[
        int | None,
        typer.Option("--sample", min=1, help="Compare N key ranges (of 64) drawn at random."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Compare the whole key space (the default).")
    ] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Differences listed per kind.")
    ] = 100,
    mark_deleted: Annotated[
        bool,
        typer.Option(
            "--mark-deleted",
            help="Tombstone the records the platform no longer holds (pull jobs).",
        ),
    ] = False,
    resend: Annotated[
        bool,
        typer.Option(
            "--resend",
            help="Put what the platform lost back in doubt, for `sync JOB --reset` (push jobs).",
        ),
    ] = False,
) -> None:
    """Compare a job's platform with the store: counts, key-range digests, then records.

    Exit 0 when both hold the same, 1 when differences were found."""
    if full and sample is not None:
        raise ConfigError("--full and --sample exclude each other")
    cfg = setup(config)
    cfg.job(job)
    store = open_store(cfg)
    stop = threading.Event()
    options = ReconcileOptions(sample=sample, limit=limit, mark_deleted=mark_deleted, resend=resend)
    try:
        reconciler = Reconciler(cfg, store)
        # The job's own lease: no sync of it moves the store while it is compared.
        with held_lease(store, instance_name(), job, cfg.service.lease_seconds, stop):
            findings = reconciler.run(job, options)
        mapping = reconciler.runner.mapping_for(job)
    finally:
        store.close()
    digest = key_digester(cfg)
    shown = findings.as_dict(key_masker(mapping), digest.digest)
    if json:
        print_json(shown)
    else:
        _print(findings, shown)
    if findings.total:
        raise typer.Exit(1)


def _print(findings: Findings, shown: dict[str, object]) -> None:
    summary = Table(title=f"gateway reconcile {findings.job} ({findings.mode})")
    summary.add_column("")
    summary.add_column("count", justify="right")
    for label, value in (
        ("held by the platform", findings.platform_count),
        ("held in the store", findings.store_count),
        ("rejected (dead-letter queue)", findings.rejected),
        *((kind.replace("_", " "), findings.counts[kind]) for kind in KINDS),
    ):
        summary.add_row(label, "-" if value is None else f"{value:,}")
    console.print(summary)
    listed = shown["listed"]
    if isinstance(listed, list) and listed:
        table = Table(title="Differences")
        for column in ("kind", "key", "fields", "run", "note"):
            table.add_column(column)
        for item in listed:
            table.add_row(
                item["kind"].replace("_", " "), item["key"], ", ".join(item["fields"]),
                item["run"] or "", item["note"] or "",
            )  # fmt: skip
        console.print(table)
    if findings.sampled:
        console.print(f"sampled {findings.sampled}")
    for note in findings.notes:
        console.print(f"note: {note}")
    state = "[red]differences found[/]" if findings.total else "[green]consistent[/]"
    console.print(
        f"{state}: {findings.ranges_compared:,} ranges, "
        f"{findings.records_compared:,} records compared"
    )


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile)
