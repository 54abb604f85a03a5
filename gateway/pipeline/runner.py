"""Runs one job once: sets the run up, drives the pull or push, and closes it honestly."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.exc import SQLAlchemyError

from gateway.adapter import (
    Direction,
    ExchangeObserver,
    ExchangeRecorder,
    ExportStream,
    PullStream,
    PushStream,
    StreamContext,
    StreamOptions,
    load_adapter,
    parse_options,
)
from gateway.audit import AuditEvent, audit_log_from_config
from gateway.audit.settings import checkpointer
from gateway.calendar_years import calendar_warnings, holiday_book, today
from gateway.clock import utc_now
from gateway.config import GatewayConfig
from gateway.errors import ConfigError, GatewayError, StoreError
from gateway.faults import environment_fault
from gateway.http.breaker import BreakerLedger, MemoryLedger, breaker_key
from gateway.logging import bind_run, get_logger, unbind_run
from gateway.mapping import CompiledMapping, load_mapping
from gateway.notify import Notifier
from gateway.pipeline.context import Progress, RunContext, instance_name
from gateway.pipeline.export import run_export
from gateway.pipeline.partitions import job_partitions, part_name
from gateway.pipeline.pull import run_pull
from gateway.pipeline.push import run_push
from gateway.store import Store
from gateway.store.breakers import StoreBreakerLedger
from mappings import resolve_mapping

log = get_logger("gateway.pipeline")


@dataclass(frozen=True)
class RunSummary:
    job: str
    run_id: str
    status: str
    read: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    retried: int
    unreadable: int
    seconds: float
    error: str | None
    # The part of a partitioned pull this run read (decision 0021).
    partition: str | None = None

    @property
    def rate(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "records_per_s": round(self.rate, 1)}


def outcome(run: RunContext, stopped: bool) -> tuple[str, str | None]:
    """How a run that raised nothing ended: from what it counted, never assumed."""
    if stopped:
        return "interrupted", "stopped before the source was read to its end"
    unreadable = run.counts["unreadable"]
    if unreadable:
        return "partial", (
            f"{unreadable} input(s) could not be read and are in the dead-letter queue "
            f"(gateway dlq list --job {run.job_name})"
        )
    return "succeeded", None


class JobRunner:
    """Runs jobs against one store; ``stop`` ends a run after the batch in flight commits;
    ``observers`` see every HTTP exchange of its runs (the service's metrics); ``transport``
    carries their HTTP instead of a real connection (tests pass ``httpx.MockTransport``)."""

    def __init__(
        self,
        config: GatewayConfig,
        store: Store,
        *,
        instance: str | None = None,
        stop: threading.Event | None = None,
        observers: tuple[ExchangeObserver, ...] = (),
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.instance = instance or config.service.instance_id or instance_name()
        self.stop = stop or threading.Event()
        self.audit = audit_log_from_config(config)
        self.checkpointer = checkpointer(config, self.instance)
        self.breakers = StoreBreakerLedger(store)
        self.observers = observers
        self.transport = transport
        self.notifier = Notifier(config)

    def mapping_for(self, job_name: str) -> CompiledMapping:
        job = self.config.job(job_name)
        mapping = load_mapping(resolve_mapping(job.mapping, self.config.base_dir))
        expected = "pull" if job.is_pull else "push"
        if mapping.direction != expected:
            raise ConfigError(
                f"job {job_name!r} needs a {expected} mapping", mapping=str(mapping.path)
            )
        return mapping

    def options(self, job_name: str, overrides: Mapping[str, Any] | None = None) -> StreamOptions:
        """The job's options (its batch size as ``page_size`` unless they set one) with this
        run's ``overrides``, validated as its stream's ``options_model``: a mistake is one line
        naming the job and the key."""
        job = self.config.job(job_name)
        raw = {"page_size": job.batch_size, **job.options, **(overrides or {})}
        return parse_options(self.stream(job_name).options_model, raw, where=f"job {job_name!r}")

    def stream_context(
        self,
        job_name: str,
        run_id: str,
        mapping: CompiledMapping,
        *,
        breakers: BreakerLedger | None = None,
        options: StreamOptions | None = None,
    ) -> StreamContext:
        """The context of one run of ``job_name``; breaker states in ``breakers`` (memory when
        none: a dry run leaves the store's breakers alone)."""
        job = self.config.job(job_name)
        return StreamContext(
            job=job_name,
            run_id=run_id,
            platform_name=job.platform,
            platform=self.config.platforms[job.platform],
            options={"page_size": job.batch_size, **job.options},
            exchanges=ExchangeRecorder(),
            stop=self.stop,
            base_dir=str(self.config.base_dir),
            expected_fields=mapping.source_fields,
            holidays=holiday_book(self.config),
            validated_options=options or self.options(job_name),
            breakers=breakers or MemoryLedger(),
            observers=self.observers,
            transport=self.transport,
        )

    def stream(self, job_name: str) -> PullStream | PushStream:
        job = self.config.job(job_name)
        platform = self.config.platforms[job.platform]
        adapter = load_adapter(platform.adapter)
        return adapter.stream(job.stream, Direction.PULL if job.is_pull else Direction.PUSH)

    def partitions(self, job_name: str) -> list[str]:
        """The job's partitions as its stream reads them; ``[]`` when it is not partitioned."""
        return job_partitions(self.config, job_name)

    def run(
        self,
        job_name: str,
        progress: Progress | None = None,
        overrides: Mapping[str, Any] | None = None,
        *,
        partition: str | None = None,
        round_id: str | None = None,
    ) -> RunSummary:
        """Run ``job_name`` once; ``overrides`` replace some of its job options for this run
        alone (``gateway sync JOB --month``). A partitioned job runs one ``partition`` at a
        time, from that partition's cursor, as part of the round ``round_id``."""
        job = self.config.job(job_name)
        mapping = self.mapping_for(job_name)
        stream = self.stream(job_name)
        options = self.options(job_name, overrides)
        if partition is not None and partition not in self.partitions(job_name):
            raise ConfigError("not a partition of the job", job=job_name, partition=partition)
        self.store.check_free_space(self.config.store.min_free_mb)
        run_id = self.store.start_run(
            job_name, self.instance, mapping.digest, partition=partition, round_id=round_id
        )
        # Breaker states live in this runner's store, so a failure streak survives the process
        # and a run in a new process sees the breaker open (gateway.http.breaker).
        ctx = self.stream_context(
            job_name, run_id, mapping, breakers=self.breakers, options=options
        )
        ctx.partition = partition
        if overrides:
            ctx.options = {**ctx.options, **overrides}
        run = RunContext(
            self.config, self.store, self.audit, job_name, job, mapping, run_id, ctx, progress,
            checkpointer=self.checkpointer,
            cursor_name=part_name(job_name, partition) if partition is not None else None,
        )  # fmt: skip
        bind_run(job_name, run_id)
        started = time.perf_counter()
        status: str = "failed"
        error: str | None = "the run ended before its outcome was known"
        part = f"partition {partition}" if partition is not None else None
        try:
            with self.store.transaction() as conn:
                self.audit.append(conn, [self._event("run_start", run, "ok", part)])
            log.info(
                "run started", mapping=mapping.name, direction="pull" if job.is_pull else "push"
            )
            if isinstance(stream, ExportStream):
                run_export(run, stream, utc_now())
            elif isinstance(stream, PullStream):
                run_pull(run, stream)
            else:
                run_push(run, stream)
            status, error = outcome(run, self.stop.is_set())
        except GatewayError as exc:
            status, error = "failed", str(exc)
            log.error("run failed", error=error)
        except Exception as exc:
            # Not ours on purpose: a fault of the environment (one line), or a bug (traceback).
            fault = environment_fault(exc)
            if fault is not None:
                status, error = "failed", fault
                log.error("run failed", error=fault)
            else:
                status, error = "failed", f"unexpected error ({type(exc).__name__}); see the log"
                log.exception("run failed with an unexpected error")
        except BaseException:
            status, error = "interrupted", "the process was interrupted"
            raise
        finally:
            self._close_even_on_a_full_disk(run, status, error)
            self.checkpoint()
            unbind_run()
        self._notify(job_name, status, error)
        counts = run.counts
        return RunSummary(
            job_name, run_id, status, counts["read"], counts["inserted"], counts["updated"],
            counts["unchanged"], counts["rejected"], counts["retried"], counts["unreadable"],
            time.perf_counter() - started, error, partition,
        )  # fmt: skip

    def _notify(self, job_name: str, status: str, error: str | None) -> None:
        """The run's outcome, its platform's breaker and the calendar to the notify channels;
        a notification that cannot be sent never changes what the run did."""
        if not self.notifier.enabled:
            return
        job = self.config.jobs[job_name]
        platform = self.config.platforms[job.platform]
        try:
            self.notifier.run_ended(job_name, status, error)
            if platform.base_url:
                state = self.breakers.load(breaker_key(job.platform, platform.base_url))
                self.notifier.breaker(job.platform, state.state, state.failures, state.reason)
            self.notifier.calendar(calendar_warnings(holiday_book(self.config), today()), today())
        except Exception:
            log.exception("notifications failed")

    def _event(
        self, kind: str, run: RunContext, outcome: str, detail: str | None = None
    ) -> AuditEvent:
        job = run.job
        return AuditEvent(
            kind=kind,
            outcome=outcome,
            run_id=run.run_id,
            job=run.job_name,
            platform=job.platform,
            direction="pull" if job.is_pull else "push",
            operation=job.stream,
            mapping=run.mapping_ref,
            detail=detail,
        )

    def checkpoint(self) -> None:
        """Every run ends with a signed checkpoint of the head, so its entries are witnessed."""
        if self.checkpointer is None:
            return
        try:
            self.checkpointer.checkpoint(self.store)
        except SQLAlchemyError as exc:
            log.error("audit checkpoint failed", error=environment_fault(exc) or type(exc).__name__)

    def _close_even_on_a_full_disk(self, run: RunContext, status: str, error: str | None) -> None:
        """Record the run's end; when the store's disk is full, give up its reserve and retry."""
        try:
            self._close(run, status, error)
            return
        except Exception as exc:
            fault = environment_fault(exc)
            if fault is None or not self.store.release_reserve():
                raise StoreError("the run's end could not be recorded", cause=fault) from exc
        try:
            self._close(run, status, error)
        except Exception as exc:
            fault = environment_fault(exc)
            raise StoreError("the run's end could not be recorded", cause=fault) from exc

    def _close(self, run: RunContext, status: str, error: str | None) -> None:
        """Failed attempts not yet logged, the run's end, and its status: one transaction."""
        leftover = run.recorder.drain()
        retried = {"retried": sum(1 for ex in leftover if ex.outcome == "retry")}
        with self.store.transaction() as conn:
            events = run.exchange_events(leftover)
            partition = run.stream_ctx.partition
            detail = (
                error
                if partition is None
                else f"partition {partition}" + (f": {error}" if error else "")
            )
            events.append(self._event("run_end", run, status, detail))
            self.audit.append(conn, events)
            run.commit_counts(conn, retried)
            self.store.finish_run(conn, run.run_id, status, error)
        run.counted(retried)
        log.info("run ended", status=status, **run.counts)
