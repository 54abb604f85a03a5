"""What one run of one job carries through its stages."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

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
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RUN_COUNTERS, 0))
    checkpointer: Checkpointer | None = None

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
        if self.progress is not None:
            self.progress(dict(self.counts))
