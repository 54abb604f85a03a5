"""Appending to the hash chain, inside the caller's transaction.

Each entry's hash covers its canonical JSON form, which includes the previous entry's hash, so
changing or removing any entry breaks every hash after it. Appends take a lock first
(PostgreSQL: an advisory transaction lock; SQLite: the write lock of BEGIN IMMEDIATE), so two
writers never read the same head and fork the chain.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection, select, text

from gateway.audit.events import FORMAT_VERSION, AuditEvent
from gateway.clock import utc_now_iso
from gateway.store import schema

GENESIS = "0" * 64
# Any fixed 64-bit number: the advisory lock that serialises appends on PostgreSQL.
_APPEND_LOCK = 7_411_020_223
# Columns covered by the entry hash, in this order; a new format version may add some.
HASHED_COLUMNS = (
    "seq", "format_version", "ts", "kind", "run_id", "job", "platform", "direction",
    "operation", "endpoint", "attempt", "http_status", "business_code", "duration_ms",
    "record_count", "record_keys", "key_digests", "request_digest", "response_digest",
    "mapping", "mapping_version", "mapping_digest", "outcome", "detail", "prev_hash",
)  # fmt: skip


def entry_hash(row: dict[str, Any]) -> str:
    canonical = orjson.dumps({name: row.get(name) for name in HASHED_COLUMNS})
    return hashlib.sha256(canonical).hexdigest()


def body_digest(body: bytes) -> str | None:
    return hashlib.sha256(body).hexdigest() if body else None


class AuditLog:
    """Writes entries; ``key`` is the HMAC key for record-key digests (from the config)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def key_digest(self, record_key: str) -> str:
        return hmac.new(self._key, record_key.encode(), hashlib.sha256).hexdigest()[:32]

    def _head(self, conn: Connection) -> tuple[int, str]:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})
        table = schema.audit_log
        row = conn.execute(
            select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)
        ).first()
        return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))

    def build_row(self, event: AuditEvent, seq: int, prev_hash: str, ts: str) -> dict[str, Any]:
        digests = [self.key_digest(key) for key in event.record_keys]
        row: dict[str, Any] = {
            "seq": seq,
            "format_version": FORMAT_VERSION,
            "ts": ts,
            "kind": event.kind,
            "run_id": event.run_id,
            "job": event.job,
            "platform": event.platform,
            "direction": event.direction,
            "operation": event.operation,
            "endpoint": event.endpoint,
            "attempt": event.attempt,
            "http_status": event.http_status,
            "business_code": event.business_code,
            "duration_ms": event.duration_ms,
            "record_count": len(event.record_keys),
            "record_keys": orjson.dumps([event.key_masker(k) for k in event.record_keys]).decode(),
            "key_digests": orjson.dumps(digests).decode(),
            "request_digest": body_digest(event.request_body),
            "response_digest": body_digest(event.response_body),
            "mapping": event.mapping.name if event.mapping else None,
            "mapping_version": event.mapping.version if event.mapping else None,
            "mapping_digest": event.mapping.digest if event.mapping else None,
            "outcome": event.outcome,
            "detail": event.detail,
            "prev_hash": prev_hash,
        }
        row["entry_hash"] = entry_hash(row)
        return row

    def append(self, conn: Connection, events: Sequence[AuditEvent]) -> list[int]:
        """Chain ``events`` after the current head, in the caller's transaction."""
        if not events:
            return []
        seq, prev = self._head(conn)
        ts = utc_now_iso()
        rows = []
        index = []
        for event in events:
            seq += 1
            row = self.build_row(event, seq, prev, ts)
            prev = row["entry_hash"]
            rows.append(row)
            index.extend({"digest": d, "seq": seq} for d in set(orjson.loads(row["key_digests"])))
        conn.execute(schema.audit_log.insert(), rows)
        if index:
            conn.execute(schema.audit_key_index.insert(), index)
        return [row["seq"] for row in rows]
