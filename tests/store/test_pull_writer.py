"""The pull's writer thread: pages commit in order, and a failed commit ends the run cleanly."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from gateway.errors import StoreError
from gateway.pipeline import JobRunner, pull
from gateway.store import RecordRow
from gateway.store.records import UpsertCounts, iter_hashes, upsert_records
from tests.helpers.resilience_kit import PERSONS_JOB, expected_persons, hashes, make_world

SIZE = 60
SEED = 5
PAGE = 10


def test_a_failed_commit_fails_the_run_and_commits_nothing_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The third page's transaction fails: the run fails with that error, the first two pages
    and their cursor stay committed, no later page is written, and a new run completes."""
    world = make_world(tmp_path, size=SIZE, seed=SEED, page_size=PAGE)
    store = world.store()
    calls = 0

    def failing_upsert(
        conn: Any, entity: str, rows: Sequence[RecordRow], source_job: str
    ) -> UpsertCounts:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise StoreError("disk full (simulated)")
        return upsert_records(conn, entity, rows, source_job)

    monkeypatch.setattr(pull, "upsert_records", failing_upsert)
    with world.simulator():
        failed = JobRunner(world.config, store).run(PERSONS_JOB)
        assert (failed.status, failed.error) == ("failed", "disk full (simulated)")
        assert failed.read == 2 * PAGE
        assert calls == 3  # pages read after the failure were never written
        with store.connect() as conn:
            assert len(list(iter_hashes(conn, "person"))) == failed.inserted
        monkeypatch.setattr(pull, "upsert_records", upsert_records)
        rest = JobRunner(world.config, store).run(PERSONS_JOB)
    assert rest.status == "succeeded", rest.error
    assert failed.read + rest.read == SIZE
    assert hashes(store, "person") == expected_persons(SIZE, SEED)[0]
    store.close()


def test_switch_interval_is_short_while_pulls_run_and_restored_after() -> None:
    """Overlapping pulls share the shorter interval; the last one to end restores the default."""
    default = sys.getswitchinterval()
    with pull._responsive_threads():
        assert sys.getswitchinterval() == pytest.approx(0.0005)
        with pull._responsive_threads():
            assert sys.getswitchinterval() == pytest.approx(0.0005)
        assert sys.getswitchinterval() == pytest.approx(0.0005)
    assert sys.getswitchinterval() == default
