"""What the runtime hands to the exchange log before it is masked, digested and chained.

``AuditEvent.from_exchange`` covers HTTP attempts and file operations; the helpers below build
the other kinds of entry (run start and end, dead-letter replays and discards), so each kind's
``detail`` has one shape. Prune checkpoints are written by :mod:`gateway.audit.prune` alone.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import orjson

from gateway.adapter import Exchange
from gateway.errors import AuditError
from gateway.masking import scrub_text


class Kind(StrEnum):
    EXCHANGE = "exchange"
    RUN_START = "run_start"
    RUN_END = "run_end"
    DLQ_REPLAY = "dlq_replay"
    DLQ_DISCARD = "dlq_discard"
    PRUNE_CHECKPOINT = "prune_checkpoint"
    OPERATOR_ACTION = "operator_action"
    RECONCILE = "reconcile"
    CONSOLE = "console"


@dataclass(frozen=True)
class MappingRef:
    name: str
    version: int
    digest: str


@dataclass(frozen=True)
class DigestedKey:
    """A record key already masked and digested, as the dead-letter queue keeps it."""

    masked: str
    digest: str


@dataclass
class AuditEvent:
    """One entry-to-be. ``record_keys`` are raw: the log masks and digests them, never stores them.

    ``record_count`` defaults to the number of keys; set it when a page's count is known but its
    keys are not listed.
    """

    kind: str
    outcome: str
    run_id: str | None = None
    job: str | None = None
    platform: str | None = None
    direction: str | None = None
    operation: str | None = None
    endpoint: str | None = None
    attempt: int | None = None
    http_status: int | None = None
    business_code: str | None = None
    duration_ms: float | None = None
    record_count: int | None = None
    record_keys: list[str] = field(default_factory=list)
    digested_keys: list[DigestedKey] = field(default_factory=list)
    key_masker: Callable[[str], str] = scrub_text
    request_body: bytes = b""
    response_body: bytes = b""
    mapping: MappingRef | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in {kind.value for kind in Kind}:
            raise AuditError("unknown audit entry kind", kind=self.kind)
        if self.kind == Kind.PRUNE_CHECKPOINT:
            # Verification trusts a checkpoint's anchor; only a prune that checked the chain
            # may write one.
            raise AuditError("prune checkpoints are written by prune alone")
        if not self.outcome:
            raise AuditError("an audit entry needs an outcome", kind=self.kind)

    @classmethod
    def from_exchange(
        cls,
        exchange: Exchange,
        *,
        run_id: str,
        job: str,
        mapping: MappingRef | None,
        key_masker: Callable[[str], str] = scrub_text,
    ) -> AuditEvent:
        return cls(
            kind=Kind.EXCHANGE,
            outcome=exchange.outcome,
            run_id=run_id,
            job=job,
            platform=exchange.platform,
            direction=exchange.direction.value,
            operation=exchange.operation,
            endpoint=exchange.endpoint,
            attempt=exchange.attempt,
            http_status=exchange.http_status,
            business_code=exchange.business_code,
            duration_ms=exchange.duration_ms,
            record_count=max(exchange.record_count, len(exchange.record_keys)),
            record_keys=list(exchange.record_keys),
            key_masker=key_masker,
            request_body=exchange.request_body,
            response_body=exchange.response_body,
            mapping=mapping,
            detail=exchange.error if exchange.error is not None else exchange.detail,
        )


def detail_json(values: Mapping[str, Any]) -> str | None:
    """A structured ``detail``: compact JSON, keys sorted, ``None`` values left out."""
    present = {k: v for k, v in values.items() if v is not None}
    return orjson.dumps(present, option=orjson.OPT_SORT_KEYS).decode() if present else None


def current_actor() -> str:
    """Who ran a manual action (replay, discard, prune): the operating-system user."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def run_start_event(
    *,
    run_id: str,
    job: str,
    platform: str | None = None,
    direction: str | None = None,
    mapping: MappingRef | None = None,
    instance: str | None = None,
) -> AuditEvent:
    return AuditEvent(
        kind=Kind.RUN_START,
        outcome="started",
        run_id=run_id,
        job=job,
        platform=platform,
        direction=direction,
        mapping=mapping,
        detail=detail_json({"instance": instance}),
    )


def run_end_event(
    *,
    run_id: str,
    job: str,
    status: str,
    counts: Mapping[str, int],
    platform: str | None = None,
    direction: str | None = None,
    mapping: MappingRef | None = None,
    duration_ms: float | None = None,
    error: str | None = None,
) -> AuditEvent:
    """``status`` is the run's outcome (succeeded, failed, interrupted…); ``counts`` its totals."""
    return AuditEvent(
        kind=Kind.RUN_END,
        outcome=status,
        run_id=run_id,
        job=job,
        platform=platform,
        direction=direction,
        mapping=mapping,
        duration_ms=duration_ms,
        record_count=int(counts.get("read", 0)),
        detail=detail_json({"counts": dict(counts), "error": error}),
    )


def _dlq_event(
    kind: Kind,
    job: str,
    letter_ids: Sequence[int],
    keys: Sequence[DigestedKey],
    values: Mapping[str, Any],
    run_id: str | None,
    actor: str | None,
) -> AuditEvent:
    return AuditEvent(
        kind=kind,
        outcome="ok",
        run_id=run_id,
        job=job,
        operation=kind.value,
        record_count=len(letter_ids),
        digested_keys=list(keys),
        detail=detail_json(
            {"dead_letters": list(letter_ids), "actor": actor or current_actor(), **values}
        ),
    )


def dlq_replay_event(
    *,
    job: str,
    letter_ids: Sequence[int],
    keys: Sequence[DigestedKey] = (),
    replayed: int | None = None,
    still_rejected: int | None = None,
    run_id: str | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Dead letters sent through the mapping again; ``keys`` as the queue holds them."""
    values = {"replayed": replayed, "still_rejected": still_rejected}
    return _dlq_event(Kind.DLQ_REPLAY, job, letter_ids, keys, values, run_id, actor)


def dlq_discard_event(
    *,
    job: str,
    letter_ids: Sequence[int],
    keys: Sequence[DigestedKey] = (),
    reason: str | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Dead letters given up on, with the operator's reason."""
    return _dlq_event(Kind.DLQ_DISCARD, job, letter_ids, keys, {"reason": reason}, None, actor)


def operator_event(
    *, job: str, action: str, values: Mapping[str, Any], actor: str | None = None
) -> AuditEvent:
    """An operator changed what a job will do (a file admitted again, a position changed)."""
    return AuditEvent(
        kind=Kind.OPERATOR_ACTION,
        outcome="ok",
        job=job,
        operation=action,
        detail=detail_json({"actor": actor or current_actor(), **values}),
    )


def console_event(
    *,
    action: str,
    outcome: str,
    actor: str,
    values: Mapping[str, Any] | None = None,
    keys: Sequence[DigestedKey] = (),
) -> AuditEvent:
    """A sign-in (or its failure) or a trace query in the web console; a trace carries the
    digest of the value asked for, never the value."""
    return AuditEvent(
        kind=Kind.CONSOLE,
        outcome=outcome,
        operation=action,
        record_count=len(keys),
        digested_keys=list(keys),
        detail=detail_json({"actor": actor, **(values or {})}),
    )


def reconcile_event(
    *,
    job: str,
    reconciliation_id: str,
    outcome: str,
    counts: Mapping[str, Any],
    record_keys: Sequence[str] = (),
    key_masker: Callable[[str], str] = scrub_text,
    platform: str | None = None,
    direction: str | None = None,
    operation: str | None = None,
    duration_ms: float | None = None,
    error: str | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """A reconciliation of a job with its platform: what it found (``counts``) and the keys
    that differ (raw: the log masks and digests them). ``outcome`` is ``consistent``,
    ``differences`` or ``failed``."""
    return AuditEvent(
        kind=Kind.RECONCILE,
        outcome=outcome,
        run_id=reconciliation_id,
        job=job,
        platform=platform,
        direction=direction,
        operation=operation,
        duration_ms=duration_ms,
        record_keys=list(record_keys),
        key_masker=key_masker,
        detail=detail_json(
            {"counts": dict(counts), "error": error, "actor": actor or current_actor()}
        ),
    )
