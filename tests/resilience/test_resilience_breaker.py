"""A platform that is down: bounded retries, a breaker that opens and stays open across
processes, and a probe after the cool-down that recovers. Real sockets, real ``gateway sync``."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import yaml

from gateway.http.breaker import breaker_key
from gateway.pipeline import JobRunner
from gateway.store.breakers import StoreBreakerLedger
from tests.helpers.resilience_kit import PERSONS_JOB, World, expected_persons, hashes, make_world

SEED = 77
SIZE = 500
MAX_SECONDS = 3.0
PLATFORM = {
    "retry": {"max_attempts": 10, "max_seconds": MAX_SECONDS, "initial_backoff": 0.1,
              "max_backoff": 0.4, "jitter": 0.05},
    # Long enough that a new process surely starts inside it, however slow the machine.
    "breaker": {"failure_threshold": 4, "cooldown_seconds": 600},
}  # fmt: skip


def breaker_of(world: World) -> str:
    return breaker_key("labor_force", world.url)


def requests(world: World) -> int:
    return int(world.sim("/_sim/stats")["requests"])


def sync(world: World) -> dict[str, object]:
    """``gateway sync labor-persons --json`` in a new process; its summary."""
    done = world.gateway("sync", PERSONS_JOB, "--json")
    assert done.stdout.strip(), done.stderr
    summary: dict[str, object] = orjson.loads(done.stdout)
    assert done.returncode == (1 if summary["status"] == "failed" else 0)
    return summary


def test_down_platform_fails_fast_then_recovers_after_cooldown(tmp_path: Path) -> None:
    """Down: the run fails within the retry budget with a one-line reason and the breaker opens.
    A new process fails at once without a request; after the cool-down a probe that fails
    re-opens it; once the platform is back the next probe closes it and the run completes.
    (The cool-down is shortened by editing gateway.yaml, so no test waits ten minutes.)"""
    print(f"seed={SEED} size={SIZE}")
    world = make_world(tmp_path, size=SIZE, seed=SEED, page_size=100, platform=PLATFORM)
    expected, _ = expected_persons(SIZE, SEED)
    store = world.store()
    ledger = StoreBreakerLedger(store)
    with world.simulator():
        world.set_faults(down=True)
        started = time.monotonic()
        first = JobRunner(world.config, store).run(PERSONS_JOB)
        elapsed = time.monotonic() - started
        assert first.status == "failed"
        assert first.error is not None
        assert "\n" not in first.error
        assert "circuit breaker is open" in first.error
        assert f"labor_force at {world.url}/" in first.error
        assert "gave up after 4 attempts" in first.error
        # The budget bounds the retrying; the slack covers loading the mapping and the store.
        assert elapsed < MAX_SECONDS + 5
        status = ledger.load(breaker_of(world))
        assert (status.state, status.failures) == ("open", 4)
        assert requests(world) == 4

        refused = sync(world)
        assert refused["status"] == "failed"
        assert "circuit breaker is open" in str(refused["error"])
        assert requests(world) == 4, "an open breaker must not let a request through"

        end_cooldown(world, ledger)
        probe = JobRunner(world.config, store).run(PERSONS_JOB)
        assert probe.status == "failed"
        assert requests(world) == 5, "after the cool-down exactly one probe goes out"
        assert ledger.load(breaker_of(world)).state == "open"

        world.set_faults(down=False)
        end_cooldown(world, ledger)
        recovered = sync(world)
        assert recovered["status"] == "succeeded", recovered["error"]
        assert ledger.load(breaker_of(world)).state == "closed"
        assert ledger.load(breaker_of(world)).failures == 0
    assert hashes(store, "person") == expected
    store.close()


def end_cooldown(world: World, ledger: StoreBreakerLedger) -> None:
    """Shorten the configured cool-down to one second, and let that second pass."""
    data = yaml.safe_load(world.config_path.read_text(encoding="utf-8"))
    data["platforms"]["labor_force"]["breaker"]["cooldown_seconds"] = 1.0
    world.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    opened_at = ledger.load(breaker_of(world)).opened_at
    assert opened_at is not None
    time.sleep(max(0.0, opened_at + 1.0 - time.time()) + 0.05)
