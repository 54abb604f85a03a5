"""The long-running service behind ``gateway run``: scheduler, leases, probes and metrics.

Lifecycle: start (store migrated by :class:`~gateway.store.Store`, lease renewal, HTTP
endpoints, scheduler), then wait for SIGTERM or SIGINT. On the first signal the service takes no
new runs and sets the stop event of every run in flight, so each ends after the batch it is
writing commits; it waits for them up to ``service.grace_seconds`` (counted from the signal),
gives its leases back and exits 0. Runs still going when the grace period ends are abandoned: the
process exits 1 at once, their open transaction is rolled back, and the next run resumes from
the last committed cursor. A second signal does the same without waiting.

How a job runs is passed in (``execute``), so the service knows nothing of the pipeline; the
scheduler hands each run the service's metrics observer, so its HTTP exchanges are counted.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from gateway.calendar_years import PROVISIONAL_FIELD
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.logging import get_logger
from gateway.mapping import load_mapping
from gateway.pipeline.partitions import job_partitions
from gateway.service.console import Served, console_for
from gateway.service.health import HealthServer
from gateway.service.leases import LeaseManager
from gateway.service.metrics import ServiceMetrics
from gateway.service.scheduler import Execute, JobScheduler, Reconcile
from gateway.store import Store, migrations
from mappings import resolve_mapping

log = get_logger("gateway.service")

# Left of the grace period for giving leases back and closing the store after runs end.
_CLOSING_MARGIN = 0.5


def deadline_entities(config: GatewayConfig) -> list[str]:
    """Entities that pull jobs store with a provisional-deadline flag (metered at each scrape)."""
    found = set()
    for job in config.jobs.values():
        if not job.is_pull:
            continue
        try:
            mapping = load_mapping(resolve_mapping(job.mapping, config.base_dir))
        except ConfigError:
            continue  # the job's own run reports its broken mapping
        if any(fp.name == PROVISIONAL_FIELD for fp in mapping.plan.fields):
            found.add(mapping.entity)
    return sorted(found)


class Service:
    """One instance of the gateway service over one store."""

    def __init__(
        self,
        config: GatewayConfig,
        store: Store,
        execute: Execute,
        *,
        instance: str,
        metrics_port: int | None = None,
        reconcile: Reconcile | None = None,
        console: bool = False,
    ) -> None:
        self.config = config
        self.store = store
        self.instance = instance
        self.metrics = ServiceMetrics(
            store,
            config.jobs,
            config.platforms,
            instance,
            deadline_entities(config),
            base_urls={name: p.base_url for name, p in config.platforms.items()},
            partitions={
                name: job_partitions(config, name)
                for name, job in config.jobs.items()
                if job.partitions is not None and job.enabled
            },
        )
        self.leases = LeaseManager(store, instance, config.service.lease_seconds)
        self.scheduler = JobScheduler(
            config, store, self.leases, execute, self.metrics, reconcile=reconcile
        )
        port = config.service.metrics_port if metrics_port is None else metrics_port
        self.health = HealthServer(
            config.service.host,
            port,
            registry=self.metrics.registry,
            alive=self._alive,
            ready=self._ready,
        )
        # ``gateway run`` serves the web console too; an embedded service (tests) does not.
        self.console: Served | None = console_for(config, store) if console else None
        self.signalled = threading.Event()
        self._signal_time: float | None = None

    def _alive(self) -> tuple[bool, str]:
        if self.signalled.is_set():
            return True, "stopping"
        return (True, "running") if self.scheduler.running else (False, "scheduler not running")

    def _ready(self) -> tuple[bool, str]:
        if self.signalled.is_set():
            return False, "stopping"
        try:
            with self.store.connect() as conn:
                version = migrations.current_version(conn)
        except SQLAlchemyError as exc:
            return False, f"store unreachable ({type(exc).__name__})"
        if version != migrations.LATEST:
            return (
                False,
                f"store schema is at version {version}, this release needs {migrations.LATEST}",
            )
        return True, "ready"

    def start(self) -> None:
        # APScheduler reports skipped and missed fires as events the scheduler counts; its own
        # per-fire log lines would repeat every few seconds.
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.leases.start_renewing()
        self.health.start()
        if self.console is not None:
            self.console.start()
        self.scheduler.start()
        log.info("service started", instance=self.instance, store=self.store.safe_url)

    def request_stop(self) -> None:
        """Stop taking runs; runs in flight end after their current batch."""
        if self._signal_time is None:
            self._signal_time = time.monotonic()
        self.signalled.set()
        self.scheduler.stop()

    def stop(self) -> bool:
        """Stop, waiting for runs in flight within the grace period; ``True`` if all ended."""
        self.request_stop()
        assert self._signal_time is not None
        deadline = self._signal_time + self.config.service.grace_seconds - _CLOSING_MARGIN
        if not self.scheduler.wait_idle(max(0.0, deadline - time.monotonic())):
            # The caller exits at once. Leases are not given back: a run still writing could
            # commit one more batch after another instance took its job over. Process exit
            # ends the advisory locks; lease rows expire.
            log.error(
                "grace period over with runs in flight: they are abandoned and resume from "
                "their last committed batch",
                jobs=self.scheduler.active(),
            )
            return False
        self.leases.close()
        self.health.stop()
        if self.console is not None:
            self.console.stop()
        self.store.close()
        log.info("service stopped")
        return True

    def run_until_signalled(self) -> int:
        """Start, serve until SIGTERM/SIGINT, stop; the process exit code. Call from the main
        thread (signal handlers can only be installed there)."""
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

        def handler(signum: int, _frame: FrameType | None) -> None:
            if self.signalled.is_set():
                log.error("second signal: exiting without waiting for runs in flight")
                _exit_now(1)
            # Only flag it here: the main loop does the stopping, outside the signal handler.
            log.info("stop requested", signal=signal.Signals(signum).name)
            self._signal_time = time.monotonic()
            self.signalled.set()

        for sig in previous:
            signal.signal(sig, handler)
        try:
            self.start()
            # Waking up once a second keeps the main thread responsive to signals.
            while not self.signalled.wait(1.0):
                pass
            clean = self.stop()
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
        if not clean:
            # Worker threads still inside a run would keep the interpreter alive at exit.
            _exit_now(1)
        return 0


def _exit_now(code: int) -> None:
    logging.shutdown()
    os._exit(code)
