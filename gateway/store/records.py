"""Canonical records: batched upsert that skips unchanged content, and change-sequence reads.

This is the hot path of the labor-force pull (2.2 M records a run), so it speaks to the driver
directly, with pre-serialized payloads and one statement per page and kind of write
(:mod:`gateway.store.bulk`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Connection, bindparam, select, update

from gateway.clock import utc_now_iso
from gateway.store import schema
from gateway.store.bulk import insert_rows, json_rows
from gateway.store.crypto import Sealer, is_sealed, sealer_of

_RECORD_COLUMNS = (
    "entity",
    "key",
    "payload",
    "content_hash",
    "first_seen",
    "last_changed",
    "change_seq",
    "source_job",
    "deleted",
    "source_hash",
)
# The stored hashes of a page's keys: the keys as one JSON parameter, the answer as one row.
# A tombstone answers no content hash, so a record read again is stored again.
SQLITE_LOOKUP = (
    "SELECT json_group_array(json_array(key, CASE WHEN deleted THEN '' ELSE content_hash END, "
    "source_hash)) FROM records WHERE entity = ? AND key IN (SELECT value FROM json_each(?))"
)
# New records of a page in one statement; what is the same for all of them (entity, times,
# job) is bound once, not unpacked from each row (a fifth of the statement's time).
SQLITE_INSERT = (
    "INSERT INTO records (entity, key, payload, content_hash, first_seen, last_changed, "
    "change_seq, source_job, deleted, source_hash) SELECT ?, json_extract(value, '$[0]'), "
    "json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?, ?, "
    "json_extract(value, '$[3]'), ?, 0, json_extract(value, '$[4]') FROM json_each(?) WHERE true"
)
# Changed records of a page in one statement, each found through the primary key: an
# ``UPDATE … FROM json_each`` is planned as a scan of the whole entity per page.
SQLITE_UPDATE = (
    SQLITE_INSERT + " ON CONFLICT (entity, key) DO UPDATE SET payload = excluded.payload, "
    "content_hash = excluded.content_hash, last_changed = excluded.last_changed, "
    "change_seq = excluded.change_seq, source_job = excluded.source_job, deleted = 0, "
    "source_hash = excluded.source_hash"
)


class RecordRow(NamedTuple):
    """One mapped record ready for the store (a tuple: millions are made per full pull).

    ``source_hash`` is the digest of the platform record it was mapped from, when known."""

    key: str
    payload: str
    content_hash: str
    source_hash: str | None = None


@dataclass
class UpsertCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _existing_hashes(
    conn: Connection, entity: str, keys: Sequence[str]
) -> dict[str, tuple[str, str | None]]:
    """(content hash, source hash) of the keys stored; a tombstone's content hash is ``''``."""
    if conn.dialect.name == "sqlite":
        found = conn.exec_driver_sql(
            SQLITE_LOOKUP, (entity, orjson.dumps(keys).decode())
        ).scalar_one()
        return {key: (content, source) for key, content, source in orjson.loads(found)}
    # One array parameter: PostgreSQL plans a long IN list of parameters anew every time.
    rows = conn.exec_driver_sql(
        "SELECT key, CASE WHEN deleted THEN '' ELSE content_hash END, source_hash FROM records "
        "WHERE entity = %s AND key = ANY(%s)",
        (entity, list(keys)),
    )
    return {row[0]: (row[1], row[2]) for row in rows}


def _allocate_seq(conn: Connection, count: int) -> int:
    """Reserve ``count`` change numbers; returns the first. The counter row's lock orders
    commits, so a push job reading by change number never skips a record committed late."""
    table = schema.counters
    conn.execute(
        update(table).where(table.c.name == "record_change_seq").values(value=table.c.value + count)
    )
    last = conn.execute(
        select(table.c.value).where(table.c.name == "record_change_seq")
    ).scalar_one()
    return int(last) - count + 1


def upsert_records(
    conn: Connection, entity: str, rows: Sequence[RecordRow], source_job: str
) -> UpsertCounts:
    """Insert new keys, update changed ones, leave identical content untouched."""
    counts = UpsertCounts()
    if not rows:
        return counts
    sealer = sealer_of(conn)
    if sealer is not None:
        rows = [_sealed_row(sealer, entity, row) for row in rows]
    latest: dict[str, RecordRow] = {}
    for row in rows:
        latest[row.key] = row  # a key twice in one batch: the later read wins
    existing = _existing_hashes(conn, entity, list(latest))
    new: list[RecordRow] = []
    changed: list[RecordRow] = []
    restamped: list[tuple[str | None, str, str]] = []
    for key, row in latest.items():
        old = existing.get(key)
        if old is None:
            new.append(row)
        elif old[0] != row.content_hash:
            changed.append(row)
        else:
            counts.unchanged += 1
            # Same content from another platform record (or stored before records kept their
            # source digest): only the digest changes, not the number push jobs read by.
            if row.source_hash is not None and old[1] != row.source_hash:
                restamped.append((row.source_hash, entity, key))
    counts.unchanged += len(rows) - len(latest)
    if restamped:
        table = schema.records
        conn.execute(
            update(table)
            .where(table.c.entity == bindparam("b_entity"), table.c.key == bindparam("b_key"))
            .values(source_hash=bindparam("b_source")),
            [{"b_source": h, "b_entity": e, "b_key": k} for h, e, k in restamped],
        )
    if not new and not changed:
        return counts
    seq = _allocate_seq(conn, len(new) + len(changed))
    now = utc_now_iso()
    if new and conn.dialect.name == "sqlite":
        fresh = [
            (r.key, r.payload, r.content_hash, seq + i, r.source_hash) for i, r in enumerate(new)
        ]
        conn.exec_driver_sql(SQLITE_INSERT, (entity, now, now, source_job, json_rows(fresh)))
        seq += len(new)
    elif new:
        insert_rows(
            conn,
            "records",
            _RECORD_COLUMNS,
            [
                (
                    entity,
                    r.key,
                    r.payload,
                    r.content_hash,
                    now,
                    now,
                    seq + i,
                    source_job,
                    False,
                    r.source_hash,
                )
                for i, r in enumerate(new)
            ],
        )
        seq += len(new)
    if changed and conn.dialect.name == "sqlite":
        changes = [
            (r.key, r.payload, r.content_hash, seq + i, r.source_hash)
            for i, r in enumerate(changed)
        ]
        conn.exec_driver_sql(SQLITE_UPDATE, (entity, now, now, source_job, json_rows(changes)))
    elif changed:
        table = schema.records
        conn.execute(
            update(table)
            .where(table.c.entity == entity, table.c.key == bindparam("b_key"))
            .values(
                payload=bindparam("b_payload"),
                content_hash=bindparam("b_hash"),
                last_changed=now,
                change_seq=bindparam("b_seq"),
                source_job=source_job,
                deleted=False,
                source_hash=bindparam("b_source"),
            ),
            [
                {
                    "b_key": r.key,
                    "b_payload": r.payload,
                    "b_hash": r.content_hash,
                    "b_seq": seq + i,
                    "b_source": r.source_hash,
                }
                for i, r in enumerate(changed)
            ],
        )
    counts.inserted = len(new)
    counts.updated = len(changed)
    return counts


# A sealed record: its key column is a keyed digest, its payload the key and the payload sealed
# together, so a reader gets both back and the store holds neither in clear.
_KEY_SEPARATOR = "\x00"


def _sealed_row(sealer: Sealer, entity: str, row: RecordRow) -> RecordRow:
    sealed = sealer.seal_text(row.key + _KEY_SEPARATOR + row.payload)
    return RecordRow(sealer.digest(entity, row.key), sealed, row.content_hash)


def stored_key(conn: Connection, entity: str, key: str) -> str:
    """What the key column holds for ``key``: itself, or its keyed digest in a sealed store."""
    sealer = sealer_of(conn)
    return key if sealer is None else sealer.digest(entity, key)


def open_record(sealer: Sealer | None, key: str, payload: str) -> tuple[str, str]:
    """(key, payload) in clear, from a stored row of a sealed store or one in clear."""
    if sealer is None or not is_sealed(payload):
        return key, payload
    clear_key, _, clear_payload = sealer.open(payload).decode("utf-8").partition(_KEY_SEPARATOR)
    return clear_key, clear_payload


def iter_payloads(
    conn: Connection, entity: str, *, include_deleted: bool = False
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, payload) of every record of ``entity``, opened: what reports and figures read."""
    table = schema.records
    query = select(table.c.key, table.c.payload).where(table.c.entity == entity)
    if not include_deleted:
        query = query.where(table.c.deleted.is_(False))
    sealer = sealer_of(conn)
    # Streamed: the labor report reads 2.2 million persons this way.
    for key, payload in conn.execution_options(yield_per=5000).execute(query):
        clear_key, clear_payload = open_record(sealer, key, payload)
        yield clear_key, orjson.loads(clear_payload)


def refresh_statistics(conn: Connection) -> None:
    """Let PostgreSQL's planner see how many records there are now.

    A pull into an empty or much smaller table outgrows the planner's statistics within
    minutes, sooner than autovacuum (if it runs at all) analyzes it; planned from stale
    statistics, the page lookup walked every record of the entity instead of probing the
    primary key. SQLite plans these statements by their shape and needs nothing.
    """
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE records")


@dataclass(frozen=True)
class ChangedRecord:
    key: str
    payload: str
    content_hash: str
    change_seq: int


def changes_since(conn: Connection, entity: str, after_seq: int, limit: int) -> list[ChangedRecord]:
    table = schema.records
    rows = conn.execute(
        select(table.c.key, table.c.payload, table.c.content_hash, table.c.change_seq)
        .where(table.c.entity == entity, table.c.change_seq > after_seq)
        .order_by(table.c.change_seq)
        .limit(limit)
    )
    sealer = sealer_of(conn)
    return [
        ChangedRecord(*open_record(sealer, key, payload), content_hash, seq)
        for key, payload, content_hash, seq in rows
    ]


def iter_hashes(conn: Connection, entity: str | None = None) -> Iterator[tuple[str, str, str]]:
    """(entity, key, content hash) of every record, in key order: for comparing two stores.

    A sealed store's keys are opened (and sorted here), so it compares equal to a clear one.
    """
    table = schema.records
    sealer = sealer_of(conn)
    columns = [table.c.entity, table.c.key, table.c.content_hash]
    if sealer is not None:
        columns.append(table.c.payload)
    query = select(*columns).order_by(table.c.entity, table.c.key)
    if entity is not None:
        query = query.where(table.c.entity == entity)
    if sealer is None:
        for row in conn.execute(query):
            yield row[0], row[1], row[2]
        return
    opened = [
        (row[0], open_record(sealer, row[1], row[3])[0], row[2]) for row in conn.execute(query)
    ]
    yield from sorted(opened)
