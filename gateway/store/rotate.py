"""Sealing a store again under the current data key: a key rotation, or a clear store's first.

Every sealed or clear value not yet under the current key is rewritten, a batch per
transaction: interrupted, the next run starts over and skips what is already done, so the
rotation is resumable. Record keys keep their digests (the index key outlives data keys); a
clear store's keys become digests. When nothing is left under an older key, it is retired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from gateway.store import schema
from gateway.store.crypto import Sealer, is_sealed, key_id_of, open_value
from gateway.store.engine import Store
from gateway.store.keyring import needed_keys, retire_key
from gateway.store.keyset import keyset_pages
from gateway.store.outbox import stored_key as outbox_key
from gateway.store.records import open_record, stored_key

BATCH = 500


@dataclass
class RotationReport:
    """How many values each table had rewritten, and the keys retired."""

    rewritten: dict[str, int] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rewritten": self.rewritten, "retired": self.retired}


def _stale(sealer: Sealer, value: str | None) -> bool:
    """Not yet sealed with the current key (clear, or under an older key)."""
    if value is None:
        return False
    return not is_sealed(value) or key_id_of(value) != sealer.current.id


def _batches(store: Store, query: Any, stale: Callable[[Any], bool]) -> Iterator[list[Any]]:
    """Stale rows of ``query``, a batch at a time, each batch read afresh (resumable)."""
    last: Any = None
    while True:
        with store.connect() as conn:
            rows = list(conn.execute(query(last)))
        if not rows:
            return
        last = rows[-1]
        batch = [row for row in rows if stale(row)]
        if batch:
            yield batch


def rotate(store: Store) -> RotationReport:
    """Rewrite everything under the store's current data key; retire keys left unused."""
    sealer = store.sealer
    assert sealer is not None, "rotate needs a sealer"
    report = RotationReport()
    report.rewritten["records"] = _records(store, sealer)
    report.rewritten["dead_letters"] = _dead_letters(store, sealer)
    report.rewritten["checkpoints"] = _checkpoints(store, sealer)
    report.rewritten["outbox"] = _outbox(store, sealer)
    with store.transaction() as conn:
        for key_id in needed_keys(conn):
            if key_id != sealer.current.id:
                retire_key(conn, key_id)
                report.retired.append(key_id)
    return report


def _records(store: Store, sealer: Sealer) -> int:
    table = schema.records

    query = keyset_pages(table, ("entity", "key", "payload"), ("entity", "key"), BATCH)

    done = 0
    for batch in _batches(store, query, lambda row: _stale(sealer, row.payload)):
        with store.transaction() as conn:
            for row in batch:
                key, payload = open_record(sealer, row.key, row.payload)
                conn.execute(
                    update(table)
                    .where(table.c.entity == row.entity, table.c.key == row.key)
                    .values(
                        key=stored_key(conn, row.entity, key),
                        payload=sealer.seal_text(key + "\x00" + payload),
                    )
                )
        done += len(batch)
    return done


def _dead_letters(store: Store, sealer: Sealer) -> int:
    table = schema.dead_letters

    query = keyset_pages(table, ("id", "raw"), ("id",), BATCH)

    done = 0
    for batch in _batches(store, query, lambda row: _stale(sealer, row.raw)):
        with store.transaction() as conn:
            for row in batch:
                raw = sealer.seal_text(open_value(sealer, row.raw))
                conn.execute(update(table).where(table.c.id == row.id).values(raw=raw))
        done += len(batch)
    return done


def _checkpoints(store: Store, sealer: Sealer) -> int:
    table = schema.checkpoints

    query = keyset_pages(table, ("job", "cursor"), ("job",), BATCH)

    done = 0
    for batch in _batches(store, query, lambda row: _stale(sealer, row.cursor)):
        with store.transaction() as conn:
            for row in batch:
                cursor = sealer.seal_text(open_value(sealer, row.cursor))
                conn.execute(update(table).where(table.c.job == row.job).values(cursor=cursor))
        done += len(batch)
    return done


def _outbox(store: Store, sealer: Sealer) -> int:
    table = schema.outbox

    query = keyset_pages(
        table,
        ("job", "idempotency_key", "record_key", "sealed_key"),
        ("job", "idempotency_key"),
        BATCH,
    )

    def stale(row: Any) -> bool:
        return row.sealed_key is None or _stale(sealer, row.sealed_key)

    done = 0
    for batch in _batches(store, query, stale):
        with store.transaction() as conn:
            for row in batch:
                clear = (
                    row.record_key if row.sealed_key is None else open_value(sealer, row.sealed_key)
                )
                conn.execute(
                    update(table)
                    .where(table.c.job == row.job, table.c.idempotency_key == row.idempotency_key)
                    .values(
                        record_key=outbox_key(conn, row.job, clear),
                        sealed_key=sealer.seal_text(clear),
                    )
                )
        done += len(batch)
    return done
