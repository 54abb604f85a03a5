"""kill -9 at random moments: ``gateway sync`` restarted until it succeeds converges.

Each trial works in a fresh directory and store against the same simulated population. Trials
alternate between the persons pull and the verifications push: the job runs as a real
``gateway sync`` process that is SIGKILLed at random moments of its run (seeded, the seed is
printed) and restarted until it exits 0. The result must equal an uninterrupted run: the same
records (content hashes), the same dead letters, for the push each verification exactly once
at the platform and no outbox row left in doubt, and an intact audit chain.

Five trials by default; GATEWAY_TEST_SLOW=1 runs twenty, with up to three kills per run.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gateway.audit import verify_chain
from gateway.pipeline import JobRunner
from gateway.store import Store, schema
from tests.helpers.resilience_kit import (
    GATEWAY,
    LOAD_JOB,
    PERSONS_JOB,
    PUSH_JOB,
    World,
    fingerprint,
    hashes,
    make_world,
    write_verifications,
)

SLOW = os.environ.get("GATEWAY_TEST_SLOW") == "1"
TRIALS = 20 if SLOW else 5
MAX_KILLS = 3 if SLOW else 1
KILL_SEED = 61_803
SIZE = 2000
SEED = 515
# A little latency per request widens the window in which a kill lands mid-request.
FAULTS = {"latency_seconds": 0.01}


def build(directory: Path, base_url: str | None = None) -> World:
    platform = {"base_url": base_url} if base_url else None
    world = make_world(
        directory, size=SIZE, seed=SEED, page_size=100, push_batch=20, faults=FAULTS,
        platform=platform,
    )  # fmt: skip
    write_verifications(world, every=5, strangers=3)
    return world


def outcome(world: World, store: Store, job: str) -> dict[str, Any]:
    """What must match an uninterrupted run of ``job``: its entity's records, its dead
    letters, for the push its outbox and what the platform accepted; and the audit chain."""
    entity = "person" if job == PERSONS_JOB else "verification"
    with store.connect() as conn:
        # Keyed by the record (digest) and rules: a push letter's source names a change
        # number, which depends on what else the store holds.
        letters = Counter(
            (row.key_digest, row.rules)
            for row in conn.execute(
                select(schema.dead_letters).where(schema.dead_letters.c.job == job)
            )
        )
        outbox: dict[str, int] = dict(
            conn.execute(
                select(schema.outbox.c.status, func.count()).group_by(schema.outbox.c.status)
            ).all()
        )
        chain = verify_chain(conn)
    found: dict[str, Any] = {"hashes": hashes(store, entity), "letters": letters}
    if job == PUSH_JOB:
        accepted = world.sim("/_sim/verifications")
        keys = Counter(item["idempotencyKey"] for item in accepted)
        assert not keys or max(keys.values()) == 1, "a key was accepted twice"
        found["outbox"] = outbox
        found["accepted"] = fingerprint((item["AAC002"], item["HCSJ"]) for item in accepted)
        found["received"] = world.sim("/_sim/stats")["verifications_received"]
    found["chain_ok"] = chain.ok
    return found


def runs_started(database: Path, job: str) -> int:
    """Read-only, so polling never takes the write lock from the process under test."""
    if not database.exists():
        return 0
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
        try:
            row = conn.execute("SELECT count(*) FROM runs WHERE job = ?", (job,)).fetchone()
        except sqlite3.OperationalError:  # the first process has not created the schema yet
            return 0
    return int(row[0])


def crash_until_success(
    world: World, job: str, rng: random.Random, window: float, kills: int
) -> list[float]:
    """Run ``gateway sync JOB`` and SIGKILL it ``kills`` times, each at a random moment within
    ``window`` seconds of its run starting; then let it finish. Returns the kill moments."""
    database = world.directory / "store.db"
    moments: list[float] = []
    while True:
        before = runs_started(database, job)
        errors = world.directory / "sync-stderr.txt"
        with errors.open("w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [*GATEWAY, "sync", job, "--config", str(world.config_path), "--json"],
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        if len(moments) < kills:
            deadline = time.monotonic() + 60
            while runs_started(database, job) == before and process.poll() is None:
                assert time.monotonic() < deadline, "the run never started"
                time.sleep(0.01)
            moment = rng.uniform(0, window)
            time.sleep(moment)
            if process.poll() is None:
                process.kill()
                process.wait()
                moments.append(round(moment, 3))
                continue
        process.wait(timeout=120)
        failure = errors.read_text(encoding="utf-8")
        assert process.returncode == 0, f"sync {job} failed after kills at {moments}: {failure}"
        return moments


def test_kill_9_at_random_moments_converges(tmp_path: Path) -> None:
    """Every trial ends with the records, dead letters, target state and audit chain of an
    uninterrupted run."""
    rng = random.Random(KILL_SEED)
    print(f"kill seed={KILL_SEED} trials={TRIALS} population seed={SEED} size={SIZE}")
    reference = build(tmp_path / "reference")
    store = reference.store()
    expected: dict[str, dict[str, Any]] = {}
    seconds: dict[str, float] = {}
    with reference.simulator():
        runner = JobRunner(reference.config, store)
        for job in (PERSONS_JOB, LOAD_JOB, PUSH_JOB):
            seconds[job] = runner.run(job).seconds
            expected[job] = outcome(reference, store, job)
    store.close()
    assert expected[PUSH_JOB]["received"] == expected[PUSH_JOB]["accepted"].rows > 0
    assert expected[PERSONS_JOB]["letters"], "the population should yield some dead letters"
    assert expected[PUSH_JOB]["letters"], "the strangers should be refused by the platform"

    # Pull trials share one simulator (nothing is pushed to it); each push trial needs a fresh
    # one, because the platform remembers every idempotency key it has answered.
    pulls = build(tmp_path / "pull-platform")
    with pulls.simulator() as pull_url:
        for trial in range(TRIALS):
            job = PERSONS_JOB if trial % 2 == 0 else PUSH_JOB
            world = build(tmp_path / f"trial-{trial}", pull_url if job == PERSONS_JOB else None)
            kills = rng.randint(1, MAX_KILLS)
            store = world.store()
            with ExitStack() as stack:
                if job == PUSH_JOB:
                    stack.enter_context(world.simulator())
                    assert JobRunner(world.config, store).run(LOAD_JOB).status == "succeeded"
                moments = crash_until_success(world, job, rng, seconds[job], kills)
                got = outcome(world, store, job)
                if trial == TRIALS - 1:
                    verified = world.gateway("audit", "verify")
                    assert verified.returncode == 0, verified.stdout + verified.stderr
            with store.connect() as conn:
                lookups = conn.execute(
                    select(func.count()).where(
                        schema.audit_log.c.operation == "verifications.receipts"
                    )
                ).scalar()
            store.close()
            print(f"trial {trial}: killed {job} at {moments} s into its run; lookups={lookups}")
            assert got == expected[job], f"trial {trial} diverged"
