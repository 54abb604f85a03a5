"""``sync --dry-run``: reads, maps and validates, prints the counts and the first rejections,
and leaves the store, the cursors and the simulator as they were."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gateway.store import Store, schema
from tests.helpers.resilience_kit import (
    LOAD_JOB,
    PERSONS_JOB,
    PUSH_JOB,
    World,
    expected_persons,
    make_world,
    write_verifications,
)

SIZE = 300
SEED = 11


def snapshot(world: World) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: equal snapshots mean nothing was written."""
    store = Store(world.config.store_url)
    with store.connect() as conn:
        found = {
            table.name: sorted(map(tuple, conn.execute(select(table)).all()), key=repr)
            for table in schema.metadata.sorted_tables
        }
    store.close()
    return found


def dry(world: World, job: str) -> dict[str, Any]:
    done = world.gateway("sync", job, "--dry-run", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def test_dry_run_writes_nothing_and_counts_what_a_run_would(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pull and push dry runs on SQLite and PostgreSQL: counts as a real run's, the first
    rejections with their reasons; every table, every cursor and the simulator's accepted
    verifications unchanged."""
    monkeypatch.setenv("GATEWAY__STORE__URL", store_url)  # the CLI processes inherit it
    world = make_world(tmp_path, size=SIZE, seed=SEED, page_size=100)
    _, rejected = expected_persons(SIZE, SEED)
    with world.simulator():
        before = snapshot(world)
        report = dry(world, PERSONS_JOB)
        assert (report["read"], report["rejected"]) == (SIZE, rejected)
        assert report["valid"] == SIZE - rejected
        assert 0 < len(report["rejections"]) <= 10
        first = report["rejections"][0]
        assert first["reasons"][0]["field"]
        assert snapshot(world) == before

        human = world.gateway("sync", PERSONS_JOB, "--dry-run")
        assert f"{SIZE:,} read" in human.stdout
        assert "nothing written" in human.stdout
        assert snapshot(world) == before

        write_verifications(world)
        assert world.gateway("sync", PERSONS_JOB).returncode == 0
        assert world.gateway("sync", LOAD_JOB).returncode == 0
        loaded = snapshot(world)
        report = dry(world, PUSH_JOB)
        assert report["direction"] == "push"
        assert report["read"] > 0
        assert report["valid"] == report["read"]
        assert snapshot(world) == loaded
        assert world.sim("/_sim/verifications") in ([], {"items": []}, {"count": 0, "items": []})
