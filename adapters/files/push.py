"""Push stream: write records to one outbox file per run.

The file appears under its final name only when the run closes the stream. Each record is answered
``accepted`` with the receipt ``NAME#ROW`` (the row a person sees in the file) once its batch is
synced to disk; a record sent again in the same run (same idempotency key) gets its first receipt
and is not written twice. A run that dies before closing leaves a journal: the next run of the
job publishes what was acknowledged, and :meth:`FilesPushStream.lookup` answers for the batch
whose fate the runtime did not learn. One stream object serves every run, possibly at once, so
all state is kept per run id.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from adapters.files.journal import key_digest
from adapters.files.options import WriteOptions, outbox_dir
from adapters.files.outbox import file_name, make_writer, recover_orphans
from adapters.files.writer import OutboxWriter
from gateway.adapter import (
    Direction,
    Exchange,
    OutgoingRecord,
    PushOutcome,
    PushStatus,
    PushStream,
    StreamContext,
)


@dataclass
class _Run:
    recovered: dict[str, str]  # key digest → receipt, for the last batch of files left by dead runs
    receipts: dict[str, str] = field(default_factory=dict)  # idempotency key → receipt
    writer: OutboxWriter | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class FilesPushStream(PushStream):
    """Records into an outbox file; ``name`` is only a label (the job's options shape the file)."""

    options_model = WriteOptions

    def __init__(self, name: str) -> None:
        self.name = name
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        run = self._run(ctx)
        started = time.monotonic()
        with run.lock:
            writer = run.writer = run.writer or self._new_writer(ctx)
            outcomes: list[PushOutcome] = []
            fresh: dict[str, OutgoingRecord] = {}
            receipts: dict[str, str] = {}
            for record in batch:
                key = record.idempotency_key
                earlier = run.receipts.get(key) or receipts.get(key)
                if earlier is not None:
                    outcomes.append(PushOutcome(key, PushStatus.ACCEPTED, earlier))
                    continue
                reason = writer.admit(record.payload)
                if reason is not None:
                    outcomes.append(PushOutcome(key, PushStatus.REJECTED, reason=reason))
                    continue
                receipts[key] = f"{writer.final.name}#{writer.first_row + writer.admitted - 1}"
                outcomes.append(PushOutcome(key, PushStatus.ACCEPTED, receipts[key]))
                fresh[key] = record
            if not fresh:
                return outcomes
            try:
                body = writer.write([r.payload for r in fresh.values()], receipts)
            except Exception:
                # Nothing of this batch is acknowledged; a retry numbers its rows afresh.
                writer.admitted = writer.rows
                raise
            run.receipts.update(receipts)
        ctx.exchanges.record(
            Exchange(
                platform=ctx.platform_name,
                direction=Direction.PUSH,
                operation="file.write",
                endpoint=f"file:{writer.final.name}",
                duration_ms=(time.monotonic() - started) * 1000,
                request_body=body,
                record_count=len(fresh),
                record_keys=[r.key for r in fresh.values()],
            )
        )
        return outcomes

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        """Accepted with its receipt if this run or a dead run's journal has it, else unknown."""
        run = self._run(ctx)
        with run.lock:
            answers: list[PushOutcome] = []
            for key in idempotency_keys:
                receipt = run.receipts.get(key) or run.recovered.get(key_digest(key))
                status = PushStatus.ACCEPTED if receipt else PushStatus.UNKNOWN
                answers.append(PushOutcome(key, status, receipt))
            return answers

    def close(self, ctx: StreamContext) -> None:
        """Publish this run's file; a run that sent nothing still finishes dead runs' files."""
        run = self._run(ctx)
        with self._lock:
            self._runs.pop(ctx.run_id, None)
        with run.lock:
            if run.writer is not None:
                run.writer.finish()

    def _run(self, ctx: StreamContext) -> _Run:
        with self._lock:
            run = self._runs.get(ctx.run_id)
            if run is None:
                recovered = recover_orphans(
                    ctx, outbox_dir(ctx), self.name, ctx.options_as(WriteOptions), set(self._runs)
                )
                run = self._runs[ctx.run_id] = _Run(recovered)
            return run

    def _new_writer(self, ctx: StreamContext) -> OutboxWriter:
        options = ctx.options_as(WriteOptions)
        final = outbox_dir(ctx) / file_name(ctx, self.name, options)
        header = {"job": ctx.job, "stream": self.name, "run_id": ctx.run_id}
        writer = make_writer(final, options.format, options, {**header, "format": options.format})
        writer.claim()
        return writer
