"""Run history as the operator reads it: runs of a job, last successes, open dead letters.

Rows come back as plain dicts with ``str`` keys (SQLAlchemy hands out ``quoted_name`` keys,
which JSON encoders refuse) and counters as ``int``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gateway.store import schema
from gateway.store.engine import RUN_COUNTERS, Store


def _row(row: Any) -> dict[str, Any]:
    found = {str(key): value for key, value in row._mapping.items()}
    for name in RUN_COUNTERS:
        found[name] = int(found.get(name) or 0)
    return found


def runs(
    store: Store,
    job: str | None = None,
    *,
    last: int | None = None,
    since: str | None = None,
) -> list[dict[str, Any]]:
    """Runs newest first; ``since`` is an ISO UTC timestamp compared with ``started_at``."""
    table = schema.runs
    query = select(table).order_by(table.c.started_at.desc(), table.c.id)
    if job is not None:
        query = query.where(table.c.job == job)
    if since is not None:
        query = query.where(table.c.started_at >= since)
    if last is not None:
        query = query.limit(last)
    with store.connect() as conn:
        return [_row(row) for row in conn.execute(query)]


def run(store: Store, run_id: str) -> dict[str, Any] | None:
    """One run by its id."""
    table = schema.runs
    with store.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == run_id)).first()
    return _row(row) if row is not None else None


def latest(
    store: Store, jobs: list[str], *, status: str | None = None
) -> dict[str, dict[str, Any]]:
    """Per job, its newest run (of ``status`` when given)."""
    table = schema.runs
    newest = select(table.c.job, func.max(table.c.started_at).label("started_at")).where(
        table.c.job.in_(jobs)
    )
    if status is not None:
        newest = newest.where(table.c.status == status)
    inner = newest.group_by(table.c.job).subquery()
    query = select(table).join(
        inner, (table.c.job == inner.c.job) & (table.c.started_at == inner.c.started_at)
    )
    if status is not None:
        query = query.where(table.c.status == status)
    with store.connect() as conn:
        return {row.job: _row(row) for row in conn.execute(query)}


def open_letters(store: Store) -> dict[str, int]:
    """Open dead letters per job."""
    table = schema.dead_letters
    query = select(table.c.job, func.count()).where(table.c.status == "open").group_by(table.c.job)
    with store.connect() as conn:
        return {job: int(count) for job, count in conn.execute(query)}
