"""Runs one reconciliation of one job: sets it up, audits what it exchanged and found, and
records the outcome (the metric ``gateway_reconcile_differences`` reads it from the store).

A reconciliation only reads, unless asked to tombstone the records the platform no longer
holds (``mark_deleted``): a pull never learns of a deletion, as the platforms' incremental
lists have no deletion feed (docs/reconcile.md).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from gateway.adapter import (
    Direction,
    ExchangeObserver,
    ExportStream,
    PullStream,
    PushStream,
    load_adapter,
)
from gateway.audit import AuditEvent, audit_log_from_config
from gateway.audit.events import reconcile_event
from gateway.config import GatewayConfig
from gateway.errors import ConfigError, GatewayError
from gateway.logging import get_logger
from gateway.notify import Notifier
from gateway.pipeline import JobRunner
from gateway.pipeline.context import key_masker
from gateway.reconcile.findings import MISSING_AT_PLATFORM, Findings
from gateway.reconcile.pull import FANOUT, LEAF, PullReconciliation
from gateway.reconcile.push import PushReconciliation
from gateway.store import Store
from gateway.store import holdings as held

log = get_logger("gateway.reconcile")
# Differing keys named in the audit entry (masked and digested there); the counts are complete.
AUDITED_KEYS = 1000


@dataclass(frozen=True)
class ReconcileOptions:
    sample: int | None = None
    limit: int = 100
    mark_deleted: bool = False
    # Push jobs: outbox entries the platform lost go back to 'sending' (resent by the next
    # ``sync --reset``).
    resend: bool = False
    # How finely a differing range is cut, and below what store size its records are compared.
    fanout: int = FANOUT
    leaf: int = LEAF

    @property
    def mode(self) -> str:
        return "full" if self.sample is None else "sample"


class Reconciler:
    """Reconciles jobs of one configuration against one store; ``observers`` see every HTTP
    exchange (the service's metrics)."""

    def __init__(
        self, config: GatewayConfig, store: Store, observers: tuple[ExchangeObserver, ...] = ()
    ) -> None:
        self.config = config
        self.store = store
        self.audit = audit_log_from_config(config)
        self.runner = JobRunner(config, store, observers=observers)

    def run(self, job_name: str, options: ReconcileOptions) -> Findings:
        job = self.config.job(job_name)
        mapping = self.runner.mapping_for(job_name)
        adapter = load_adapter(self.config.platforms[job.platform].adapter)
        direction = Direction.PULL if job.is_pull else Direction.PUSH
        stream = adapter.stream(job.stream, direction)
        if isinstance(stream, ExportStream):
            raise ConfigError("a monthly file job is not reconciled", job=job_name)
        if isinstance(stream, PullStream) and not stream.reconcilable:
            raise ConfigError(
                "this pull stream cannot be reconciled: its platform serves no holdings",
                job=job_name,
            )
        if direction is Direction.PULL and self.store.sealer is not None:
            # Ranges are cut by key, and a sealed store keeps keyed digests in no order the
            # platform shares (decision 0014).
            raise ConfigError(
                "a pull job cannot be reconciled against an encrypted store yet", job=job_name
            )
        if direction is Direction.PUSH and (options.sample is not None or options.mark_deleted):
            raise ConfigError("--sample and --mark-deleted apply to pull jobs", job=job_name)
        if direction is Direction.PULL and options.resend:
            raise ConfigError("--resend applies to push jobs", job=job_name)
        reconciliation_id = str(uuid.uuid4())
        # The store's breakers: a reconciliation sees, and feeds, the platform's failure streak.
        ctx = self.runner.stream_context(
            job_name, reconciliation_id, mapping, breakers=self.runner.breakers
        )
        findings = Findings(job_name, direction.value, options.mode, limit=options.limit)
        masker = key_masker(mapping)

        def checkpoint() -> None:
            exchanges = ctx.exchanges.drain()
            if exchanges:
                events = [
                    AuditEvent.from_exchange(
                        ex, run_id=reconciliation_id, job=job_name, mapping=None, key_masker=masker
                    )
                    for ex in exchanges
                ]
                with self.store.transaction() as conn:
                    self.audit.append(conn, events)

        def in_doubt(keys: list[str]) -> None:
            with self.store.transaction() as conn:
                marked = held.mark_in_doubt(conn, job_name, keys)
            log.info("outbox entries marked in doubt", count=marked)

        def tombstone(keys: list[str]) -> None:
            with self.store.transaction() as conn:
                marked = held.mark_deleted(conn, mapping.entity, keys)
            log.info("records tombstoned", count=marked)

        with self.store.transaction() as conn:
            held.start_reconciliation(conn, reconciliation_id, job_name, options.mode)
        started = time.perf_counter()
        outcome, error = "failed", None
        try:
            if isinstance(stream, PullStream):
                PullReconciliation(
                    self.store, stream, ctx, mapping, findings,
                    fanout=options.fanout, leaf=options.leaf,
                    on_missing_at_platform=tombstone if options.mark_deleted else None,
                    checkpoint=checkpoint,
                ).run(options.sample)  # fmt: skip
            else:
                assert isinstance(stream, PushStream)
                try:
                    PushReconciliation(
                        self.store, stream, ctx, findings, checkpoint,
                        on_missing_at_platform=in_doubt if options.resend else None,
                    ).run()  # fmt: skip
                finally:
                    stream.close(ctx)
            outcome = "differences" if findings.total else "consistent"
        except GatewayError as exc:
            error = str(exc)
            raise
        except Exception as exc:
            error = f"unexpected error ({type(exc).__name__}); see the log"
            log.exception("reconciliation failed with an unexpected error")
            raise
        finally:
            checkpoint()
            keys = [d.key for d in findings.listed][:AUDITED_KEYS]
            counts = {
                "platform_count": findings.platform_count,
                "store_count": findings.store_count,
                "rejected": findings.rejected,
                **findings.counts,
                "ranges_compared": findings.ranges_compared,
                "records_compared": findings.records_compared,
                "mode": options.mode,
                "sampled": findings.sampled,
                "tombstoned": findings.counts[MISSING_AT_PLATFORM] if options.mark_deleted else 0,
                "resent": findings.counts[MISSING_AT_PLATFORM] if options.resend else 0,
            }
            event = reconcile_event(
                job=job_name,
                reconciliation_id=reconciliation_id,
                outcome=outcome,
                counts=counts,
                record_keys=keys,
                key_masker=masker,
                platform=job.platform,
                direction=direction.value,
                operation=job.stream,
                duration_ms=(time.perf_counter() - started) * 1000,
                error=error,
            )
            with self.store.transaction() as conn:
                self.audit.append(conn, [event])
                held.finish_reconciliation(
                    conn,
                    reconciliation_id,
                    "finished" if error is None else "failed",
                    {
                        "platform_count": findings.platform_count,
                        "store_count": findings.store_count,
                        "rejected": findings.rejected,
                        **findings.counts,
                    },
                    error,
                )
            Notifier(self.config).reconciled(job_name, findings.counts, error)
        return findings
