"""The per-platform token bucket, driven by a fake clock, and its sharing between jobs."""

from __future__ import annotations

import httpx

from gateway.adapter import ExchangeRecorder
from gateway.config import PlatformConfig, RateLimitSettings
from gateway.http.client import PlatformClient
from gateway.http.policy import TokenBucket, limiter_for
from tests.helpers.clock import FakeClock


def bucket(per_second: float, burst: int) -> tuple[TokenBucket, FakeClock]:
    clock = FakeClock(start=50.0)
    settings = RateLimitSettings(per_second=per_second, burst=burst)
    return TokenBucket(settings, clock=clock, sleep=clock.sleep), clock


def test_burst_is_free_then_the_rate_holds() -> None:
    """The first ``burst`` calls do not wait; after that calls are spaced 1/rate apart."""
    limiter, clock = bucket(per_second=4, burst=3)
    start = clock.now
    waits = [limiter.acquire() for _ in range(11)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert all(abs(w - 0.25) < 1e-9 for w in waits[3:])
    assert abs((clock.now - start) - 8 * 0.25) < 1e-9


def test_idle_time_refills_up_to_burst_only() -> None:
    """A long pause saves up at most ``burst`` tokens, not one per second of idleness."""
    limiter, clock = bucket(per_second=2, burst=5)
    for _ in range(5):
        limiter.acquire()
    clock.now += 3600
    waits = [limiter.acquire() for _ in range(7)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == 0.5
    assert waits[6] == 0.5


def test_partial_refill_shortens_the_wait() -> None:
    """Time already passed counts: half a token's worth of waiting leaves half to go."""
    limiter, clock = bucket(per_second=1, burst=1)
    limiter.acquire()
    clock.now += 0.5
    assert abs(limiter.acquire() - 0.5) < 1e-9


def platform(per_second: float) -> PlatformConfig:
    return PlatformConfig(
        adapter="test",
        base_url="http://platform.test",
        app_key="k",
        rate_limit={"per_second": per_second, "burst": 10},
    )


def test_jobs_of_one_process_share_one_bucket_per_platform() -> None:
    """Two clients (two jobs) of one platform draw from one bucket; another platform has its own."""
    transport = httpx.MockTransport(lambda _r: httpx.Response(200))
    first = PlatformClient(
        "shared-a", platform(5), ExchangeRecorder(), secret="s", transport=transport
    )
    second = PlatformClient(
        "shared-a", platform(5), ExchangeRecorder(), secret="s", transport=transport
    )
    other = PlatformClient(
        "shared-b", platform(5), ExchangeRecorder(), secret="s", transport=transport
    )
    assert first._limiter is second._limiter
    assert first._limiter is limiter_for("shared-a", platform(5).rate_limit)
    assert other._limiter is not first._limiter
    for client in (first, second, other):
        client.close()


def test_changed_settings_replace_the_bucket() -> None:
    """A reloaded configuration with another rate gets a bucket with that rate."""
    old = limiter_for("reloaded", RateLimitSettings(per_second=5, burst=10))
    new = limiter_for("reloaded", RateLimitSettings(per_second=9, burst=10))
    assert new is not old
    assert new.rate == 9
