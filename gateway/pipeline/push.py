"""A push run: canonical changes by change number, mapped, sent once each (outbox)."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from gateway.adapter import CURSOR_VERSION, OutgoingRecord, PushOutcome, PushStatus, PushStream
from gateway.errors import PermanentError, StoreError
from gateway.mapping.result import FieldIssue
from gateway.masking import scrub_text
from gateway.pipeline.context import RunContext, key_masker
from gateway.store import outbox
from gateway.store.dlq import DeadLetter, add_dead_letters
from gateway.store.records import ChangedRecord, changes_since


def idempotency_key(job: str, record_key: str, content_hash: str) -> str:
    """Same job, record and content → same key, so a resend is recognised by the target."""
    return hashlib.sha256(f"{job}\n{record_key}\n{content_hash}".encode()).hexdigest()[:32]


def _load_seq(run: RunContext) -> int:
    cursor = run.store.load_checkpoint(run.job_name)
    if cursor is None:
        return 0
    if cursor.get("v") != CURSOR_VERSION or not isinstance(cursor.get("seq"), int):
        raise StoreError("push checkpoint has an unknown format", job=run.job_name)
    return int(cursor["seq"])


class _Batch:
    """One batch of changes on its way out, and everything learned about it."""

    def __init__(self, run: RunContext, changes: list[ChangedRecord]) -> None:
        self.run = run
        self.changes = changes
        self.masker = key_masker(run.mapping)
        self.outgoing: dict[str, OutgoingRecord] = {}
        self.entries: dict[str, outbox.OutboxEntry] = {}
        self.letters: list[DeadLetter] = []
        self.skipped = 0
        for change in changes:
            self._prepare(change)

    def _prepare(self, change: ChangedRecord) -> None:
        canonical: dict[str, Any] = orjson.loads(change.payload)
        result = self.run.mapping.map(canonical)
        if not result.ok or result.record is None:
            self.letters.append(self._letter(change, canonical, result.errors))
            return
        key = idempotency_key(self.run.job_name, change.key, change.content_hash)
        self.outgoing[key] = OutgoingRecord(change.key, key, result.record)
        self.entries[key] = outbox.OutboxEntry(
            key, change.key, change.content_hash, change.change_seq
        )

    def _letter(
        self, change: ChangedRecord, raw: dict[str, Any], reasons: list[FieldIssue]
    ) -> DeadLetter:
        return DeadLetter(
            source=f"store:{self.run.mapping.entity}#{change.change_seq}",
            raw=raw,
            reasons=reasons,
            record_key=self.masker(change.key),
            key_digest=self.run.audit.key_digest(change.key),
        )


def _send(run: RunContext, stream: PushStream, batch: _Batch) -> dict[str, PushOutcome]:
    with run.store.transaction() as conn:
        states = outbox.known_states(conn, run.job_name, list(batch.entries))
        done = {k for k, s in states.items() if s in (outbox.ACCEPTED, outbox.REJECTED)}
        batch.skipped = len(done)
        pending = [e for k, e in batch.entries.items() if k not in done]
        outbox.mark_sending(conn, run.job_name, pending)
    outcomes: dict[str, PushOutcome] = {}
    in_doubt = [
        e.idempotency_key for e in pending if states.get(e.idempotency_key) == outbox.SENDING
    ]
    if in_doubt:
        answers = stream.lookup(run.stream_ctx, in_doubt) or []
        outcomes.update(
            (o.idempotency_key, o) for o in answers if o.status is not PushStatus.UNKNOWN
        )
    to_send = [
        batch.outgoing[e.idempotency_key] for e in pending if e.idempotency_key not in outcomes
    ]
    if to_send:
        outcomes.update((o.idempotency_key, o) for o in stream.send(run.stream_ctx, to_send))
    missing = [
        e
        for e in pending
        if outcomes.get(e.idempotency_key) is None
        or outcomes[e.idempotency_key].status is PushStatus.UNKNOWN
    ]
    if missing:
        raise PermanentError(
            "the target did not say what became of some records", count=len(missing)
        )
    return outcomes


def _commit(run: RunContext, batch: _Batch, outcomes: dict[str, PushOutcome]) -> None:
    accepted = [o for o in outcomes.values() if o.status is PushStatus.ACCEPTED]
    rejected = [o for o in outcomes.values() if o.status is PushStatus.REJECTED]
    for outcome in rejected:
        entry = batch.entries[outcome.idempotency_key]
        change = next(c for c in batch.changes if c.change_seq == entry.change_seq)
        reason = FieldIssue(
            "(platform)", outcome.code or "rejected", None, scrub_text(outcome.reason or "")
        )
        batch.letters.append(batch._letter(change, orjson.loads(change.payload), [reason]))
    exchanges = run.recorder.drain()
    with run.store.transaction() as conn:
        updates = outbox.accepted_before(
            conn, run.job_name, [batch.entries[o.idempotency_key].record_key for o in accepted]
        )
        outbox.record_outcomes(
            conn,
            run.job_name,
            [
                (o.idempotency_key, o.status.value, o.receipt, o.code, o.reason)
                for o in outcomes.values()
            ],
        )
        add_dead_letters(conn, run.job_name, run.run_id, run.mapping.entity, batch.letters)
        run.store.save_checkpoint(
            conn,
            run.job_name,
            {"v": CURSOR_VERSION, "seq": batch.changes[-1].change_seq},
            run.run_id,
        )
        run.audit.append(conn, run.exchange_events(exchanges))
        updated = sum(1 for o in accepted if batch.entries[o.idempotency_key].record_key in updates)
        counts = {
            "read": len(batch.changes),
            "inserted": len(accepted) - updated,
            "updated": updated,
            "unchanged": batch.skipped,
            "rejected": len(batch.letters),
            "retried": sum(1 for ex in exchanges if ex.outcome == "retry"),
        }
        run.commit_counts(conn, counts)
    run.counted(counts)
    run.checkpoint_if_due()
    run.report()


def run_push(run: RunContext, stream: PushStream) -> None:
    seq = _load_seq(run)
    try:
        while not run.stop.is_set():
            with run.store.connect() as conn:
                changes = changes_since(conn, run.mapping.entity, seq, run.job.batch_size)
            if not changes:
                return
            batch = _Batch(run, changes)
            outcomes = _send(run, stream, batch) if batch.entries else {}
            _commit(run, batch, outcomes)
            seq = changes[-1].change_seq
    finally:
        stream.close(run.stream_ctx)
