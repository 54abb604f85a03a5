"""Appending to the hash chain, inside the caller's transaction.

Each entry's hash covers its canonical form (:mod:`gateway.audit.hashing`), which includes its
sequence number and the previous entry's hash, so changing, inserting or removing any entry
breaks the chain at that point. Each entry is also sealed with the audit key
(:class:`gateway.audit.keys.Sealer`), so rewriting the chain from an edit onwards needs that key.

Appends take a lock before reading the head (PostgreSQL: an advisory transaction lock; SQLite:
the write lock that the store's ``BEGIN IMMEDIATE`` holds), so two writers never chain from the
same head; ``seq`` is the primary key, so even a writer that somehow read a stale head fails its
transaction instead of forking the chain.

Everything slow (masking, digests, archiving payloads) happens before the lock is taken. The
lock is held until the caller commits: append last in a transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, String, select, text

from gateway.audit.archive import PayloadArchive
from gateway.audit.events import AuditEvent
from gateway.audit.hashing import FORMAT_VERSION, GENESIS, body_digest, entry_hash
from gateway.audit.keys import KeyDigester, Sealer
from gateway.clock import utc_now_iso
from gateway.masking import redact_secrets, scrub_text, scrub_texts
from gateway.store import schema
from gateway.store.key_index import index_rows, insert_index

# Any fixed 64-bit number: the advisory lock that serialises appends on PostgreSQL.
_APPEND_LOCK = 7_411_020_223
_LENGTHS = {
    column.name: column.type.length
    for column in schema.audit_log.columns
    if isinstance(column.type, String) and column.type.length
}


def lock_head(conn: Connection) -> tuple[int, str]:
    """Take the append lock; answer the head's ``(seq, entry_hash)``, ``(0, GENESIS)`` if empty."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _APPEND_LOCK})
    table = schema.audit_log
    row = conn.execute(
        select(table.c.seq, table.c.entry_hash).order_by(table.c.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def chain_entries(
    conn: Connection,
    bodies: Sequence[Mapping[str, Any]],
    sealer: Sealer,
    clock: Callable[[], str] = utc_now_iso,
) -> list[int]:
    """Number, time-stamp, hash and seal ``bodies`` after the head; insert them and their index."""
    if not bodies:
        return []
    seq, prev = lock_head(conn)
    # Read the clock under the lock, so time never runs backwards along the chain.
    ts = clock()
    rows: list[dict[str, Any]] = []
    index: list[tuple[int, int, str]] = []
    for body in bodies:
        seq += 1
        row = {**body, "seq": seq, "format_version": FORMAT_VERSION, "ts": ts, "prev_hash": prev}
        row["entry_hash"] = prev = entry_hash(row)
        row["seal"] = sealer.seal(prev)
        rows.append(row)
        index.extend(index_rows(seq, orjson.loads(row["key_digests"])))
    conn.execute(schema.audit_log.insert(), rows)
    insert_index(conn, index)
    return [row["seq"] for row in rows]


class AuditLog:
    """Writes entries. ``key`` is the HMAC key for record-key digests (``audit.key``).

    With ``archive_dir``, exact request and response bodies are kept there, compressed;
    ``secrets`` are removed from endpoints and details like they are from logs.
    """

    def __init__(
        self,
        key: bytes,
        *,
        archive_dir: str | Path | None = None,
        secrets: Iterable[str] = (),
        clock: Callable[[], str] = utc_now_iso,
    ) -> None:
        self._digester = KeyDigester(key)
        self.sealer = Sealer(key)
        self.archive = PayloadArchive(archive_dir) if archive_dir is not None else None
        self._secrets = tuple(secrets)
        self._clock = clock

    def key_digest(self, record_key: str) -> str:
        """The digest that ``audit trace`` looks a key up by (and the dead-letter queue keeps)."""
        return self._digester.digest(record_key)

    def _text(self, name: str, value: str | None) -> str | None:
        if not value:
            return None
        cleaned = redact_secrets(scrub_text(str(value)), self._secrets)
        limit = _LENGTHS.get(name)
        return cleaned[:limit] if limit else cleaned

    def _body(self, body: bytes) -> str | None:
        return self.archive.put(body) if self.archive is not None else body_digest(body)

    def entry_body(self, event: AuditEvent) -> dict[str, Any]:
        """The entry's columns except numbering, time and hashes; nothing raw survives here."""
        # A page's keys are masked, scrubbed and digested together: thousands per entry.
        masker = event.key_masker
        masked = scrub_texts(
            [masker(key) for key in event.record_keys] + [key.masked for key in event.digested_keys]
        )
        digests = {key.digest for key in event.digested_keys}
        digests |= self._digester.digests_for_all(event.record_keys)
        count = event.record_count if event.record_count is not None else len(masked)
        duration = round(event.duration_ms, 3) if event.duration_ms is not None else None
        mapping = event.mapping
        return {
            "kind": str(event.kind),
            "run_id": self._text("run_id", event.run_id),
            "job": self._text("job", event.job),
            "platform": self._text("platform", event.platform),
            "direction": self._text("direction", event.direction),
            "operation": self._text("operation", event.operation),
            "endpoint": self._text("endpoint", event.endpoint),
            "attempt": event.attempt,
            "http_status": event.http_status,
            "business_code": self._text("business_code", event.business_code),
            "duration_ms": duration,
            "record_count": count,
            "record_keys": orjson.dumps(masked).decode(),
            "key_digests": orjson.dumps(sorted(digests)).decode(),
            "request_digest": self._body(event.request_body),
            "response_digest": self._body(event.response_body),
            "mapping": self._text("mapping", mapping.name) if mapping else None,
            "mapping_version": mapping.version if mapping else None,
            "mapping_digest": self._text("mapping_digest", mapping.digest) if mapping else None,
            "outcome": self._text("outcome", str(event.outcome)),
            "detail": self._text("detail", event.detail),
        }

    def append(self, conn: Connection, events: Sequence[AuditEvent]) -> list[int]:
        """Chain ``events`` after the current head, in the caller's transaction; their seqs."""
        return self.write(conn, self.prepare(events))

    def prepare(self, events: Sequence[AuditEvent]) -> list[dict[str, Any]]:
        """The entries' bodies, composed outside any transaction (masking, digests)."""
        return [self.entry_body(event) for event in events]

    def write(self, conn: Connection, bodies: Sequence[Mapping[str, Any]]) -> list[int]:
        """Chain prepared bodies after the current head, in the caller's transaction."""
        return chain_entries(conn, bodies, self.sealer, self._clock)
