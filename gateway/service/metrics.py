"""The service's Prometheus metrics, in a registry of its own.

Counted in this process as things happen: records by job and outcome (as each batch commits),
retries, runs and their duration, due runs not taken here and why, HTTP calls to platforms by
status (an observer on :mod:`gateway.http.client`), and which job leases this instance holds.
Read from the store at each scrape, so every instance reports the same, store-wide values: open
dead letters per job, each job's last success, the differences its last reconciliation found,
each platform's circuit-breaker state, stored deadlines still provisional (counted through a
year without a holiday notice) per entity, and whether the store answers at all. Labels are
job, platform, outcome and status names only; no record, key or personal data ever becomes a
label.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import SQLAlchemyError

import gateway
from gateway.adapter import Exchange
from gateway.calendar_years import PROVISIONAL_FIELD
from gateway.clock import parse_iso
from gateway.http.breaker import breaker_key
from gateway.pipeline.partitions import latest_views
from gateway.service.outcome import RunOutcome
from gateway.store import Store, schema
from gateway.store.crypto import sealer_of
from gateway.store.holdings import latest_differences
from gateway.store.records import iter_payloads

OUTCOMES = ("inserted", "updated", "unchanged", "rejected")
BREAKER_STATES = ("closed", "open", "half_open")
# How a provisional flag reads in a stored payload (compact JSON, keys sorted).
_PROVISIONAL_JSON = f'%"{PROVISIONAL_FIELD}":true%'
# Run durations: from a quick incremental sync (most demo runs end well under a second) to a
# full 2.2-million-record pull; longer than an hour lands in +Inf.
DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
# One HTTP attempt: a loopback answer in milliseconds to a page that takes the read timeout.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class ServiceMetrics:
    """Every metric of one running service."""

    def __init__(
        self,
        store: Store,
        jobs: Iterable[str],
        platforms: Iterable[str],
        instance: str,
        deadline_entities: Iterable[str] = (),
        base_urls: Mapping[str, str | None] | None = None,
        partitions: Mapping[str, list[str]] | None = None,
    ):
        self.registry = CollectorRegistry()
        r = self.registry
        self.records = Counter(
            "gateway_records", "Records by job and outcome.", ["job", "outcome"], registry=r
        )
        self.retries = Counter(
            "gateway_retries", "Retried platform calls by job.", ["job"], registry=r
        )
        self.http_requests = Counter(
            "gateway_http_requests",
            "HTTP calls to platforms by platform and status (HTTP status, or the transport error).",
            ["platform", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "gateway_http_request_duration_seconds",
            "HTTP attempts to platforms by platform and operation, failed ones included.",
            ["platform", "operation"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.runs = Counter(
            "gateway_runs", "Runs finished here, by job and status.", ["job", "status"], registry=r
        )
        self.skips = Counter(
            "gateway_runs_skipped",
            "Due runs not taken by this instance, by job and reason.",
            ["job", "reason"],
            registry=r,
        )
        self.duration = Histogram(
            "gateway_run_duration_seconds",
            "Run duration by job.",
            ["job"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.lease_held = Gauge(
            "gateway_lease_held",
            "1 while this instance holds the job's lease.",
            ["job"],
            registry=r,
        )
        # Not ``instance``: Prometheus sets that label on every target and would rename ours.
        Info("gateway_instance", "This instance.", registry=r).info(
            {"gateway_instance": instance, "version": gateway.__version__}
        )
        self.jobs = sorted(jobs)
        for job in self.jobs:
            self.lease_held.labels(job).set(0)
        names = sorted(platforms)
        keys = {name: breaker_key(name, (base_urls or {}).get(name)) for name in names}
        r.register(
            StoreCollector(store, self.jobs, keys, sorted(set(deadline_entities)), partitions or {})
        )

    def meter(self, job: str) -> RunMeter:
        return RunMeter(self, job)

    def skipped(self, job: str, reason: str) -> None:
        self.skips.labels(job, reason).inc()

    def observe_exchange(self, exchange: Exchange) -> None:
        """Count one HTTP attempt: the exchange observer the scheduler hands each run."""
        status = str(exchange.http_status) if exchange.http_status else exchange.error or "error"
        self.http_requests.labels(exchange.platform, status).inc()
        if exchange.duration_ms is not None:
            self.http_duration.labels(exchange.platform, exchange.operation).observe(
                exchange.duration_ms / 1000
            )


class RunMeter:
    """One run's counts into the counters: as each batch commits (the runner's progress
    callback, with running totals), then the remainder when the run ends."""

    def __init__(self, metrics: ServiceMetrics, job: str) -> None:
        self.metrics = metrics
        self.job = job
        self._seen = dict.fromkeys((*OUTCOMES, "retried"), 0)

    def __call__(self, counts: Mapping[str, int]) -> None:
        for name, seen in self._seen.items():
            delta = counts.get(name, 0) - seen
            if delta <= 0:
                continue
            self._seen[name] = seen + delta
            if name == "retried":
                self.metrics.retries.labels(self.job).inc(delta)
            else:
                self.metrics.records.labels(self.job, name).inc(delta)

    def finished(self, outcome: RunOutcome) -> None:
        self({name: getattr(outcome, name) for name in self._seen})
        self.metrics.runs.labels(self.job, outcome.status).inc()
        self.metrics.duration.labels(self.job).observe(outcome.seconds)

    def crashed(self) -> None:
        self.metrics.runs.labels(self.job, "crashed").inc()


class StoreCollector(Collector):
    """Store-wide values, queried at scrape time."""

    def __init__(
        self,
        store: Store,
        jobs: list[str],
        platforms: Mapping[str, str],
        deadline_entities: list[str],
        partitions: Mapping[str, list[str]] | None = None,
    ) -> None:
        """``platforms``: each platform's breaker key in the store (its current base URL's);
        ``partitions``: the partitioned jobs' partitions (their success is a round's)."""
        self.store = store
        self.jobs = jobs
        self.platforms = platforms
        self.deadline_entities = deadline_entities
        self.partitions = partitions or {}

    def collect(self) -> Iterable[GaugeMetricFamily]:
        up = GaugeMetricFamily("gateway_store_up", "1 if the store answered this scrape.")
        try:
            with self.store.connect() as conn:
                families = [
                    self._dead_letters(conn),
                    self._last_success(conn),
                    self._breakers(conn),
                    self._provisional(conn),
                    self._reconcile_differences(conn),
                ]
        except SQLAlchemyError:
            up.add_metric([], 0)
            return [up]
        up.add_metric([], 1)
        return [up, *families]

    def _dead_letters(self, conn: Connection) -> GaugeMetricFamily:
        table = schema.dead_letters
        family = GaugeMetricFamily(
            "gateway_dead_letters_open", "Open dead letters by job (store-wide).", labels=["job"]
        )
        counts = dict.fromkeys(self.jobs, 0)
        rows = conn.execute(
            select(table.c.job, func.count()).where(table.c.status == "open").group_by(table.c.job)
        )
        counts.update((job, int(n)) for job, n in rows)
        for job, n in sorted(counts.items()):
            family.add_metric([job], n)
        return family

    def _reconcile_differences(self, conn: Connection) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "gateway_reconcile_differences",
            "Differences (missing either side, or different) the job's last finished "
            "reconciliation found (store-wide); absent for a job never reconciled.",
            labels=["job"],
        )
        for job, total in sorted(latest_differences(conn).items()):
            if job in self.jobs:
                family.add_metric([job], total)
        return family

    def _last_success(self, conn: Connection) -> GaugeMetricFamily:
        runs = schema.runs
        family = GaugeMetricFamily(
            "gateway_last_success_timestamp_seconds",
            "When the job's latest successful run ended, as Unix time (store-wide).",
            labels=["job"],
        )
        for job in self.jobs:
            if job in self.partitions:
                # The job's run is a round of partition runs (decision 0021).
                _, success = latest_views(self.store, job, self.partitions[job])
                if success is not None and success["ended_at"]:
                    family.add_metric([job], parse_iso(success["ended_at"]).timestamp())
                continue
            # Newest first along the (job, started_at) index: cheap however long the history.
            ended = conn.execute(
                select(runs.c.ended_at)
                .where(runs.c.job == job, runs.c.status == "succeeded")
                .order_by(runs.c.started_at.desc())
                .limit(1)
            ).scalar()
            if ended:
                family.add_metric([job], parse_iso(ended).timestamp())
        return family

    def _breakers(self, conn: Connection) -> GaugeMetricFamily:
        table = schema.breakers
        family = GaugeMetricFamily(
            "gateway_breaker_state",
            "1 for each platform's current circuit-breaker state (store-wide).",
            labels=["platform", "state"],
        )
        # Rows of earlier base URLs are never consulted again, so they do not count here.
        by_key = {
            row.platform: row.state for row in conn.execute(select(table.c.platform, table.c.state))
        }
        states = {name: by_key.get(key, "closed") for name, key in self.platforms.items()}
        for platform, current in sorted(states.items()):
            for state in BREAKER_STATES:
                family.add_metric([platform, state], 1 if current == state else 0)
        return family

    def _provisional(self, conn: Connection) -> GaugeMetricFamily:
        table = schema.records
        family = GaugeMetricFamily(
            "gateway_calendar_provisional_deadlines",
            "Stored records whose deadline is provisional: counted through a year without a "
            "holiday notice (store-wide, per entity).",
            labels=["entity"],
        )
        sealer = sealer_of(conn)
        for entity in self.deadline_entities:
            if sealer is not None:  # sealed payloads: opened and looked at one by one
                found = sum(1 for _, p in iter_payloads(conn, entity) if p.get(PROVISIONAL_FIELD))
                family.add_metric([entity], found)
                continue
            count = conn.execute(
                select(func.count()).where(
                    table.c.entity == entity,
                    table.c.deleted.is_(False),
                    table.c.payload.like(_PROVISIONAL_JSON),
                )
            ).scalar()
            family.add_metric([entity], int(count or 0))
        return family
