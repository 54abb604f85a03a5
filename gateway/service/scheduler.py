"""The scheduler: every enabled job on its trigger, run here only if this instance wins it.

Each instance schedules every job (APScheduler 3 ``BackgroundScheduler``, Asia/Shanghai,
``max_instances=1``, ``coalesce=True``). When a job fires, :meth:`JobScheduler.fire` decides:

1. not while this instance is stopping, nor while it already runs the job;
2. only with the job's lease (:mod:`gateway.service.leases`): nobody else runs it now;
3. only if no run of the job has started since the due time: another instance may have run this
   occurrence already and finished before this one's timer went off. Due times come from the
   trigger (:func:`gateway.service.triggers.previous_fire`), the same on every instance.

Holding the lease, runs the job left ``running`` are abandoned (their holder died) and are marked
``interrupted`` before the new run starts. A job with ``depends_on`` also runs right after each
successful run of a dependency, on the instance that ran it (docs/decisions/0004); if the lease is
busy then, it tries again shortly until some run has started after that success.

A partitioned pull (decision 0021) has a lease per partition instead: the instance takes any
partition whose lease is free and that has no finished run since the due time, runs it, takes
the next, and waits for those held elsewhere until every partition is done for that due time.

A job with ``reconcile.schedule`` is also reconciled on that trigger (``gateway reconcile``),
under the job's own lease, so it never overlaps a run of the job, and only if no reconciliation
of the job has started since the due time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Protocol

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from gateway.adapter import ExchangeObserver
from gateway.calendar_years import holiday_book
from gateway.clock import SHANGHAI, to_iso, utc_now
from gateway.config import GatewayConfig
from gateway.errors import GatewayError
from gateway.logging import get_logger
from gateway.pipeline.partitions import (
    job_partitions,
    job_view,
    part_name,
    partition_done,
    round_rows,
)
from gateway.service.leases import LeaseManager
from gateway.service.metrics import ServiceMetrics
from gateway.service.outcome import RunOutcome
from gateway.service.triggers import FirstWorkingDayTrigger, make_trigger, previous_fire
from gateway.store import Store, schema
from gateway.store.holdings import reconciled_since

log = get_logger("gateway.service.scheduler")

Progress = Callable[[Mapping[str, int]], None]
# A fire up to this late (a busy host, a long GC pause) still runs; later ones coalesce into
# the next due time.
MISFIRE_GRACE_SECONDS = 60


class Execute(Protocol):
    """Runs one job: its name, the run's stop event, the progress callback, and the observer
    that counts the run's HTTP exchanges into the service's metrics; a partitioned job's
    ``partition`` and ``round_id`` are passed only for such a job (decision 0021)."""

    def __call__(
        self,
        job: str,
        stop: threading.Event,
        progress: Progress,
        observe: ExchangeObserver,
        /,
        *,
        partition: str | None = None,
        round_id: str | None = None,
    ) -> RunOutcome: ...


# Reconciles one job (the service knows nothing of how), its exchanges to the observer; what
# it answers is not looked at.
Reconcile = Callable[[str, ExchangeObserver], object]


def ran_since(store: Store, job: str, due: datetime) -> bool:
    """Whether any run of ``job`` started at or after ``due``."""
    runs = schema.runs
    with store.connect() as conn:
        found = conn.execute(
            select(runs.c.id).where(runs.c.job == job, runs.c.started_at >= to_iso(due)).limit(1)
        ).first()
    return found is not None


def view_succeeded(store: Store, job: str, round_id: str, partitions: list[str]) -> bool:
    """Whether the round's runs together (the job's run) succeeded."""
    return bool(job_view(round_rows(store, job, round_id), partitions)["status"] == "succeeded")


class JobScheduler:
    """Fires jobs on their triggers and runs those this instance wins."""

    def __init__(
        self,
        config: GatewayConfig,
        store: Store,
        leases: LeaseManager,
        execute: Execute,
        metrics: ServiceMetrics,
        *,
        retry_seconds: float = 5.0,
        reconcile: Reconcile | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.leases = leases
        self.execute = execute
        self.reconcile = reconcile
        self.metrics = metrics
        self.retry_seconds = retry_seconds
        enabled = [name for name, job in config.jobs.items() if job.enabled]
        book = holiday_book(config)
        self.triggers = {
            name: make_trigger(name, config.jobs[name].schedule or "", book)
            for name in enabled
            if config.jobs[name].schedule
        }
        self.reconcile_triggers = {
            name: make_trigger(name, settings.schedule, book)
            for name in enabled
            if reconcile is not None and (settings := config.jobs[name].reconcile) is not None
        }
        # Partitioned pulls: their parts, each run under a lease of its own (decision 0021).
        self.partitions = {
            name: job_partitions(config, name)
            for name in enabled
            if config.jobs[name].partitions is not None
        }
        self.dependents: dict[str, list[str]] = {}
        for name in enabled:
            for dependency in config.jobs[name].depends_on:
                self.dependents.setdefault(dependency, []).append(name)
        self._local = {name: threading.Lock() for name in enabled}
        self._active: dict[str, threading.Event] = {}
        self._firing = 0  # fire() calls under way, runs or not: stop waits for all of them
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._aps: Any = BackgroundScheduler(
            timezone=SHANGHAI,
            # One thread per scheduled job and one per dependency trigger: a job never waits
            # for a free thread behind another.
            executors={"default": ThreadPoolExecutor(max_workers=3 * len(enabled) + 1)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            },
        )
        self._aps.add_listener(self._on_skipped, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)

    # lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        for name, trigger in self.triggers.items():
            self._aps.add_job(self._on_schedule, trigger, args=[name], id=name, name=name)
        for name, trigger in self.reconcile_triggers.items():
            self._aps.add_job(
                self._on_reconcile, trigger, args=[name], id=f"reconcile:{name}", name=name
            )
        self._aps.start()
        self._catch_up_monthly()
        unscheduled = sorted(set(self._local) - set(self.triggers))
        log.info("scheduler started", jobs=sorted(self.triggers), on_demand_only=unscheduled)

    def _catch_up_monthly(self) -> None:
        """A monthly job (the justice bureau's notice) whose last due time passed while no
        instance ran, and that has not run since, runs once now: a month's file is owed, not
        skipped like a missed interval. ``fire`` keeps it to one run across instances."""
        now = datetime.now(SHANGHAI)
        for name, trigger in self.triggers.items():
            if not isinstance(trigger, FirstWorkingDayTrigger):
                continue
            due = previous_fire(trigger, now)
            if due is None or ran_since(self.store, name, due):
                continue
            log.info("catching up a missed monthly run", job=name, due=to_iso(due))
            self._aps.add_job(
                self.fire,
                DateTrigger(run_date=utc_now()),
                args=[name, due],
                kwargs={"reason": "catch-up"},
                id=f"catch-up:{name}",
                replace_existing=True,
                misfire_grace_time=None,
            )

    @property
    def running(self) -> bool:
        return bool(self._aps.running) and not self._stopping.is_set()

    def stop(self) -> None:
        """Take no new runs, and ask the runs in flight to stop after their current batch."""
        with self._changed:
            self._stopping.set()
            for stop in self._active.values():
                stop.set()
        if self._aps.running:
            self._aps.shutdown(wait=False)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no run is in flight and no firing is deciding whether to run; ``False`` if
        some still are after ``timeout``."""
        with self._changed:
            return self._changed.wait_for(lambda: self._firing == 0, timeout)

    def active(self) -> list[str]:
        with self._changed:
            return sorted(self._active)

    # firing ------------------------------------------------------------------------------------

    def _on_schedule(self, job: str) -> None:
        now = datetime.now(SHANGHAI)
        self.fire(job, previous_fire(self.triggers[job], now) or now)

    def _on_reconcile(self, job: str) -> None:
        now = datetime.now(SHANGHAI)
        self.fire_reconcile(job, previous_fire(self.reconcile_triggers[job], now) or now)

    def fire_reconcile(self, job: str, due: datetime) -> str:
        """Reconcile ``job`` for the occurrence due at ``due`` if this instance should: as
        :meth:`fire`, with the job's lease, and only if no reconciliation started since."""
        if self.reconcile is None:
            return "not_configured"
        with self._changed:
            if self._stopping.is_set():
                return "stopping"
            self._firing += 1
        try:
            local = self._local[job]
            if not local.acquire(blocking=False):
                return "running_here"
            try:
                lease = self.leases.acquire(job)
                if lease is None:
                    return "held_elsewhere"
                try:
                    with self.store.connect() as conn:
                        if reconciled_since(conn, job, to_iso(due)):
                            return "already_ran"
                    self.reconcile(job, self.metrics.observe_exchange)
                    return "ran"
                finally:
                    self.leases.release(lease)
            finally:
                local.release()
        except Exception as exc:
            # A failed reconciliation is recorded (and audited) by itself; the scheduler goes on.
            log.error("reconciliation failed", job=job, error=type(exc).__name__)
            return "failed"
        finally:
            with self._changed:
                self._firing -= 1
                self._changed.notify_all()

    def _on_dependency(self, job: str, due: datetime, after: str) -> None:
        if self.fire(job, due, reason=f"after {after}") in ("held_elsewhere", "running_here"):
            self._later(job, due, after, delay=self.retry_seconds)

    def _later(self, job: str, due: datetime, after: str, delay: float) -> None:
        if self._stopping.is_set():
            return
        # One pending trigger per dependent: a newer one replaces it (its due time is later).
        self._aps.add_job(
            self._on_dependency,
            DateTrigger(run_date=utc_now() + timedelta(seconds=delay)),
            args=[job, due, after],
            id=f"after:{job}",
            replace_existing=True,
            misfire_grace_time=None,
        )

    def _on_skipped(self, event: Any) -> None:
        reason = "running_here" if event.code == EVENT_JOB_MAX_INSTANCES else "missed"
        job = str(event.job_id).removeprefix("after:")
        if job in self._local:
            self.metrics.skipped(job, reason)

    def fire(self, job: str, due: datetime, *, reason: str = "schedule") -> str:
        """Run ``job`` for the occurrence due at ``due`` if this instance should; returns what
        happened: ``ran``, ``stopping``, ``running_here``, ``held_elsewhere``, ``already_ran``
        or ``store_error``."""
        with self._changed:
            if self._stopping.is_set():
                return "stopping"
            self._firing += 1
        try:
            local = self._local[job]
            if not local.acquire(blocking=False):
                return self._skip(job, "running_here")
            try:
                if job in self.partitions:
                    return self._fire_partitions(job, due, reason)
                return self._fire_locked(job, due, reason)
            finally:
                local.release()
        finally:
            with self._changed:
                self._firing -= 1
                self._changed.notify_all()

    def _fire_locked(self, job: str, due: datetime, reason: str) -> str:
        stop = threading.Event()
        try:
            lease = self.leases.acquire(job, on_lost=stop.set)
        except (SQLAlchemyError, GatewayError) as exc:
            log.error("lease not acquired: store error", job=job, error=type(exc).__name__)
            return self._skip(job, "store_error")
        if lease is None:
            return self._skip(job, "held_elsewhere")
        self.metrics.lease_held.labels(job).set(1)
        try:
            if ran_since(self.store, job, due):
                return self._skip(job, "already_ran")
            abandoned = self.store.mark_abandoned_runs(job)
            if abandoned:
                log.warning(
                    "runs left by a dead instance marked interrupted", job=job, count=abandoned
                )
            with self._tracked(job, stop):
                self._run(job, stop, reason)
            return "ran"
        except (SQLAlchemyError, GatewayError) as exc:
            log.error("job not run: store error", job=job, error=type(exc).__name__)
            return self._skip(job, "store_error")
        finally:
            self.leases.release(lease)
            self.metrics.lease_held.labels(job).set(0)

    def _fire_partitions(self, job: str, due: datetime, reason: str) -> str:
        """Run the partitions of ``job`` not yet done for ``due``, one at a time, each under
        its own lease: a partition another instance holds is left to it, and waited for, so a
        holder that dies mid-partition is taken over here and resumed from its cursor. Ends
        once every partition has a run since ``due`` that finished."""
        since = to_iso(due)
        ran = False
        while not self._stopping.is_set():
            try:
                pending = [
                    p for p in self.partitions[job] if not partition_done(self.store, job, p, since)
                ]
            except SQLAlchemyError as exc:
                log.error("job not run: store error", job=job, error=type(exc).__name__)
                return self._skip(job, "store_error")
            if not pending:
                break
            took = False
            for partition in pending:
                if self._stopping.is_set():
                    break
                result = self._fire_partition(job, partition, since, reason)
                if result == "store_error":
                    return self._skip(job, result)
                took = took or result == "ran"
            ran = ran or took
            if not took and self._stopping.wait(self.retry_seconds):
                break
        if not ran:
            return self._skip(job, "already_ran" if not self._stopping.is_set() else "stopping")
        try:
            succeeded = view_succeeded(self.store, job, since, self.partitions[job])
        except SQLAlchemyError as exc:
            log.error("round outcome not read: store error", job=job, error=type(exc).__name__)
            succeeded = False
        if succeeded:
            for dependent in self.dependents.get(job, []):
                self._later(dependent, utc_now(), job, delay=0)
        return "ran"

    def _fire_partition(self, job: str, partition: str, since: str, reason: str) -> str:
        stop = threading.Event()
        try:
            lease = self.leases.acquire(part_name(job, partition), on_lost=stop.set)
        except (SQLAlchemyError, GatewayError) as exc:
            log.error("lease not acquired: store error", job=job, error=type(exc).__name__)
            return "store_error"
        if lease is None:
            return "held_elsewhere"
        self.metrics.lease_held.labels(job).set(1)
        try:
            if partition_done(self.store, job, partition, since):
                return "already_ran"
            abandoned = self.store.mark_abandoned_runs(job, partition=partition)
            if abandoned:
                log.warning(
                    "runs left by a dead instance marked interrupted",
                    job=job, partition=partition, count=abandoned,
                )  # fmt: skip
            with self._tracked(job, stop):
                self._run(job, stop, reason, partition=partition, round_id=since)
            return "ran"
        except (SQLAlchemyError, GatewayError) as exc:
            log.error("partition not run: store error", job=job, error=type(exc).__name__)
            return "store_error"
        finally:
            self.leases.release(lease)
            self.metrics.lease_held.labels(job).set(0)

    @contextmanager
    def _tracked(self, job: str, stop: threading.Event) -> Iterator[None]:
        with self._changed:
            self._active[job] = stop
            if self._stopping.is_set():
                stop.set()
        try:
            yield
        finally:
            with self._changed:
                del self._active[job]

    def _run(
        self,
        job: str,
        stop: threading.Event,
        reason: str,
        partition: str | None = None,
        round_id: str | None = None,
    ) -> None:
        meter = self.metrics.meter(job)
        log.info("run due", job=job, reason=reason, partition=partition)
        observe = self.metrics.observe_exchange
        try:
            if partition is None:
                outcome = self.execute(job, stop, meter, observe)
            else:
                outcome = self.execute(
                    job, stop, meter, observe, partition=partition, round_id=round_id
                )
        except Exception as exc:
            # A broken run must not take the scheduler with it; the run row (if any) is marked
            # interrupted by the next holder of the lease.
            log.exception("run crashed", job=job, error=type(exc).__name__)
            meter.crashed()
            return
        meter.finished(outcome)
        if outcome.status == "succeeded" and partition is None:
            for dependent in self.dependents.get(job, []):
                self._later(dependent, utc_now(), job, delay=0)

    def _skip(self, job: str, reason: str) -> str:
        self.metrics.skipped(job, reason)
        log.debug("due run not taken here", job=job, reason=reason)
        return reason
