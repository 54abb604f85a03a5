"""A push job's reconciliation: the outbox against what the platform says it holds.

The outbox is read a page at a time and every idempotency key is looked up on the platform
(:meth:`PushStream.lookup`, the receipts route a push already uses for in-doubt sends):

- accepted here, unknown there: missing at the platform;
- answered differently (rejected there, or another receipt), or in doubt here and accepted
  there: different;
- rejected here and unknown there: the same (the platform kept nothing).

A receipts lookup is asked by key, so records the platform holds that the gateway never sent
cannot show; they would need a listing of the platform's holdings, which none of the three
platforms offers for its push streams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.adapter import PushOutcome, PushStatus, PushStream, StreamContext
from gateway.errors import ConfigError
from gateway.reconcile.findings import DIFFERENT, MISSING_AT_PLATFORM, Difference, Findings
from gateway.store import Store
from gateway.store import holdings as held
from gateway.store.outbox import ACCEPTED, REJECTED, SENDING


@dataclass
class PushReconciliation:
    store: Store
    stream: PushStream
    ctx: StreamContext
    findings: Findings
    checkpoint: Callable[[], None] = lambda: None
    # Called with the idempotency keys of each page's entries the platform does not know.
    on_missing_at_platform: Callable[[list[str]], None] | None = None

    def run(self) -> Findings:
        findings = self.findings
        findings.store_count = 0
        findings.platform_count = 0
        findings.note("records the platform holds but the gateway never sent cannot be asked for")
        for page in held.iter_outbox(self.store.connect, self.ctx.job):
            answers = self.stream.lookup(self.ctx, [row.idempotency_key for row in page])
            self.checkpoint()
            if answers is None:
                raise ConfigError(
                    "this push stream has no receipts lookup", stream=self.stream.name
                )
            known = {a.idempotency_key: a for a in answers if a.status is not PushStatus.UNKNOWN}
            findings.platform_count += sum(
                1 for a in known.values() if a.status is PushStatus.ACCEPTED
            )
            lost: list[str] = []
            for row in page:
                findings.records_compared += 1
                if row.status == ACCEPTED:
                    findings.store_count += 1
                    if row.idempotency_key not in known:
                        lost.append(row.idempotency_key)
                self._compare(row, known.get(row.idempotency_key))
            if lost and self.on_missing_at_platform is not None:
                self.on_missing_at_platform(lost)
        return findings

    def _compare(self, row: held.OutboxRow, answer: PushOutcome | None) -> None:
        if row.status == ACCEPTED and answer is None:
            self._add(MISSING_AT_PLATFORM, row, (), "accepted here, unknown to the platform")
        elif row.status == ACCEPTED and answer is not None:
            if answer.status is not PushStatus.ACCEPTED:
                self._add(DIFFERENT, row, ("status",), "accepted here, rejected there")
            elif (answer.receipt or None) != (row.receipt or None):
                self._add(DIFFERENT, row, ("receipt",), None)
        elif row.status == REJECTED and answer is not None and answer.status is PushStatus.ACCEPTED:
            self._add(DIFFERENT, row, ("status",), "rejected here, accepted there")
        elif row.status == SENDING and answer is not None and answer.status is PushStatus.ACCEPTED:
            self._add(DIFFERENT, row, ("status",), "in doubt here, accepted there")

    def _add(
        self, kind: str, row: held.OutboxRow, fields: tuple[str, ...], note: str | None
    ) -> None:
        run = None
        if self.findings.wants(kind):
            with self.store.connect() as conn:
                run = held.run_at(conn, self.ctx.job, row.last_sent_at)
        self.findings.add(Difference(kind, row.record_key, fields, run, note))
