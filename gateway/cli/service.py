"""``gateway run`` (the scheduler service) and ``gateway leases`` (who runs which job now)."""

from __future__ import annotations

import logging
import threading
from typing import Annotated

import typer

from gateway.adapter import ExchangeObserver
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.display import Column, local, zone, zone_note
from gateway.cli.display import table as display_table
from gateway.cli.options import ConfigOption, JsonOption
from gateway.clock import to_iso
from gateway.config import GatewayConfig
from gateway.pipeline import JobRunner, RunSummary
from gateway.pipeline.context import Progress, instance_name
from gateway.reconcile.findings import Findings
from gateway.reconcile.runner import ReconcileOptions, Reconciler
from gateway.service import Execute, Service, lease_holders
from gateway.service.scheduler import Reconcile
from gateway.store import Store


def pipeline_executor(config: GatewayConfig, store: Store, instance: str) -> Execute:
    """Each run through a fresh :class:`JobRunner` with the run's own stop event, its HTTP
    exchanges to the service's observer."""

    def execute(
        job: str,
        stop: threading.Event,
        progress: Progress,
        observe: ExchangeObserver,
        /,
        *,
        partition: str | None = None,
        round_id: str | None = None,
    ) -> RunSummary:
        runner = JobRunner(config, store, instance=instance, stop=stop, observers=(observe,))
        return runner.run(job, progress=progress, partition=partition, round_id=round_id)

    return execute


def reconcile_executor(config: GatewayConfig, store: Store) -> Reconcile:
    """Each scheduled reconciliation with the options of the job's ``reconcile`` section."""

    def reconcile(job: str, observe: ExchangeObserver) -> Findings:
        settings = config.job(job).reconcile
        options = ReconcileOptions(
            sample=settings.sample if settings else None,
            mark_deleted=settings.mark_deleted if settings else False,
        )
        return Reconciler(config, store, observers=(observe,)).run(job, options)

    return reconcile


def run(
    config: ConfigOption = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            min=0,
            max=65535,
            help="Port of /healthz, /readyz and /metrics (default: service.metrics_port).",
            show_default=False,
        ),
    ] = None,
    instance_id: Annotated[
        str | None,
        typer.Option(
            "--instance-id",
            help="This instance's name in leases and runs (default: service.instance_id, "
            "then HOST:PID).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the scheduler service: every enabled job on its schedule, until SIGTERM or Ctrl-C.

    Several instances may share one PostgreSQL store: each job runs on one of them at a time.
    """
    cfg = setup(config, check=True)
    # A service's stderr is its log (journald, the container runtime), not a terminal showing
    # tables: the configured level applies there too, not only in the log file.
    for handler in logging.getLogger().handlers:
        handler.setLevel(cfg.logging.level)
    instance = instance_id or cfg.service.instance_id or instance_name()
    store = open_store(cfg)
    service = Service(
        cfg,
        store,
        pipeline_executor(cfg, store, instance),
        instance=instance,
        metrics_port=metrics_port,
        reconcile=reconcile_executor(cfg, store),
        console=True,
    )
    raise typer.Exit(service.run_until_signalled())


def leases(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Which instance holds which job's lease now, and until when (a held job is running)."""
    cfg = setup(config, log_to_file=False)
    store = open_store(cfg)
    try:
        holders = lease_holders(store)
    finally:
        store.close()
    names = sorted(set(cfg.jobs) | set(holders))
    if json:
        print_json(
            [
                {
                    "job": job,
                    "instance": holders[job][0] if job in holders else None,
                    "expires_at": to_iso(holders[job][1]) if job in holders else None,
                }
                for job in names
            ]
        )
        return
    tz = zone(cfg)
    cells = [
        [job, holders[job][0], local(holders[job][1], tz)] if job in holders else [job, "free", "-"]
        for job in names
    ]
    columns = [Column("job", "key"), Column("held by"), Column("expires")]
    console.print(display_table("Job leases", columns, cells, console.width))
    console.print(zone_note(cfg), highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(leases)
