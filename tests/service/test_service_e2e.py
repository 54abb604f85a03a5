"""`gateway run` for real: two instances on one PostgreSQL store, a holder killed with -9, and a
SIGTERM in the middle of a run, against the labor-force simulator."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from gateway.service.triggers import ORIGIN
from tests.helpers.service_cluster import JOB, cluster, started, wait_until

pytestmark = pytest.mark.postgres


def slot(run: dict[str, object], period: float) -> int:
    """Which due time of an ``every <period>s`` schedule a run belongs to."""
    return int((started(run) - ORIGIN).total_seconds() // period)


def assert_never_overlapping(runs: list[dict[str, object]]) -> None:
    for earlier, later in itertools.pairwise(runs):
        assert earlier["ended_at"] is not None
        assert str(earlier["ended_at"]) <= str(later["started_at"]), "two runs overlapped"


def test_two_instances_run_each_due_time_once(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both instances schedule the job every 2 s; each due time runs once, on one of them,
    never two at a time; their metrics pages parse and add up to the store's runs."""
    with cluster(tmp_path, pg_url, monkeypatch, size=300, schedule="every 2s") as group:
        group.start("gw-a", "gw-b")
        time.sleep(10)
        pages = {name: group.metrics(name) for name in ("gw-a", "gw-b")}
        assert group.terminate("gw-a") == 0
        assert group.terminate("gw-b") == 0
        runs = group.runs()
        records, letters = group.counts()
    slots = [slot(run, 2) for run in runs]
    assert len(runs) >= 4
    assert slots == list(range(slots[0], slots[0] + len(runs))), "a due time ran twice or never"
    assert_never_overlapping(runs)
    assert {run["instance"] for run in runs} <= {"gw-a", "gw-b"}
    assert all(run["status"] == "succeeded" for run in runs[:-1])
    assert sum(run["read"] for run in runs) == 300
    assert records + letters == 300

    def total(name: str, **labels: str) -> float:
        key = tuple(sorted(labels.items()))
        return sum(page.get((name, key), 0.0) for page in pages.values())

    finished_when_scraped = total("gateway_runs_total", job=JOB, status="succeeded")
    assert 1 <= finished_when_scraped <= len(runs)
    assert total("gateway_records_total", job=JOB, outcome="inserted") == records
    # Every successful run asked the platform at least once.
    calls = total("gateway_http_requests_total", platform="labor_force", status="200")
    assert calls >= finished_when_scraped
    for page in pages.values():
        assert page[("gateway_store_up", ())] == 1
        assert page[("gateway_dead_letters_open", (("job", JOB),))] == letters


def test_killed_holder_is_replaced_at_the_next_due_time(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 of the instance running a long job: the other runs it at its next due time
    (long before the 60 s lease would expire), resumes from the cursor, and the store ends
    with every person once."""
    size, period = 1500, 4
    with cluster(
        tmp_path, pg_url, monkeypatch, size=size, schedule=f"every {period}s", latency=0.25
    ) as group:
        group.start("gw-a", "gw-b")

        def running_with_progress() -> bool:
            return any(r["status"] == "running" and r["read"] >= 300 for r in group.runs())

        wait_until(running_with_progress, 60, "no run made progress")
        victim = next(r for r in group.runs() if r["status"] == "running")
        survivor = "gw-b" if victim["instance"] == "gw-a" else "gw-a"
        group.kill(str(victim["instance"]))
        killed_at = time.time()

        def caught_up() -> bool:
            return sum(r["read"] for r in group.runs()) == size and all(
                r["status"] != "running" for r in group.runs()
            )

        wait_until(caught_up, 90, "the survivor never finished the job")
        runs = group.runs()
        records, letters = group.counts()
        assert group.terminate(survivor) == 0
    by_id = {run["id"]: run for run in runs}
    assert by_id[victim["id"]]["status"] == "interrupted"
    takeover = next(r for r in runs if started(r).timestamp() > killed_at)
    assert takeover["instance"] == survivor
    assert slot(takeover, period) <= int((killed_at - ORIGIN.timestamp()) // period) + 2
    assert_never_overlapping(runs)
    assert records + letters == size
    assert records == sum(run["inserted"] for run in runs)


def test_sigterm_mid_run_commits_and_the_next_start_resumes(
    tmp_path: Path, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM during a run: exit 0 within the grace period with the run interrupted after a
    committed batch; started again, the service reads on from the cursor, not from the start."""
    size = 1500
    with cluster(
        tmp_path, pg_url, monkeypatch, size=size, schedule="every 3s", latency=0.25
    ) as group:
        group.start("gw-a")
        wait_until(lambda: any(r["read"] >= 300 for r in group.runs()), 60, "no run made progress")
        assert group.terminate("gw-a") == 0
        (first,) = group.runs()
        assert first["status"] == "interrupted"
        assert 300 <= first["read"] < size
        records, letters = group.counts()
        assert records + letters == first["read"]  # every counted record is committed
        group.start("gw-a")
        wait_until(
            lambda: any(r["status"] == "succeeded" for r in group.runs()), 90, "no run finished"
        )
        assert group.terminate("gw-a") == 0
        runs = group.runs()
        records, letters = group.counts()
    resumed = runs[1]
    assert resumed["status"] == "succeeded"
    assert resumed["read"] == size - first["read"]
    assert records + letters == size
