"""Every store read and write a reconciliation makes, in one module.

Reads go by key range and in pages (keyset pagination on the primary key), so nothing holds a
whole entity in memory and no read transaction stays open while the platform is asked. Stored
payloads and outbox keys are read here and nowhere else in :mod:`gateway.reconcile`: a store
that encrypts columns decrypts them in this one place.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from gateway.adapter import KeyRange
from gateway.clock import utc_now_iso
from gateway.store import schema

PAGE = 1000


class Rejected(NamedTuple):
    """A platform record the mapping rejected, by key, with the digest of what was read."""

    key: str
    source_hash: str


@dataclass(frozen=True)
class StoredRecord:
    key: str
    payload: str
    content_hash: str
    source_hash: str | None
    source_job: str
    last_changed: str


@dataclass(frozen=True)
class OutboxRow:
    idempotency_key: str
    record_key: str
    status: str
    receipt: str | None
    last_sent_at: str | None


def note_rejected(conn: Connection, entity: str, job: str, rejected: Sequence[Rejected]) -> None:
    """Remember rejected records by key (the dead-letter queue keeps only a keyed digest)."""
    if not rejected:
        return
    table = schema.rejected_sources
    latest = {r.key: r.source_hash for r in rejected}
    now = utc_now_iso()
    values = [
        {"entity": entity, "key": k, "source_hash": h, "job": job, "updated_at": now}
        for k, h in latest.items()
    ]
    insert = sqlite_insert(table) if conn.dialect.name == "sqlite" else pg_insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.entity, table.c.key],
        set_={"source_hash": insert.excluded.source_hash, "job": job, "updated_at": now},
    )
    conn.execute(statement, values)


def _in_range(column: Any, key_range: KeyRange) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if key_range.low is not None:
        clauses.append(column >= key_range.low)
    if key_range.high is not None:
        clauses.append(column < key_range.high)
    return clauses


def iter_source_digests(
    conn: Connection, entity: str, key_range: KeyRange
) -> Iterator[tuple[str, str]]:
    """(key, source digest) of every live record in the range, in key order; ``''`` for a
    record whose source digest is not known."""
    table = schema.records
    after: str | None = None
    while True:
        query = (
            select(table.c.key, table.c.source_hash)
            .where(table.c.entity == entity, table.c.deleted.is_(False))
            .where(*_in_range(table.c.key, key_range))
            .order_by(table.c.key)
            .limit(PAGE * 10)
        )
        if after is not None:
            query = query.where(table.c.key > after)
        rows = conn.execute(query).all()
        for key, source in rows:
            yield key, source or ""
        if len(rows) < PAGE * 10:
            return
        after = rows[-1][0]


def iter_rejected(conn: Connection, entity: str, key_range: KeyRange) -> Iterator[tuple[str, str]]:
    """(key, source digest) of the rejected records in the range that the store does not hold
    live, in key order."""
    rejected, records = schema.rejected_sources, schema.records
    held = (
        select(records.c.key)
        .where(
            records.c.entity == rejected.c.entity,
            records.c.key == rejected.c.key,
            records.c.deleted.is_(False),
        )
        .exists()
    )
    query = (
        select(rejected.c.key, rejected.c.source_hash)
        .where(rejected.c.entity == entity, ~held, *_in_range(rejected.c.key, key_range))
        .order_by(rejected.c.key)
    )
    yield from conn.execute(query)


def forget_rejected(conn: Connection, entity: str, keys: Sequence[str]) -> None:
    """Rejects the platform no longer holds stop counting in reconciliations."""
    table = schema.rejected_sources
    for start in range(0, len(keys), 500):
        conn.execute(
            delete(table).where(
                table.c.entity == entity, table.c.key.in_(keys[start : start + 500])
            )
        )


def count_live(conn: Connection, entity: str, key_range: KeyRange) -> int:
    table = schema.records
    query = select(func.count()).where(
        table.c.entity == entity, table.c.deleted.is_(False), *_in_range(table.c.key, key_range)
    )
    return int(conn.execute(query).scalar_one())


def iter_records(store_connect: Any, entity: str, key_range: KeyRange) -> Iterator[StoredRecord]:
    """Live records in the range, in key order, a page per short read transaction
    (``store_connect`` is :meth:`Store.connect`)."""
    table = schema.records
    after: str | None = None
    while True:
        query = (
            select(
                table.c.key,
                table.c.payload,
                table.c.content_hash,
                table.c.source_hash,
                table.c.source_job,
                table.c.last_changed,
            )
            .where(table.c.entity == entity, table.c.deleted.is_(False))
            .where(*_in_range(table.c.key, key_range))
            .order_by(table.c.key)
            .limit(PAGE)
        )
        if after is not None:
            query = query.where(table.c.key > after)
        with store_connect() as conn:
            rows = conn.execute(query).all()
        for row in rows:
            yield StoredRecord(*row)
        if len(rows) < PAGE:
            return
        after = rows[-1][0]


def rejected_among(conn: Connection, entity: str, keys: Sequence[str]) -> set[str]:
    table = schema.rejected_sources
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        rows = conn.execute(
            select(table.c.key).where(
                table.c.entity == entity, table.c.key.in_(keys[start : start + 500])
            )
        )
        found.update(k for (k,) in rows)
    return found


def run_at(conn: Connection, job: str, when: str | None) -> str | None:
    """The run of ``job`` that was under way at ``when`` (the last started by then), or the
    job's last run when ``when`` is ``None``."""
    runs = schema.runs
    query = select(runs.c.id).where(runs.c.job == job)
    if when is not None:
        query = query.where(runs.c.started_at <= when)
    found = conn.execute(query.order_by(runs.c.started_at.desc()).limit(1)).scalar()
    return str(found) if found is not None else None


def mark_deleted(conn: Connection, entity: str, keys: Sequence[str]) -> int:
    """Tombstone records the platform no longer holds; their change number stays, so push jobs
    do not send them again. Answers how many were live."""
    table = schema.records
    marked = 0
    for start in range(0, len(keys), 500):
        result = conn.execute(
            update(table)
            .where(
                table.c.entity == entity,
                table.c.key.in_(keys[start : start + 500]),
                table.c.deleted.is_(False),
            )
            .values(deleted=True, last_changed=utc_now_iso())
        )
        marked += result.rowcount
    return marked


def iter_outbox(store_connect: Any, job: str) -> Iterator[list[OutboxRow]]:
    """The push job's outbox, a page at a time in idempotency-key order."""
    table = schema.outbox
    after: str | None = None
    while True:
        query = (
            select(
                table.c.idempotency_key,
                table.c.record_key,
                table.c.status,
                table.c.receipt,
                table.c.last_sent_at,
            )
            .where(table.c.job == job)
            .order_by(table.c.idempotency_key)
            .limit(PAGE)
        )
        if after is not None:
            query = query.where(table.c.idempotency_key > after)
        with store_connect() as conn:
            rows = [OutboxRow(*row) for row in conn.execute(query)]
        if rows:
            yield rows
        if len(rows) < PAGE:
            return
        after = rows[-1].idempotency_key


def mark_in_doubt(conn: Connection, job: str, idempotency_keys: Sequence[str]) -> int:
    """Outbox entries the platform no longer knows back to ``sending``: the push job's next
    pass over them (``gateway sync JOB --reset``) asks, finds them unknown, and sends them
    again under the same key."""
    table = schema.outbox
    marked = 0
    for start in range(0, len(idempotency_keys), 500):
        result = conn.execute(
            update(table)
            .where(
                table.c.job == job,
                table.c.idempotency_key.in_(idempotency_keys[start : start + 500]),
            )
            .values(status="sending")
        )
        marked += result.rowcount
    return marked


def start_reconciliation(conn: Connection, reconciliation_id: str, job: str, mode: str) -> None:
    conn.execute(
        schema.reconciliations.insert().values(
            id=reconciliation_id, job=job, mode=mode, status="running", started_at=utc_now_iso()
        )
    )


def finish_reconciliation(
    conn: Connection, reconciliation_id: str, status: str, counts: dict[str, int | None],
    error: str | None = None,
) -> None:  # fmt: skip
    table = schema.reconciliations
    conn.execute(
        update(table)
        .where(table.c.id == reconciliation_id)
        .values(status=status, ended_at=utc_now_iso(), error=error, **counts)
    )


def latest_differences(conn: Connection) -> dict[str, int]:
    """Per job, the differences its last finished reconciliation found."""
    table = schema.reconciliations
    last = (
        select(table.c.job, func.max(table.c.started_at).label("started"))
        .where(table.c.status == "finished")
        .group_by(table.c.job)
        .subquery()
    )
    rows = conn.execute(
        select(
            table.c.job,
            table.c.missing_at_gateway + table.c.missing_at_platform + table.c.different,
        ).join(last, and_(table.c.job == last.c.job, table.c.started_at == last.c.started))
    )
    return {job: int(total) for job, total in rows}


def reconciled_since(conn: Connection, job: str, since: str) -> bool:
    table = schema.reconciliations
    found = conn.execute(
        select(table.c.id).where(table.c.job == job, table.c.started_at >= since).limit(1)
    ).first()
    return found is not None
