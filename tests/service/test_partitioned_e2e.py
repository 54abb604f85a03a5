"""Three `gateway run` processes on one PostgreSQL store pull one partitioned job (decision
0021) from the labor-force simulator over a socket: the union equals a one-instance pull, each
partition is done once per round, the job's view sums its runs, and a partition whose holder is
killed with -9 is resumed elsewhere from its cursor."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gateway.config import load_config
from gateway.pipeline import JobRunner
from gateway.pipeline.partitions import job_partitions, job_view
from gateway.store import Store
from gateway.store.keyring import data_sealer
from simulators.demo.config import DemoContext
from simulators.labor_force.population import Population
from tests.bench.run import store_digest
from tests.helpers.service_cluster import JOB, Cluster, cluster, wait_until

pytestmark = pytest.mark.postgres

INSTANCES = ("gw-a", "gw-b", "gw-c")


def first_round(group: Cluster, partitions: list[str]) -> list[dict[str, Any]] | None:
    """The runs of the earliest round once every partition finished in it (else ``None``)."""
    runs = [r for r in group.runs() if r["round"] is not None]
    if not runs:
        return None
    earliest = min(r["round"] for r in runs)
    rows = [r for r in runs if r["round"] == earliest]
    finished = {r["partition"] for r in rows if r["status"] in ("succeeded", "partial", "failed")}
    return rows if finished == set(partitions) else None


def single_instance_digest(group: Cluster, directory: Path, monkeypatch: Any) -> str:
    """The same job, not partitioned, pulled by one runner into a store of its own."""
    data = yaml.safe_load(group.config_path.read_text(encoding="utf-8"))
    del data["jobs"][JOB]["partitions"]
    path = directory / "single.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    url = f"sqlite:///{directory / 'single.db'}"
    monkeypatch.setenv("GATEWAY__STORE__URL", url)
    config = load_config(path)
    store = Store(config.store_url, sealer=data_sealer(config))
    try:
        summary = JobRunner(config, store, instance="single").run(JOB)
    finally:
        store.close()
    assert summary.status == "succeeded"
    return store_digest(url, data_sealer(config))


def gateway_json(group: Cluster, *args: str) -> Any:
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args, "--json", "--config", str(group.config_path)],
        env=group.env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_three_instances_split_one_job_and_the_union_is_the_whole_pull(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 3000
    with cluster(
        tmp_path, pg_url, monkeypatch, size=size, schedule="every 30s",
        partitions="counties:5226",
    ) as group:  # fmt: skip
        partitions = job_partitions(group.config, JOB)
        group.start(*INSTANCES)
        wait_until(lambda: first_round(group, partitions) is not None, 240, "no complete round")
        for name in INSTANCES:
            assert group.terminate(name) == 0
        rows = first_round(group, partitions)
        assert rows is not None
        listed = gateway_json(group, "runs", JOB, "--last", "500")
        records, letters = group.counts()
        union = store_digest(pg_url, data_sealer(group.config))
        single = single_instance_digest(group, tmp_path, monkeypatch)
    assert len(rows) == len(partitions) == 16, "a partition ran twice in its round"
    assert all(r["status"] == "succeeded" for r in rows)
    assert {r["instance"] for r in rows} <= set(INSTANCES)
    view = job_view(rows, partitions)
    assert (view["status"], view["read"]) == ("succeeded", size)
    assert records + letters == size
    assert union == single
    shown = [r for r in listed if r["round"] is not None and r["run_id"] in {x["id"] for x in rows}]
    assert sorted(r["partition"] for r in shown) == partitions
    assert sum(r["read"] for r in shown) == size


def test_a_partition_killed_mid_run_is_resumed_elsewhere_from_its_cursor(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 of an instance in the middle of a partition: its advisory lock drops, another
    instance marks the run interrupted and reads on from the committed cursor; the round reads
    every person exactly once in all, and the store holds each once."""
    size = 2000
    with cluster(
        tmp_path, pg_url, monkeypatch, size=size, schedule="every 120s", latency=0.2,
        partitions=["522601", "522631", "522633"],
    ) as group:  # fmt: skip
        partitions = job_partitions(group.config, JOB)
        group.start(*INSTANCES)

        def holder_with_progress() -> str | None:
            for run in group.runs():
                if run["status"] == "running" and run["read"] >= 100:
                    return str(run["instance"])
            return None

        wait_until(lambda: holder_with_progress() is not None, 200, "no partition got going")
        victim = holder_with_progress()
        assert victim is not None
        group.kill(victim)
        wait_until(lambda: first_round(group, partitions) is not None, 240, "never resumed")
        for name in list(group.instances):
            assert group.terminate(name) == 0
        rows = first_round(group, partitions)
        assert rows is not None
        records, letters = group.counts()
    interrupted = [r for r in rows if r["status"] == "interrupted"]
    assert [r["instance"] for r in interrupted] == [victim]
    resumed = [
        r
        for r in rows
        if r["partition"] == interrupted[0]["partition"] and r["status"] == "succeeded"
    ]
    assert len(resumed) == 1
    assert resumed[0]["instance"] != victim
    assert resumed[0]["started_at"] > interrupted[0]["started_at"]
    view = job_view(rows, partitions)
    assert view["status"] == "succeeded"
    # Committed pages are counted once: the resumption read on from the killed run's cursor.
    population = Population(size, DemoContext.seed)
    expected = sum(len(population.county_indexes(county)) for county in partitions)
    assert view["read"] == records + letters == expected
