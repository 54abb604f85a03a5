"""The scheduler's decisions, with a fake job runner: once per due time, never overlapping,
dependencies, stopping, and lost leases."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from gateway.clock import parse_iso, utc_now
from gateway.config import GatewayConfig, parse_config
from gateway.service.leases import LeaseManager
from gateway.service.metrics import ServiceMetrics
from gateway.service.scheduler import JobScheduler
from gateway.store import Store, schema


@dataclass
class Outcome:
    status: str
    seconds: float = 0.0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    retried: int = 0


class FakeRunner:
    """Writes run rows like the real runner; a run lasts ``seconds`` or until stopped."""

    def __init__(self, store: Store, instance: str, seconds: float = 0.0) -> None:
        self.store = store
        self.instance = instance
        self.seconds = seconds
        self.fail: set[str] = set()
        self.started = threading.Event()
        self.honour_stop = True

    def __call__(self, job: str, stop: threading.Event, progress: Any, _observe: Any) -> Outcome:
        run_id = self.store.start_run(job, self.instance, None)
        self.started.set()
        deadline = time.monotonic() + self.seconds
        while time.monotonic() < deadline and not (self.honour_stop and stop.is_set()):
            time.sleep(0.01)
        progress({"inserted": 2, "unchanged": 1})
        status = "failed" if job in self.fail else "interrupted" if stop.is_set() else "succeeded"
        with self.store.transaction() as conn:
            self.store.finish_run(conn, run_id, status, None)
        return Outcome(status, inserted=2, unchanged=1)


def config_for(tmp_path: Path, jobs: Mapping[str, Mapping[str, Any]]) -> GatewayConfig:
    data = {
        "platforms": {"inbox": {"adapter": "files"}},
        "jobs": {
            name: {"source": "inbox.things", "target": "store", "mapping": "m.yaml", **spec}
            for name, spec in jobs.items()
        },
    }
    return parse_config(data, "test", tmp_path)


def scheduler(
    config: GatewayConfig,
    store: Store,
    instance: str,
    runner: FakeRunner,
    lease_seconds: float = 60,
) -> JobScheduler:
    metrics = ServiceMetrics(store, config.jobs, config.platforms, instance)
    leases = LeaseManager(store, instance, lease_seconds)
    return JobScheduler(config, store, leases, runner, metrics, retry_seconds=0.1)


def runs(store: Store, job: str | None = None) -> list[dict[str, Any]]:
    table = schema.runs
    query = select(table).order_by(table.c.started_at)
    if job is not None:
        query = query.where(table.c.job == job)
    with store.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def sample(scheduler: JobScheduler, name: str, **labels: str) -> float | None:
    return scheduler.metrics.registry.get_sample_value(name, labels)


def wait_for(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_due_time_runs_once_across_instances(store: Store, tmp_path: Path) -> None:
    """Two instances firing one occurrence: one runs it, the other sees it done or running."""
    config = config_for(tmp_path, {"persons": {"schedule": "every 1h"}})
    a = scheduler(config, store, "a", FakeRunner(store, "a"))
    slow = FakeRunner(store, "b", seconds=30)
    b = scheduler(config, store, "b", slow)
    due = utc_now()
    assert a.fire("persons", due) == "ran"
    assert b.fire("persons", due) == "already_ran"
    later = utc_now()
    worker = threading.Thread(target=b.fire, args=("persons", later))
    worker.start()
    assert slow.started.wait(10)
    assert a.fire("persons", later) == "held_elsewhere"
    assert b.fire("persons", later) == "running_here"
    b.stop()
    worker.join()
    assert [r["status"] for r in runs(store)] == ["succeeded", "interrupted"]


def test_runs_of_a_dead_instance_are_marked_interrupted(store: Store, tmp_path: Path) -> None:
    """The next holder of the lease closes the run a killed instance left 'running'."""
    config = config_for(tmp_path, {"persons": {"schedule": "every 1h"}})
    store.start_run("persons", "killed:1", None)
    a = scheduler(config, store, "a", FakeRunner(store, "a"))
    assert a.fire("persons", utc_now()) == "ran"
    statuses = {r["instance"]: r["status"] for r in runs(store)}
    assert statuses == {"killed:1": "interrupted", "a": "succeeded"}


def test_dependents_follow_successful_runs_only(store: Store, tmp_path: Path) -> None:
    """A job with depends_on runs after each success of its dependency, not after a failure."""
    config = config_for(
        tmp_path, {"load": {"schedule": "every 1h"}, "push": {"depends_on": ["load"]}}
    )
    runner = FakeRunner(store, "a")
    a = scheduler(config, store, "a", runner)
    a.start()
    try:
        runner.fail.add("load")
        assert a.fire("load", utc_now()) == "ran"
        runner.fail.clear()
        assert a.fire("load", utc_now()) == "ran"
        wait_for(lambda: len(runs(store, "push")) == 1)
    finally:
        a.stop()
        assert a.wait_idle(10)
    assert [r["status"] for r in runs(store, "load")] == ["failed", "succeeded"]
    assert len(runs(store, "push")) == 1
    assert runs(store, "push")[0]["started_at"] > runs(store, "load")[1]["ended_at"]


def test_a_dependent_whose_lease_is_busy_runs_once_it_is_free(store: Store, tmp_path: Path) -> None:
    """If the dependent is running elsewhere when its dependency succeeds, it runs after."""
    config = config_for(
        tmp_path, {"load": {"schedule": "every 1h"}, "push": {"depends_on": ["load"]}}
    )
    a = scheduler(config, store, "a", FakeRunner(store, "a"))
    elsewhere = LeaseManager(store, "b", 60)
    busy = elsewhere.acquire("push")
    assert busy is not None
    a.start()
    try:
        assert a.fire("load", utc_now()) == "ran"
        wait_for(
            lambda: (
                (sample(a, "gateway_runs_skipped_total", job="push", reason="held_elsewhere") or 0)
                >= 1
            )
        )
        assert runs(store, "push") == []
        elsewhere.release(busy)
        wait_for(lambda: len(runs(store, "push")) == 1)
    finally:
        a.stop()
        assert a.wait_idle(10)


def test_stop_ends_runs_in_flight_after_their_batch(store: Store, tmp_path: Path) -> None:
    """Stopping sets each run's stop event and waits for it; no new run starts afterwards."""
    config = config_for(tmp_path, {"persons": {"schedule": "every 1h"}})
    runner = FakeRunner(store, "a", seconds=60)
    a = scheduler(config, store, "a", runner)
    worker = threading.Thread(target=a.fire, args=("persons", utc_now()))
    worker.start()
    assert runner.started.wait(10)
    assert a.active() == ["persons"]
    a.stop()
    assert a.wait_idle(10)
    worker.join()
    assert a.fire("persons", utc_now()) == "stopping"
    assert [r["status"] for r in runs(store)] == ["interrupted"]


def test_a_lost_lease_stops_the_run(store: Store, tmp_path: Path) -> None:
    """When renewal finds the lease taken over, the run is asked to stop."""
    config = config_for(tmp_path, {"persons": {"schedule": "every 1h"}})
    runner = FakeRunner(store, "a", seconds=60)
    a = scheduler(config, store, "a", runner, lease_seconds=0.3)
    a.leases.start_renewing()
    worker = threading.Thread(target=a.fire, args=("persons", utc_now()))
    worker.start()
    assert runner.started.wait(10)
    with store.transaction() as conn:
        conn.execute(schema.leases.update().values(instance="b", acquired_at="taken"))
    worker.join(20)
    assert not worker.is_alive()
    a.leases.close()
    assert [r["status"] for r in runs(store)] == ["interrupted"]


def test_two_live_schedulers_run_each_due_time_exactly_once(tmp_path: Path) -> None:
    """Two instances on one SQLite store with a job every second: every due second runs once,
    on one of them, and no two runs of the job overlap (PostgreSQL:
    tests/service/test_service_e2e)."""
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    config = config_for(tmp_path, {"tick": {"schedule": "every 1s"}})
    instances = [
        scheduler(config, store, name, FakeRunner(store, name, seconds=0.2)) for name in "ab"
    ]
    for instance in instances:
        instance.leases.start_renewing()
        instance.start()
    time.sleep(4)
    for instance in instances:
        instance.stop()
    for instance in instances:
        assert instance.wait_idle(10)
        instance.leases.close()
    found = runs(store, "tick")
    slots = [int(parse_iso(r["started_at"]).timestamp()) for r in found]
    assert len(found) >= 3
    assert slots == list(range(slots[0], slots[0] + len(slots)))  # each second once, no gaps
    for earlier, later in itertools.pairwise(found):
        assert earlier["ended_at"] <= later["started_at"]
    # The run in flight when the instances stopped ended early; every other one completed.
    assert all(r["status"] == "succeeded" for r in found[:-1])
    assert {r["instance"] for r in found} <= {"a", "b"}
    store.close()


def test_skips_are_counted_by_reason(store: Store, tmp_path: Path) -> None:
    """A due run not taken here is counted with its reason in the metrics."""
    config = config_for(tmp_path, {"persons": {"schedule": "every 1h"}})
    a = scheduler(config, store, "a", FakeRunner(store, "a"))
    due = utc_now() - timedelta(seconds=1)
    assert a.fire("persons", due) == "ran"
    assert a.fire("persons", due) == "already_ran"
    skipped = sample(a, "gateway_runs_skipped_total", job="persons", reason="already_ran")
    assert skipped == 1
    assert sample(a, "gateway_records_total", job="persons", outcome="inserted") == 2


def test_a_monthly_run_missed_while_down_runs_once_at_start(store: Store, tmp_path: Path) -> None:
    """The month's notice is owed: an instance starting after the first working day's due time,
    with no run since, runs it once; the next instance to start sees it done. An interval job
    is not caught up: its next due time comes soon enough."""
    config = config_for(
        tmp_path,
        {
            "notice": {"schedule": "first working day of month 09:00"},
            "hourly": {"schedule": "every 1h"},
        },
    )
    a = scheduler(config, store, "a", FakeRunner(store, "a"))
    a.start()
    try:
        wait_for(lambda: [r["job"] for r in runs(store)] == ["notice"])
        assert a.wait_idle(10)
    finally:
        a.stop()
    b = scheduler(config, store, "b", FakeRunner(store, "b"))
    b.start()
    try:
        time.sleep(0.5)
        assert b.wait_idle(10)
    finally:
        b.stop()
    assert [(r["job"], r["instance"], r["status"]) for r in runs(store)] == [
        ("notice", "a", "succeeded")
    ]
