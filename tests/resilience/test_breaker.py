"""The circuit breaker: its states, its persistence in the store, and how the client feeds it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.adapter import Direction, ExchangeRecorder, StreamContext
from gateway.config import BreakerSettings, PlatformConfig
from gateway.errors import BreakerOpenError, PermanentError
from gateway.http.breaker import (
    CLOSED,
    BreakerLedger,
    CircuitBreaker,
    MemoryLedger,
    breaker_key,
)
from gateway.http.client import PlatformClient
from gateway.http.streams import open_client
from gateway.store import Store
from gateway.store.breakers import StoreBreakerLedger
from tests.helpers.pg import STORE_KINDS, open_store

SETTINGS = BreakerSettings(failure_threshold=3, cooldown_seconds=60)


class WallClock:
    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", *STORE_KINDS])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BreakerLedger]:
    """The in-process ledger, and the store's on SQLite and PostgreSQL."""
    if request.param == "memory":
        yield MemoryLedger()
        return
    with open_store(request.param, tmp_path) as store:
        yield StoreBreakerLedger(store)


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        breaker.before_call()
        breaker.record_failure("platform server error")


def test_opens_after_threshold_consecutive_failures(ledger: BreakerLedger) -> None:
    """Below the threshold calls pass; the N-th consecutive failure opens the breaker."""
    clock = WallClock()
    breaker = CircuitBreaker("p", SETTINGS, ledger, clock=clock)
    fail(breaker, 2)
    before = breaker.status.state
    fail(breaker, 1)
    assert (before, breaker.status.state) == ("closed", "open")
    with pytest.raises(BreakerOpenError) as caught:
        breaker.before_call()
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("p at ")
    assert "next try in 60 s" in message
    assert "(last: platform server error)" in message
    assert "gateway breakers reset p" in message


def test_a_success_ends_the_streak(ledger: BreakerLedger) -> None:
    """Failures must be consecutive: one success in between starts the count again."""
    breaker = CircuitBreaker("p", SETTINGS, ledger, clock=WallClock())
    fail(breaker, 2)
    breaker.before_call()
    breaker.record_success()
    fail(breaker, 2)
    assert breaker.status.state == "closed"
    assert breaker.status.failures == 2


def test_probe_after_cooldown_closes_on_success(ledger: BreakerLedger) -> None:
    """Once the cool-down is over one call goes through as a probe; its success closes."""
    clock = WallClock()
    breaker = CircuitBreaker("p", SETTINGS, ledger, clock=clock)
    fail(breaker, 3)
    clock.now += 59
    with pytest.raises(BreakerOpenError):
        breaker.before_call()
    clock.now += 2
    breaker.before_call()
    assert breaker.status.state == "half_open"
    breaker.record_success()
    assert breaker.status == CLOSED


def test_failed_probe_opens_again_for_a_full_cooldown(ledger: BreakerLedger) -> None:
    """A probe that fails re-opens the breaker at once, with the cool-down counted anew."""
    clock = WallClock()
    breaker = CircuitBreaker("p", SETTINGS, ledger, clock=clock)
    fail(breaker, 3)
    clock.now += 61
    fail(breaker, 1)
    status = breaker.status
    assert status.state == "open"
    assert status.opened_at == pytest.approx(clock.now, abs=1e-3)
    with pytest.raises(BreakerOpenError):
        breaker.before_call()


def test_store_ledger_is_shared_by_separate_store_handles(store_url: str) -> None:
    """What one process wrote, a process with its own connection to the store sees."""
    clock = WallClock()
    first, second = Store(store_url), Store(store_url)
    try:
        fail(CircuitBreaker("lab", SETTINGS, StoreBreakerLedger(first), clock=clock), 3)
        later = CircuitBreaker("lab", SETTINGS, StoreBreakerLedger(second), clock=clock)
        with pytest.raises(BreakerOpenError):
            later.before_call()
        assert CircuitBreaker("other", SETTINGS, StoreBreakerLedger(second)).status == CLOSED
    finally:
        first.close()
        second.close()


def test_clients_keep_breaker_state_in_the_ledger_their_context_carries() -> None:
    """A run's clients keep breaker state in the ledger of the run's context, and only there:
    a context of another run has its own."""
    platform = PlatformConfig(
        adapter="test", base_url="http://platform.test", app_key="k", app_secret="env:UNUSED",
        retry={"max_attempts": 1, "max_seconds": 5}, breaker=SETTINGS.model_dump(),
    )  # fmt: skip
    key = breaker_key("bound-p", platform.base_url)

    def context(run_id: str, ledger: BreakerLedger) -> StreamContext:
        return StreamContext(
            "job", run_id, "bound-p", platform, {}, ExchangeRecorder(), breakers=ledger,
            secrets=lambda _ref: "s", transport=httpx.MockTransport(lambda _r: answer(503)),
        )  # fmt: skip

    bound, other = MemoryLedger(), MemoryLedger()
    with open_client(context("run-1", bound)) as client, pytest.raises(PermanentError):
        client.call("GET", "/api/x", operation="x", direction=Direction.PULL)
    assert bound.load(key).failures == 1
    with open_client(context("run-2", other)) as client, pytest.raises(PermanentError):
        client.call("GET", "/api/x", operation="x", direction=Direction.PULL)
    assert other.load(key).failures == 1
    assert bound.load(key).failures == 1


def answer(status: int, code: str = "E") -> httpx.Response:
    return httpx.Response(status, content=orjson.dumps({"code": code, "msg": "", "data": None}))


def client_for(responses: list[httpx.Response], ledger: BreakerLedger) -> PlatformClient:
    platform = PlatformConfig(
        adapter="test", base_url="http://platform.test", app_key="k",
        retry={"max_attempts": 1, "max_seconds": 5}, breaker=SETTINGS.model_dump(),
    )  # fmt: skip
    queue = list(responses)
    breaker = CircuitBreaker("client-p", platform.breaker, ledger)
    return PlatformClient(
        "client-p", platform, ExchangeRecorder(), secret="s",
        transport=httpx.MockTransport(lambda _r: queue.pop(0)), breaker=breaker,
    )  # fmt: skip


def call_all(client: PlatformClient, times: int) -> None:
    for _ in range(times):
        with pytest.raises(PermanentError):
            client.call("GET", "/api/x", operation="x", direction=Direction.PULL)


def test_rate_limiting_does_not_count_as_platform_failure() -> None:
    """429s are the platform pacing us: they neither trip the breaker nor end a streak."""
    ledger = MemoryLedger()
    client = client_for([answer(503), answer(503), answer(429), answer(429), answer(429)], ledger)
    call_all(client, 5)
    assert ledger.load("client-p").state == "closed"
    assert ledger.load("client-p").failures == 2


def test_an_answered_refusal_ends_the_streak() -> None:
    """A 400 or a business error is an answer from a working platform: the count restarts."""
    ledger = MemoryLedger()
    client = client_for([answer(503), answer(503), answer(400), answer(503), answer(503)], ledger)
    call_all(client, 5)
    assert ledger.load("client-p").failures == 2
    assert ledger.load("client-p").state == "closed"


def test_down_platform_trips_the_breaker_and_calls_stop() -> None:
    """Three unanswered calls open the breaker; the fourth is refused without a request."""
    ledger = MemoryLedger()
    client = client_for([answer(503)] * 3, ledger)
    call_all(client, 3)
    with pytest.raises(BreakerOpenError):
        client.call("GET", "/api/x", operation="x", direction=Direction.PULL)
