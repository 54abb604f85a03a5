"""Partitioned pulls on SQLite (decision 0021): the config, the stream's partitions, a cursor
and a lease per partition, the scheduler taking free partitions, and the job's summed view."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import select

from gateway.clock import to_iso, utc_now
from gateway.config import GatewayConfig, load_config, parse_config
from gateway.errors import ConfigError
from gateway.pipeline import JobRunner
from gateway.pipeline.partitions import (
    combined_status,
    job_partitions,
    job_view,
    part_name,
    round_rows,
)
from gateway.service.leases import LeaseManager
from gateway.service.metrics import ServiceMetrics
from gateway.service.scheduler import JobScheduler
from gateway.store import Store, schema
from simulators.demo.config import DemoContext, build_config
from simulators.serve import running_simulators
from tests.service.test_service_scheduler import Outcome

JOB = "persons"
COUNTIES = ["522601", "522622", "522623", "522624"]


def config_for(tmp_path: Path, **job: Any) -> GatewayConfig:
    data = {
        "platforms": {
            "lf": {
                "adapter": "labor_force",
                "base_url": "http://127.0.0.1:9",
                "app_key": "k",
                "app_secret": "env:LF_SECRET",
            }
        },
        "jobs": {
            JOB: {
                "source": "lf.persons",
                "target": "store",
                "mapping": "labor_force/persons.yaml",
                **job,
            }
        },
    }
    return parse_config(data, "test.yaml", tmp_path)


# -- configuration ------------------------------------------------------------------------------


def test_partitions_are_values_or_a_set_the_stream_offers(tmp_path: Path) -> None:
    """Unquoted county codes are their digits; ``counties:5226`` is the 16 counties of the
    prefecture, as the stream offers them."""
    listed = config_for(tmp_path, partitions=[522601, "522622"])
    assert listed.jobs[JOB].partitions == ["522601", "522622"]
    assert job_partitions(listed, JOB) == ["522601", "522622"]
    named = job_partitions(config_for(tmp_path, partitions="counties:5226"), JOB)
    assert len(named) == 16
    assert named[0] == "522601"
    assert job_partitions(config_for(tmp_path), JOB) == []


@pytest.mark.parametrize(
    ("partitions", "message"),
    [
        ([], "jobs.persons.partitions: must list at least one partition"),
        (["522601", "522601"], "'522601' is listed twice"),
        (["a/b"], "'a/b' is not a partition value"),
        ("Counties 5226", "is not a set name"),
    ],
)
def test_a_malformed_partitions_setting_is_one_line(
    tmp_path: Path, partitions: Any, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        config_for(tmp_path, partitions=partitions)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_only_a_pull_is_partitioned(tmp_path: Path) -> None:
    data = {
        "platforms": {"lf": {"adapter": "labor_force"}},
        "jobs": {
            "out": {
                "source": "store",
                "target": "lf.verifications",
                "mapping": "labor_force/verifications.yaml",
                "partitions": ["522601"],
            }
        },
    }
    with pytest.raises(ConfigError, match="only a pull"):
        parse_config(data, "test.yaml", tmp_path)


@pytest.mark.parametrize(
    ("partitions", "message"),
    [
        ("provinces:52", "no such set of partitions"),
        ("counties:9999", "the set of partitions is empty"),
        (["52260"], "not a partition this stream can filter by"),
    ],
)
def test_the_stream_refuses_what_it_cannot_filter_by(
    tmp_path: Path, partitions: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        job_partitions(config_for(tmp_path, partitions=partitions), JOB)


def test_a_stream_without_a_filter_cannot_be_partitioned(tmp_path: Path) -> None:
    data = {
        "platforms": {"inbox": {"adapter": "files"}},
        "jobs": {
            "things": {
                "source": "inbox.things",
                "target": "store",
                "mapping": "m.yaml",
                "partitions": ["a"],
            }
        },
    }
    with pytest.raises(ConfigError, match="cannot be partitioned"):
        job_partitions(parse_config(data, "test.yaml", tmp_path), "things")


# -- the job's view -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected", "outcome"),
    [
        (["succeeded", "succeeded"], 2, "succeeded"),
        (["succeeded", "partial"], 2, "partial"),
        (["succeeded"], 2, "incomplete"),
        (["succeeded", "interrupted"], 2, "interrupted"),
        (["running", "failed"], 2, "running"),
        (["failed", "interrupted"], 2, "failed"),
        ([], 2, "incomplete"),
    ],
)
def test_the_job_outcome_is_the_worst_partition(
    statuses: list[str], expected: int, outcome: str
) -> None:
    assert combined_status(statuses, expected) == outcome


def _row(partition: str, status: str, started: str, read: int, instance: str) -> dict[str, Any]:
    return {
        "id": f"{partition}-{started}", "job": JOB, "instance": instance, "status": status,
        "started_at": started, "ended_at": started, "read": read, "inserted": read,
        "updated": 0, "unchanged": 0, "rejected": 0, "retried": 0, "unreadable": 0,
        "error": None, "partition": partition, "round": "R",
    }  # fmt: skip


def test_the_job_view_sums_every_run_of_the_round() -> None:
    """An interrupted run's committed pages count with its resumption's; the outcome is each
    partition's latest run's."""
    rows = [
        _row("a", "interrupted", "t1", 30, "gw-a"),
        _row("b", "succeeded", "t1", 50, "gw-b"),
        _row("a", "succeeded", "t2", 20, "gw-c"),
    ]
    view = job_view(rows, ["a", "b"])
    assert view["status"] == "succeeded"
    assert view["read"] == 100
    assert view["partitions"] == {"a": "succeeded", "b": "succeeded"}
    assert view["instance"] == "gw-a, gw-b, gw-c"
    assert job_view(rows[:2], ["a", "b"])["status"] == "interrupted"


# -- leases and cursors -------------------------------------------------------------------------


def test_each_partition_has_a_lease_of_its_own(sqlite_store: Store) -> None:
    first = LeaseManager(sqlite_store, "gw-a", 60)
    second = LeaseManager(sqlite_store, "gw-b", 60)
    held = first.acquire(part_name(JOB, "522601"))
    assert held is not None
    assert second.acquire(part_name(JOB, "522601")) is None
    other = second.acquire(part_name(JOB, "522622"))
    assert other is not None
    assert second.acquire(JOB) is not None  # the job's own lease is another name again
    first.close()
    second.close()


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A demo directory with the persons job in two partitions, its simulator in-process."""
    data = build_config(DemoContext(tmp_path, size=600))
    job = {**data["jobs"]["labor-persons"], "batch_size": 50, "partitions": COUNTIES[:2]}
    job.pop("schedule", None)
    data.update(platforms={"labor_force": data["platforms"]["labor_force"]}, jobs={JOB: job})
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    store = Store(config.store_url)
    with running_simulators(config, only=["labor_force"]):
        yield config, store
    store.close()


def test_a_partition_reads_its_county_from_its_own_cursor(served: Any) -> None:
    """Each partition's run keeps its cursor under ``JOB/PARTITION`` (the job's own stays
    unset), names its partition and round, and stores only its county's persons; a second
    run of a partition resumes from its cursor and reads nothing."""
    config, store = served
    runner = JobRunner(config, store, instance="gw-a")
    first = runner.run(JOB, partition=COUNTIES[0], round_id="r1")
    second = runner.run(JOB, partition=COUNTIES[1], round_id="r1")
    assert first.status == second.status == "succeeded"
    assert first.read > 0
    assert second.read > 0
    assert store.load_checkpoint(JOB) is None
    assert store.load_checkpoint(part_name(JOB, COUNTIES[0])) is not None
    assert store.load_checkpoint(part_name(JOB, COUNTIES[1])) is not None
    rows = round_rows(store, JOB, "r1")
    assert sorted(r["partition"] for r in rows) == COUNTIES[:2]
    assert job_view(rows, COUNTIES[:2])["read"] == first.read + second.read
    again = runner.run(JOB, partition=COUNTIES[0], round_id="r2")
    assert (again.status, again.read) == ("succeeded", 0)
    with pytest.raises(ConfigError, match="not a partition of the job"):
        runner.run(JOB, partition="522699")


# -- the scheduler ------------------------------------------------------------------------------


class PartitionRunner:
    """Writes run rows like the real runner, one partition at a time; ``seconds`` a run."""

    def __init__(self, store: Store, instance: str, seconds: float = 0.0) -> None:
        self.store = store
        self.instance = instance
        self.seconds = seconds
        self.fail: set[str] = set()

    def __call__(
        self,
        job: str,
        stop: threading.Event,
        progress: Any,
        _observe: Any,
        /,
        *,
        partition: str | None = None,
        round_id: str | None = None,
    ) -> Outcome:
        assert partition is not None
        run_id = self.store.start_run(
            job, self.instance, None, partition=partition, round_id=round_id
        )
        stop.wait(self.seconds)
        status = "failed" if partition in self.fail else "succeeded"
        with self.store.transaction() as conn:
            self.store.add_run_counts(conn, run_id, {"read": 10, "inserted": 10})
            self.store.finish_run(conn, run_id, status, "broken" if status == "failed" else None)
        return Outcome(status, inserted=10)


def scheduler(config: GatewayConfig, store: Store, runner: PartitionRunner) -> JobScheduler:
    metrics = ServiceMetrics(store, config.jobs, config.platforms, runner.instance)
    leases = LeaseManager(store, runner.instance, 60)
    return JobScheduler(config, store, leases, runner, metrics, retry_seconds=0.05)


def finished_runs(store: Store) -> list[dict[str, Any]]:
    table = schema.runs
    query = select(table).where(table.c.job == JOB).order_by(table.c.started_at)
    with store.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def test_two_schedulers_split_the_partitions_each_once(tmp_path: Path, sqlite_store: Store) -> None:
    """Fired for one due time on two instances at once, every partition runs exactly once,
    on one of them, as one round; a second fire for that due time runs nothing."""
    config = config_for(tmp_path, partitions=COUNTIES)
    due = utc_now()
    schedulers = [
        scheduler(config, sqlite_store, PartitionRunner(sqlite_store, name, 0.05))
        for name in ("gw-a", "gw-b")
    ]
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda s=s: answers.append(s.fire(JOB, due))) for s in schedulers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    rows = finished_runs(sqlite_store)
    assert sorted(r["partition"] for r in rows) == COUNTIES
    assert all(r["status"] == "succeeded" for r in rows)
    assert {r["instance"] for r in rows} <= {"gw-a", "gw-b"}
    assert {r["round"] for r in rows} == {to_iso(due)}
    assert "ran" in answers
    assert schedulers[0].fire(JOB, due) == "already_ran"
    view = job_view(round_rows(sqlite_store, JOB, to_iso(due)), COUNTIES)
    assert (view["status"], view["read"]) == ("succeeded", 40)


def test_a_partition_left_running_by_a_dead_instance_is_run_again(
    tmp_path: Path, sqlite_store: Store
) -> None:
    """A partition whose run a dead instance left ``running`` (its lease gone) is marked
    interrupted and run here; a failed partition is done for its due time, and the job's
    run is failed."""
    config = config_for(tmp_path, partitions=COUNTIES[:3])
    due = utc_now()
    left = sqlite_store.start_run(JOB, "gw-dead", None, partition=COUNTIES[0], round_id="x")
    runner = PartitionRunner(sqlite_store, "gw-a")
    runner.fail.add(COUNTIES[2])
    assert scheduler(config, sqlite_store, runner).fire(JOB, due) == "ran"
    rows = {r["id"]: r for r in finished_runs(sqlite_store)}
    assert rows[left]["status"] == "interrupted"
    mine = [r for r in rows.values() if r["instance"] == "gw-a"]
    assert sorted(r["partition"] for r in mine) == COUNTIES[:3]
    view = job_view(round_rows(sqlite_store, JOB, to_iso(due)), COUNTIES[:3])
    assert view["status"] == "failed"
    assert view["error"] == f"{COUNTIES[2]}: broken"
