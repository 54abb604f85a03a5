"""A full pull and a full push through a faulty labor-force platform, over real sockets.

The simulator answers every 10th request 503, 5 % of requests only after 1 s (the client gives
up after 0.5 s), every 23rd with 429 and Retry-After: 1, and 2 % with SYSTEM_BUSY in an HTTP 200.
Both runs must still finish with exact counts: every person stored or dead-lettered once, every
verification accepted exactly once at the target.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from gateway.audit import verify_chain
from gateway.pipeline import JobRunner
from gateway.store import schema
from tests.helpers.resilience_kit import (
    LOAD_JOB,
    PERSONS_JOB,
    PUSH_JOB,
    expected_persons,
    hashes,
    make_world,
    write_verifications,
)

SEED = 4242
SIZE = 2000
FAULTS = {
    "burst_503": {"every": 10, "length": 1},
    "timeout_rate": 0.05,
    "slow_seconds": 1.0,
    "rate_429_every": 23,
    "retry_after_seconds": 1,
    "busy_rate": 0.02,
}
PLATFORM = {"timeout": {"connect": 2.0, "read": 0.5}}


def test_full_pull_and_push_through_faults_have_exact_counts(tmp_path: Path) -> None:
    """Retries absorb every fault kind; the store holds exactly the valid persons, the queue
    exactly the invalid ones, and the platform each verification once."""
    print(f"seed={SEED} size={SIZE} faults={FAULTS}")
    world = make_world(
        tmp_path, size=SIZE, seed=SEED, page_size=100, push_batch=25, faults=FAULTS,
        platform=PLATFORM,
    )  # fmt: skip
    rows = write_verifications(world, every=5)
    expected, invalid = expected_persons(SIZE, SEED)
    store = world.store()
    with world.simulator():
        runner = JobRunner(world.config, store)
        pull = runner.run(PERSONS_JOB)
        load = runner.run(LOAD_JOB)
        push = runner.run(PUSH_JOB)
        stats = world.sim("/_sim/stats")
        accepted = world.sim("/_sim/verifications")
    print(f"pull={pull.as_dict()}\npush={push.as_dict()}\nstats={stats}")

    faults = stats["faults"]
    for kind in ("burst_503", "timeout", "rate_429", "busy"):
        assert faults.get(kind, 0) > 0, f"the run met no {kind} fault: the test proves nothing"
    assert pull.status == "succeeded", pull.error
    assert pull.retried > 0
    assert pull.read == SIZE
    assert (pull.inserted, pull.rejected) == (expected.rows, invalid)
    assert hashes(store, "person") == expected

    assert load.status == "succeeded", load.error
    assert (load.read, load.inserted, load.rejected) == (rows, rows, 0)
    assert push.status == "succeeded", push.error
    assert (push.read, push.inserted, push.rejected) == (rows, rows, 0)
    keys = Counter(item["idempotencyKey"] for item in accepted)
    people = Counter((item["AAC002"], item["HCSJ"]) for item in accepted)
    assert len(accepted) == rows == stats["verifications_received"]
    assert max(keys.values()) == 1
    assert max(people.values()) == 1

    with store.connect() as conn:
        letters = conn.execute(select(func.count()).select_from(schema.dead_letters)).scalar()
        outbox: dict[str, int] = dict(
            conn.execute(
                select(schema.outbox.c.status, func.count()).group_by(schema.outbox.c.status)
            ).all()
        )
        assert verify_chain(conn).ok
    assert letters == invalid
    assert outbox == {"accepted": rows}
    store.close()
