"""What was sent to which target, under which idempotency key, and what it answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, bindparam, select, update

from gateway.clock import utc_now_iso
from gateway.store import schema
from gateway.store.crypto import open_value, sealer_of

# Outbox states: 'sending' is written and committed BEFORE the request leaves, so after a crash
# the gateway knows the outcome is unknown and asks (or resends with the same key).
SENDING = "sending"
ACCEPTED = "accepted"
REJECTED = "rejected"


@dataclass(frozen=True)
class OutboxEntry:
    idempotency_key: str
    record_key: str
    content_hash: str
    change_seq: int


def known_states(conn: Connection, job: str, keys: Sequence[str]) -> dict[str, str]:
    table = schema.outbox
    found: dict[str, str] = {}
    for start in range(0, len(keys), 900):
        rows = conn.execute(
            select(table.c.idempotency_key, table.c.status).where(
                table.c.job == job, table.c.idempotency_key.in_(keys[start : start + 900])
            )
        )
        found.update((k, s) for k, s in rows)
    return found


def stored_key(conn: Connection, job: str, record_key: str) -> str:
    """The ``record_key`` column's value: the key, or its keyed digest in a sealed store."""
    sealer = sealer_of(conn)
    return record_key if sealer is None else sealer.digest(f"outbox\n{job}", record_key)


def accepted_before(conn: Connection, job: str, record_keys: Sequence[str]) -> set[str]:
    """Record keys that the target accepted in some earlier version."""
    table = schema.outbox
    by_stored = {stored_key(conn, job, key): key for key in record_keys}
    stored = list(by_stored)
    found: set[str] = set()
    for start in range(0, len(stored), 900):
        rows = conn.execute(
            select(table.c.record_key).where(
                table.c.job == job,
                table.c.status == ACCEPTED,
                table.c.record_key.in_(stored[start : start + 900]),
            )
        )
        found.update(by_stored[k] for (k,) in rows)
    return found


def accepted_keys(conn: Connection, jobs: Sequence[str]) -> list[str]:
    """The record keys (in clear) the targets of ``jobs`` accepted: for reports."""
    if not jobs:
        return []
    table = schema.outbox
    sealer = sealer_of(conn)
    rows = conn.execute(
        select(table.c.record_key, table.c.sealed_key).where(
            table.c.job.in_(jobs), table.c.status == ACCEPTED
        )
    )
    return [key if sealed is None else open_value(sealer, sealed) for key, sealed in rows]


def mark_sending(conn: Connection, job: str, entries: Sequence[OutboxEntry]) -> None:
    if not entries:
        return
    now = utc_now_iso()
    existing = known_states(conn, job, [e.idempotency_key for e in entries])
    fresh = [e for e in entries if e.idempotency_key not in existing]
    sealer = sealer_of(conn)
    if fresh:
        conn.execute(
            schema.outbox.insert(),
            [
                {
                    "job": job,
                    "idempotency_key": e.idempotency_key,
                    "record_key": stored_key(conn, job, e.record_key),
                    "sealed_key": None if sealer is None else sealer.seal_text(e.record_key),
                    "content_hash": e.content_hash,
                    "change_seq": e.change_seq,
                    "status": SENDING,
                    "attempts": 0,
                    "first_sent_at": now,
                }
                for e in fresh
            ],
        )
    table = schema.outbox
    conn.execute(
        update(table)
        .where(table.c.job == job, table.c.idempotency_key == bindparam("b_key"))
        .values(attempts=table.c.attempts + 1, last_sent_at=now),
        [{"b_key": e.idempotency_key} for e in entries],
    )


def record_outcomes(
    conn: Connection,
    job: str,
    outcomes: Sequence[tuple[str, str, str | None, str | None, str | None]],
) -> None:
    """``outcomes``: (idempotency key, status, receipt, code, reason)."""
    if not outcomes:
        return
    table = schema.outbox
    conn.execute(
        update(table)
        .where(table.c.job == job, table.c.idempotency_key == bindparam("b_key"))
        .values(
            status=bindparam("b_status"),
            receipt=bindparam("b_receipt"),
            code=bindparam("b_code"),
            reason=bindparam("b_reason"),
        ),
        [
            {"b_key": k, "b_status": s, "b_receipt": r, "b_code": c, "b_reason": why}
            for k, s, r, c, why in outcomes
        ],
    )
