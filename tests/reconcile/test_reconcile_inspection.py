"""gateway reconcile on the inspection platform: the drawn tasks (pull) and a directory (push)."""

from __future__ import annotations

from pathlib import Path

import httpx

from gateway.pipeline import JobRunner
from gateway.reconcile.findings import DIFFERENT, MISSING_AT_GATEWAY, MISSING_AT_PLATFORM
from gateway.reconcile.runner import ReconcileOptions, Reconciler
from gateway.store import Store
from simulators.demo.config import DemoContext
from simulators.demo.inspection import demo_part
from simulators.serve import running_simulators
from tests.helpers.inspection_flow import run_all, write_config

TASKS, SUBJECTS = "inspection-tasks", "inspection-subjects-push"
FINE = ReconcileOptions(fanout=4, leaf=10, limit=1000)


def test_tasks_and_subjects_reconcile(tmp_path: Path) -> None:
    """Tasks: zero differences after the sync, exactly the tasks the platform changed, deleted
    and added, zero after the next sync and tombstoning. Subjects: the outbox agrees with the
    platform's receipts."""
    ctx = DemoContext(tmp_path, seed=2022)
    part = demo_part(ctx)
    config = write_config(ctx, part.platforms, part.jobs)
    store = Store(config.store_url)
    try:
        with running_simulators(config) as urls:
            run_all(JobRunner(config, store), config)
            reconciler = Reconciler(config, store)
            assert reconciler.run(TASKS, FINE).total == 0
            pushed = reconciler.run(SUBJECTS, ReconcileOptions())
            assert pushed.total == 0
            assert pushed.store_count == pushed.platform_count == 4125

            moved = httpx.post(
                f"{urls['inspection']}/_sim/tasks/mutate",
                json={"change": 3, "delete": 2, "add": 2, "seed": 5},
                timeout=30,
            ).json()
            found = reconciler.run(TASKS, FINE)
            listed = {
                kind: {d.key for d in found.listed if d.kind == kind} for kind in found.counts
            }
            assert listed[DIFFERENT] == set(moved["changed"])
            assert listed[MISSING_AT_PLATFORM] == set(moved["deleted"])
            assert listed[MISSING_AT_GATEWAY] == set(moved["added"])
            assert all(
                d.fields == ("deadline", "updated_at") for d in found.listed if d.kind == DIFFERENT
            )

            assert JobRunner(config, store).run(TASKS).status == "succeeded"
            again = reconciler.run(TASKS, ReconcileOptions(fanout=4, leaf=10, mark_deleted=True))
            assert again.counts[DIFFERENT] == again.counts[MISSING_AT_GATEWAY] == 0
            assert again.counts[MISSING_AT_PLATFORM] == 2
            assert reconciler.run(TASKS, FINE).total == 0
    finally:
        store.close()
