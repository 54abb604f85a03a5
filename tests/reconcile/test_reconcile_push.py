"""gateway reconcile on a push job: the outbox against the platform's receipts."""

from __future__ import annotations

from pathlib import Path

from gateway.reconcile.findings import MISSING_AT_PLATFORM, Findings
from gateway.reconcile.runner import ReconcileOptions, Reconciler
from gateway.store import schema
from tests.helpers.labor_env import LaborEnv, labor_env

LOAD, PUSH = "verifications-load", "labor-verifications-push"


def reconcile(env: LaborEnv, **options: bool) -> Findings:
    return Reconciler(env.config, env.store).run(PUSH, ReconcileOptions(limit=1000, **options))


def record_keys(env: LaborEnv, idempotency_keys: list[str]) -> set[str]:
    table = schema.outbox
    with env.store.connect() as conn:
        rows = conn.execute(
            table.select()
            .with_only_columns(table.c.record_key)
            .where(table.c.job == PUSH, table.c.idempotency_key.in_(idempotency_keys))
        )
        return {key for (key,) in rows}


def test_push_outbox_against_receipts(tmp_path: Path) -> None:
    """Zero differences after a push; exactly the verifications the platform lost afterwards;
    zero again once they are put in doubt and the push job passes over them again."""
    with labor_env(tmp_path, size=4000, encrypted=False) as env:
        assert env.run(LOAD).status == "succeeded"
        pushed = env.run(PUSH)
        assert pushed.status == "succeeded"
        first = reconcile(env)
        assert first.total == 0
        assert first.store_count == first.platform_count == pushed.inserted

        lost = env.sim("POST", "/_sim/verifications/forget", json={"count": 4, "seed": 9})
        forgotten = lost.json()["forgotten"]
        assert len(forgotten) == 4
        found = reconcile(env, resend=True)
        assert found.counts[MISSING_AT_PLATFORM] == found.total == 4
        assert {d.key for d in found.listed} == record_keys(env, forgotten)
        assert all(d.run is not None for d in found.listed)

        env.store.reset_checkpoint(PUSH)
        assert env.run(PUSH).status == "succeeded"
        assert reconcile(env).total == 0
