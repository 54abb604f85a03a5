"""Pruning entries past retention, leaving what remains verifiable.

Retention is at least 180 days (等保 2.0 practice, enforced by the configuration), and a prune
refuses any date younger than the configured retention. It removes the oldest run of entries
strictly older than the date, and only from a chain that verifies, so a prune can never be used
to destroy evidence of tampering. It then appends a ``prune_checkpoint`` entry recording the seq
and hash of the last removed entry: verification starts from that anchor, and the checkpoint is
itself chained, so a forged anchor breaks the chain like any other edit.

The append-only trigger is lifted for the DELETE and restored within the same transaction
(:func:`gateway.audit.guard.deletes_allowed`); an UPDATE is refused throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from gateway.audit.chain import chain_entries, lock_head
from gateway.audit.events import Kind, current_actor, detail_json
from gateway.audit.guard import deletes_allowed
from gateway.audit.hashing import HASHED_COLUMNS
from gateway.audit.keys import Sealer
from gateway.audit.query import as_utc
from gateway.audit.verify import verify_chain
from gateway.clock import to_iso, utc_now, utc_now_iso
from gateway.errors import AuditError, ConfigError
from gateway.store import schema


@dataclass
class PruneReport:
    removed: int = 0
    pruned_through: int | None = None
    anchor_hash: str | None = None
    checkpoint_seq: int | None = None
    # Archived bodies no remaining entry refers to: remove them once the transaction commits.
    unreferenced_payloads: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def latest_allowed(retention_days: int, now: datetime | None = None) -> datetime:
    """The youngest ``before`` a prune accepts."""
    return (now or utc_now()) - timedelta(days=retention_days)


def _unreferenced_payloads(conn: Connection, through: int) -> list[str]:
    log = schema.audit_log
    bodies = select(log.c.request_digest, log.c.response_digest)
    pruned = {
        digest
        for pair in conn.execute(bodies.where(log.c.seq <= through))
        for digest in pair
        if digest
    }
    if not pruned:
        return []
    kept = bodies.where(log.c.seq > through).execution_options(yield_per=2000)
    for pair in conn.execute(kept):
        pruned.difference_update(pair)
    return sorted(pruned)


def prune(
    conn: Connection,
    before: datetime | date,
    retention_days: int,
    *,
    sealer: Sealer,
    now: datetime | None = None,
    actor: str | None = None,
    clock: Callable[[], str] = utc_now_iso,
) -> PruneReport:
    """Remove entries older than ``before``, in the caller's transaction; see the module doc.

    ``sealer`` (the writer's, ``AuditLog.sealer``) checks the seals before anything is removed
    and seals the checkpoint.
    """
    cutoff = as_utc(before)
    limit = latest_allowed(retention_days, as_utc(now) if now else None)
    if cutoff > limit:
        raise ConfigError(
            "refusing to prune entries younger than the retention period",
            before=to_iso(cutoff),
            retention_days=retention_days,
            latest_allowed=to_iso(limit),
        )
    head_seq, _head = lock_head(conn)
    check = verify_chain(conn, sealer=sealer, check_index=False)
    if not check.ok:
        first = check.first_problem
        raise AuditError(
            "the chain does not verify; pruning would destroy the evidence",
            first_bad_seq=first.seq if first else None,
        )
    log = schema.audit_log
    first_kept = conn.execute(select(func.min(log.c.seq)).where(log.c.ts >= to_iso(cutoff)))
    first_kept_seq = first_kept.scalar()
    through = int(first_kept_seq) - 1 if first_kept_seq is not None else head_seq
    if check.first_seq is None or through < check.first_seq:
        return PruneReport()
    anchor = str(conn.execute(select(log.c.entry_hash).where(log.c.seq == through)).scalar_one())
    payloads = _unreferenced_payloads(conn, through)
    with deletes_allowed(conn):
        removed = conn.execute(log.delete().where(log.c.seq <= through)).rowcount
    conn.execute(schema.audit_key_index.delete().where(schema.audit_key_index.c.seq <= through))
    detail = {
        "pruned_through": through,
        "anchor_hash": anchor,
        "removed": removed,
        "before": to_iso(cutoff),
        "retention_days": retention_days,
        "actor": actor or current_actor(),
    }
    body = dict.fromkeys(HASHED_COLUMNS) | {
        "kind": Kind.PRUNE_CHECKPOINT.value,
        "operation": "prune",
        "record_count": 0,
        "record_keys": "[]",
        "key_digests": "[]",
        "outcome": "ok",
        "detail": detail_json(detail),
    }
    [checkpoint] = chain_entries(conn, [body], sealer, clock)
    return PruneReport(removed, through, anchor, checkpoint, payloads)
