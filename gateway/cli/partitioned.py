"""``gateway sync JOB`` for a partitioned pull (decision 0021): every partition, one after
another, each under its own lease and from its own cursor, as one round; the job's outcome is
the round's, summed."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

from gateway.cli.common import console
from gateway.cli.progress import RunProgress
from gateway.clock import utc_now_iso
from gateway.config import GatewayConfig
from gateway.errors import JobBusyError
from gateway.pipeline import JobRunner, RunSummary
from gateway.pipeline.partitions import combined_status, part_name
from gateway.service.leases import held_lease
from gateway.store import Store
from gateway.store.engine import RUN_COUNTERS


def sync_partitions(
    cfg: GatewayConfig,
    store: Store,
    runner: JobRunner,
    job: str,
    stop: threading.Event,
    *,
    reset: bool,
    show_progress: bool = True,
) -> tuple[RunSummary, list[RunSummary]]:
    """Run every partition of ``job`` once; the job's summary (the round's id as its run id,
    counts summed) and each partition's. A partition whose lease another instance holds is
    left to it: the round is then ``incomplete`` here, and says which."""
    round_id = utc_now_iso()
    started = time.perf_counter()
    partitions = runner.partitions(job)
    done: list[RunSummary] = []
    busy: list[str] = []
    for partition in partitions:
        if stop.is_set():
            break
        name = part_name(job, partition)
        try:
            with held_lease(store, runner.instance, name, cfg.service.lease_seconds, stop):
                store.mark_abandoned_runs(job, partition=partition)
                if reset:
                    store.reset_checkpoint(name)
                with RunProgress(console, name, disable=not show_progress) as progress:
                    done.append(
                        runner.run(
                            job, progress=progress.update, partition=partition, round_id=round_id
                        )
                    )
        except JobBusyError as exc:
            busy.append(f"{partition}: {exc}")
    status = combined_status([s.status for s in done], len(partitions))
    if stop.is_set() and status in ("succeeded", "incomplete"):
        status = "interrupted"
    errors = [f"{s.partition}: {s.error}" for s in done if s.error] + busy
    totals = {name: sum(getattr(s, name) for s in done) for name in RUN_COUNTERS}
    summary = RunSummary(
        job=job,
        run_id=round_id,
        status=status,
        seconds=time.perf_counter() - started,
        error="; ".join(errors) or None,
        **totals,
    )
    return summary, [replace(s, job=part_name(job, str(s.partition))) for s in done]
