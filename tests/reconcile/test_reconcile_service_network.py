"""gateway reconcile on the service network's cases pull (and the catalogue push)."""

from __future__ import annotations

from pathlib import Path

from gateway.reconcile.findings import DIFFERENT, MISSING_AT_GATEWAY, MISSING_AT_PLATFORM
from gateway.reconcile.runner import ReconcileOptions, Reconciler
from tests.helpers.service_network_env import service_network_env

CASES = "sn-cases"
FINE = ReconcileOptions(fanout=4, leaf=15, limit=1000)


def test_cases_reconcile(tmp_path: Path) -> None:
    """Zero differences after the sync; exactly the cases the platform changed, deleted and
    added; zero after the next sync and tombstoning the deleted."""
    with service_network_env(tmp_path, cases=120) as env:
        assert env.run(CASES).inserted == 120
        reconciler = Reconciler(env.config, env.store)
        first = reconciler.run(CASES, FINE)
        assert first.total == 0
        assert first.platform_count == first.store_count == 120

        with env.client() as client:
            moved = client.post(
                "/_sim/cases/mutate", json={"change": 4, "delete": 3, "add": 2, "seed": 8}
            ).json()
        found = reconciler.run(CASES, FINE)
        listed = {kind: {d.key for d in found.listed if d.kind == kind} for kind in found.counts}
        assert listed[DIFFERENT] == set(moved["changed"])
        assert listed[MISSING_AT_PLATFORM] == set(moved["deleted"])
        assert listed[MISSING_AT_GATEWAY] == set(moved["added"])
        assert all("enterprise_name" in d.fields for d in found.listed if d.kind == DIFFERENT)

        assert env.run(CASES).status == "succeeded"
        tombstoned = reconciler.run(CASES, ReconcileOptions(fanout=4, leaf=15, mark_deleted=True))
        assert tombstoned.total == tombstoned.counts[MISSING_AT_PLATFORM] == 3
        assert reconciler.run(CASES, FINE).total == 0
