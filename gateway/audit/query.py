"""Reading the log: one entry, a filtered search, and a trace by record key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import orjson
from sqlalchemy import Connection, select

from gateway.audit.keys import KeyDigester
from gateway.clock import to_iso
from gateway.errors import ConfigError
from gateway.store import schema
from gateway.store.key_index import candidate_seqs

_CHUNK = 500  # entries fetched per statement: well inside every driver's parameter limit


def as_utc(moment: datetime | date) -> datetime:
    """A date is its midnight UTC; a naive time is taken as UTC, like every stored time."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time(), tzinfo=UTC)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_moment(text: str) -> datetime:
    """``2025-03-01``, ``2025-03-01T08:00``, ``2025-03-01T08:00+08:00`` or ``…Z``, as UTC."""
    try:
        return as_utc(datetime.fromisoformat(text.strip().replace("Z", "+00:00")))
    except ValueError:
        raise ConfigError(
            "not a date or time (use YYYY-MM-DD or an ISO 8601 time)", value=text
        ) from None


def get_entry(conn: Connection, seq: int) -> dict[str, Any] | None:
    row = conn.execute(select(schema.audit_log).where(schema.audit_log.c.seq == seq)).first()
    return dict(row._mapping) if row is not None else None


@dataclass(frozen=True)
class SearchFilter:
    job: str | None = None
    platform: str | None = None
    direction: str | None = None
    outcome: str | None = None
    kind: str | None = None
    run_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search(conn: Connection, where: SearchFilter, limit: int = 100) -> list[dict[str, Any]]:
    """Matching entries, newest first, at most ``limit``."""
    log = schema.audit_log
    query = select(log).order_by(log.c.seq.desc()).limit(limit)
    for name in ("job", "platform", "direction", "outcome", "kind", "run_id"):
        value = getattr(where, name)
        if value is not None:
            query = query.where(log.c[name] == value)
    if where.since is not None:
        query = query.where(log.c.ts >= to_iso(as_utc(where.since)))
    if where.until is not None:
        query = query.where(log.c.ts < to_iso(as_utc(where.until)))
    return [dict(row._mapping) for row in conn.execute(query)]


def trace(conn: Connection, digester: KeyDigester, record_key: str) -> list[dict[str, Any]]:
    """Every entry that carried ``record_key`` (alone or inside a composite key), oldest first.

    The index finds candidates; each is confirmed against the digests its entry carries (which
    the chain protects), so a forged index row cannot add an entry to a trace.
    """
    digest = digester.digest(record_key)
    log = schema.audit_log
    found: list[dict[str, Any]] = []
    candidates = candidate_seqs(conn, digest)
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        query = select(log).where(log.c.seq.in_(chunk)).order_by(log.c.seq)
        found.extend(
            dict(row._mapping)
            for row in conn.execute(query)
            if digest in orjson.loads(row._mapping["key_digests"])
        )
    return found
