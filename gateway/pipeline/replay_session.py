"""What a dead-letter replay shares between pull and push letters (a leaf of both).

One :class:`ReplaySession` per replay: its id, which ties the replay's audit entries together,
its audit log, and :meth:`ReplaySession.apply`, which writes a chunk's letter changes and their
audit entries. :mod:`gateway.pipeline.replay` (pull letters) and
:mod:`gateway.pipeline.replay_push` (push letters) build on it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from gateway.audit import (
    AuditEvent,
    AuditLog,
    DigestedKey,
    audit_log_from_config,
    dlq_discard_event,
    dlq_replay_event,
)
from gateway.config import GatewayConfig
from gateway.mapping import CompiledMapping, FieldIssue
from gateway.pipeline.context import key_masker
from gateway.store import Store
from gateway.store.dlq import Letter, mark_discarded, mark_replayed, mark_still_failing
from gateway.store.records import RecordRow

SUPERSEDED = "superseded: the store holds a newer version of this record"


@dataclass
class ReplayResult:
    """What one replay did for one job, by letter id."""

    job: str
    replayed: list[int] = field(default_factory=list)
    still_failing: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    not_configured: int = 0
    # The run that read whole inputs (files) again, when there were any.
    reread_run: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "replayed": len(self.replayed),
            "still_failing": len(self.still_failing),
            "superseded": len(self.superseded),
            "not_configured": self.not_configured,
            "reread_run": self.reread_run,
            "ids": {
                "replayed": self.replayed,
                "still_failing": self.still_failing,
                "superseded": self.superseded,
            },
        }


@dataclass
class ChunkOutcome:
    """Per letter of one chunk: what to write, and the keys for the audit entries."""

    rows: dict[int, RecordRow] = field(default_factory=dict)
    replayed: list[tuple[Letter, str | None]] = field(default_factory=list)
    failing: list[tuple[Letter, list[FieldIssue], str | None]] = field(default_factory=list)
    superseded: list[Letter] = field(default_factory=list)


class ReplaySession:
    """One replay of dead letters; ``replay_id`` ties its audit entries together."""

    def __init__(self, config: GatewayConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.audit: AuditLog = audit_log_from_config(config)
        self.replay_id = str(uuid.uuid4())

    def apply(
        self,
        conn: Connection,
        job: str,
        mapping: CompiledMapping,
        outcome: ChunkOutcome,
        result: ReplayResult,
        extra_events: Sequence[AuditEvent] = (),
    ) -> None:
        """Letter changes and their audit entries, in the caller's transaction."""
        for letter, _key in outcome.replayed:
            mark_replayed(conn, letter)
        for letter, reasons, _key in outcome.failing:
            mark_still_failing(conn, letter, reasons)
        for letter in outcome.superseded:
            mark_discarded(conn, letter, SUPERSEDED)
        events = list(extra_events)
        masker = key_masker(mapping)
        tried = [(letter, key) for letter, key in outcome.replayed]
        tried += [(letter, key) for letter, _reasons, key in outcome.failing]
        if tried:
            event = dlq_replay_event(
                job=job,
                letter_ids=[letter.id for letter, _ in tried],
                keys=[known_key(x) for x, key in tried if key is None and x.key_digest],
                replayed=len(outcome.replayed),
                still_rejected=len(outcome.failing),
                run_id=self.replay_id,
            )
            event.record_keys = [key for _letter, key in tried if key is not None]
            event.key_masker = masker
            events.append(event)
        if outcome.superseded:
            events.append(
                dlq_discard_event(
                    job=job,
                    letter_ids=[letter.id for letter in outcome.superseded],
                    keys=[known_key(x) for x in outcome.superseded if x.key_digest],
                    reason=SUPERSEDED,
                )
            )
        self.audit.append(conn, events)
        result.replayed += [letter.id for letter, _ in outcome.replayed]
        result.still_failing += [letter.id for letter, _, _ in outcome.failing]
        result.superseded += [letter.id for letter in outcome.superseded]


def known_key(letter: Letter) -> DigestedKey:
    """The key as the queue holds it (masked, digested): for letters whose raw key is unknown."""
    return DigestedKey(letter.record_key or "", letter.key_digest or "")
