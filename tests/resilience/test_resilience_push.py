"""Pushes whose outcome is unknown: the platform did the work, the answer never arrived.

The run that could not learn the outcome fails (it must not move its checkpoint past records it
cannot account for) and leaves the outbox rows 'sending'. The next run asks the platform about
those keys (receipts endpoint) before sending anything, so nothing reaches the platform twice.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from gateway.pipeline import JobRunner
from gateway.store import Store, schema
from tests.helpers.resilience_kit import LOAD_JOB, PUSH_JOB, make_world, write_verifications

SEED = 808
SIZE = 600
PLATFORM = {
    "timeout": {"connect": 2.0, "read": 0.3},
    "retry": {"max_attempts": 2, "max_seconds": 5, "initial_backoff": 0.05, "max_backoff": 0.1,
              "jitter": 0.01},
}  # fmt: skip


def outbox_states(store: Store) -> dict[str, int]:
    with store.connect() as conn:
        return dict(
            conn.execute(
                select(schema.outbox.c.status, func.count()).group_by(schema.outbox.c.status)
            ).all()
        )


def test_in_doubt_pushes_are_looked_up_not_resent(tmp_path: Path) -> None:
    """Every answer times out after the platform applied the batch: the run fails with rows in
    doubt; the next run resolves them by lookup, and the platform holds each record once."""
    print(f"seed={SEED} size={SIZE}")
    world = make_world(tmp_path, size=SIZE, seed=SEED, push_batch=40, platform=PLATFORM)
    rows = write_verifications(world, every=6)
    store = world.store()
    with world.simulator():
        runner = JobRunner(world.config, store)
        assert runner.run(LOAD_JOB).status == "succeeded"
        world.set_faults(timeout_rate=1.0, slow_seconds=0.6)
        failed = runner.run(PUSH_JOB)
        assert failed.status == "failed"
        assert failed.error is not None
        assert "\n" not in failed.error
        in_doubt = outbox_states(store)
        assert in_doubt == {"sending": 40}, "only the first batch went out, and it is in doubt"
        first = world.sim("/_sim/stats")
        assert first["verifications_received"] == 40, "the platform did apply the batch"

        world.set_faults()
        done = runner.run(PUSH_JOB)
        stats = world.sim("/_sim/stats")
        accepted = world.sim("/_sim/verifications")
    assert done.status == "succeeded", done.error
    assert outbox_states(store) == {"accepted": rows}
    assert stats["verifications_received"] == len(accepted) == rows
    assert len({item["idempotencyKey"] for item in accepted}) == rows
    # The second run sent nothing the platform had already seen: no new duplicates.
    assert stats["verifications_duplicates"] == first["verifications_duplicates"]
    with store.connect() as conn:
        lookups = conn.execute(
            select(func.count()).where(
                schema.audit_log.c.operation == "verifications.receipts",
                schema.audit_log.c.run_id == done.run_id,
            )
        ).scalar()
    assert lookups == 1
    store.close()
