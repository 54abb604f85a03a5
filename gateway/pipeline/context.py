"""What one run of one job carries through its stages."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from gateway.adapter import Exchange, ExchangeRecorder, StreamContext
from gateway.audit import AuditEvent, AuditLog, MappingRef
from gateway.audit.checkpoints import Checkpointer
from gateway.config import GatewayConfig, JobConfig
from gateway.mapping import CompiledMapping
from gateway.masking import MASKERS, PiiClass, scrub_text
from gateway.store import Store
from gateway.store.engine import RUN_COUNTERS

Progress = Callable[[Mapping[str, int]], None]


def instance_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def key_masker(mapping: CompiledMapping) -> Callable[[str], str]:
    """Masks a record key part by part, each by its key field's PII class."""
    maskers = [
        scrub_text if pii is PiiClass.NONE else MASKERS[pii]
        for pii in (mapping.pii.get(name, PiiClass.NONE) for name in mapping.key_fields)
    ]
    if len(maskers) == 1:
        return maskers[0]

    def masked(key: str) -> str:
        parts = key.split("|")
        if len(parts) != len(maskers):
            return scrub_text(key)
        return "|".join(m(part) for m, part in zip(maskers, parts, strict=True))

    return masked


def content_hash(payload: bytes) -> str:
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


@dataclass
class RunContext:
    config: GatewayConfig
    store: Store
    audit: AuditLog
    job_name: str
    job: JobConfig
    mapping: CompiledMapping
    run_id: str
    stream_ctx: StreamContext
    progress: Progress | None = None
    # The source's own key of a raw record (a reject the mapping found no key in still has
    # one): how a reconciliation knows the dead-letter queue holds it.
    raw_key: Callable[[Mapping[str, Any]], str | None] | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RUN_COUNTERS, 0))
    checkpointer: Checkpointer | None = None
    # How many records the run should read in all, when the platform says (Page.total).
    expected: int | None = None
    # Where the run's cursor is kept: the job's name, or its partition's (decision 0021).
    cursor_name: str | None = None

    @property
    def cursor_key(self) -> str:
        return self.cursor_name or self.job_name

    @property
    def stop(self) -> threading.Event:
        return self.stream_ctx.stop

    @property
    def recorder(self) -> ExchangeRecorder:
        return self.stream_ctx.exchanges

    @property
    def mapping_ref(self) -> MappingRef:
        return MappingRef(self.mapping.name, self.mapping.version, self.mapping.digest)

    def exchange_events(self, exchanges: Sequence[Exchange]) -> list[AuditEvent]:
        masker = key_masker(self.mapping)
        return [
            AuditEvent.from_exchange(
                ex,
                run_id=self.run_id,
                job=self.job_name,
                mapping=self.mapping_ref,
                key_masker=masker,
            )
            for ex in exchanges
        ]

    def commit_counts(self, conn: Connection, counts: Mapping[str, int]) -> None:
        """Add ``counts`` to the run row inside the batch's transaction; once that commits,
        :meth:`counted` adds them to the live view (a commit that fails counts nothing)."""
        self.store.add_run_counts(conn, self.run_id, counts)

    def counted(self, counts: Mapping[str, int]) -> None:
        for name, value in counts.items():
            self.counts[name] += value

    def checkpoint_if_due(self) -> None:
        """After a batch commits: a signed checkpoint of the head when the interval has passed."""
        if self.checkpointer is not None:
            self.checkpointer.maybe(self.store)

    def report(self) -> None:
        """The live counts to the progress callback, with ``total`` when it is known."""
        if self.progress is not None:
            extra = {"total": self.expected} if self.expected is not None else {}
            self.progress({**self.counts, **extra})
