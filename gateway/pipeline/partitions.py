"""Partitioned pulls (decision 0021): one job's pull split into parts that instances share.

Each partition has a lease (``JOB/PARTITION``), a cursor under the same name, and runs of its
own; the runs of one *round* (the due time they ran for, or the start of the sync that ran
them) together are the job's run, which :func:`job_view` sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from gateway.adapter import Direction, PullStream, load_adapter
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.store import Store, schema
from gateway.store.engine import RUN_COUNTERS

# A partition with a run that ended so is done for its round; ``interrupted`` and ``running``
# are not (another instance resumes the partition from its cursor).
FINISHED = ("succeeded", "partial", "failed")


def part_name(job: str, partition: str) -> str:
    """The name of one partition's lease and cursor."""
    return f"{job}/{partition}"


def job_partitions(config: GatewayConfig, job_name: str) -> list[str]:
    """The job's partitions as its stream reads them (``[]``: the job is not partitioned);
    a value the stream cannot filter by, or an unknown set, is a ``ConfigError``."""
    job = config.job(job_name)
    if job.partitions is None:
        return []
    adapter = load_adapter(config.platforms[job.platform].adapter)
    stream = adapter.stream(job.stream, Direction.PULL)
    if not isinstance(stream, PullStream):
        raise ConfigError("only a pull can be partitioned", job=job_name)
    return stream.partition_values(job.partitions)


def partition_done(store: Store, job: str, partition: str, since: str) -> bool:
    """Whether a run of the partition that started at or after ``since`` (ISO UTC) ended."""
    runs = schema.runs
    query = select(runs.c.id).where(
        runs.c.job == job,
        runs.c.partition == partition,
        runs.c.started_at >= since,
        runs.c.status.in_(FINISHED),
    )
    with store.connect() as conn:
        return conn.execute(query.limit(1)).first() is not None


def combined_status(statuses: list[str], expected: int) -> str:
    """The job's outcome from its partitions' (each one's latest run in the round): running
    while one runs; else the worst of failed, interrupted, ``incomplete`` (a partition without
    a run), partial; succeeded only when every partition succeeded."""
    for status in ("running", "failed", "interrupted"):
        if status in statuses:
            return status
    if len(statuses) < expected:
        return "incomplete"
    return "partial" if any(s != "succeeded" for s in statuses) else "succeeded"


def job_view(rows: Sequence[Mapping[str, Any]], partitions: list[str]) -> dict[str, Any]:
    """One round's runs as the job's run: counts summed over every run of the round (an
    interrupted run's committed pages count, and its resumption reads on from there); the
    worst partition's outcome, ``incomplete`` while a partition has no finished run."""
    ordered = sorted(rows, key=lambda r: (r["started_at"], r["id"]))
    latest: dict[str, Mapping[str, Any]] = {}
    for row in ordered:
        latest[str(row["partition"])] = row
    statuses = [str(latest[p]["status"]) for p in partitions if p in latest]
    status = combined_status(statuses, len(partitions))
    errors = [
        f"{p}: {latest[p]['error']}" for p in partitions if p in latest and latest[p]["error"]
    ]
    ends = [r["ended_at"] for r in ordered]
    return {
        "id": ordered[0]["round"] if ordered else None,
        "job": ordered[0]["job"] if ordered else None,
        "instance": ", ".join(sorted({str(r["instance"]) for r in ordered})),
        "status": status,
        "started_at": ordered[0]["started_at"] if ordered else None,
        "ended_at": None if None in ends or status == "running" else max(ends, default=None),
        **{name: sum(int(r[name] or 0) for r in ordered) for name in RUN_COUNTERS},
        "error": "; ".join(errors) or None,
        "partition": None,
        "round": ordered[0]["round"] if ordered else None,
        "partitions": {
            p: str(latest[p]["status"]) if p in latest else "not run" for p in partitions
        },
    }


def round_rows(store: Store, job: str, round_id: str) -> list[dict[str, Any]]:
    """Every run of one round of a partitioned job."""
    runs = schema.runs
    query = select(runs).where(runs.c.job == job, runs.c.round == round_id)
    with store.connect() as conn:
        return [{str(k): v for k, v in row._mapping.items()} for row in conn.execute(query)]


def recent_rounds(store: Store, job: str, limit: int) -> list[str]:
    """The job's newest rounds, newest first."""
    runs = schema.runs
    query = (
        select(runs.c.round)
        .where(runs.c.job == job, runs.c.round.is_not(None))
        .group_by(runs.c.round)
        .order_by(runs.c.round.desc())
        .limit(limit)
    )
    with store.connect() as conn:
        return [str(value) for value in conn.execute(query).scalars()]


def latest_views(
    store: Store, job: str, partitions: list[str], rounds: int = 20
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The job's run as its newest round shows it, and its newest round that succeeded
    (among the last ``rounds``)."""
    last: dict[str, Any] | None = None
    for round_id in recent_rounds(store, job, rounds):
        view = job_view(round_rows(store, job, round_id), partitions)
        last = last or view
        if view["status"] == "succeeded":
            return last, view
    return last, None
