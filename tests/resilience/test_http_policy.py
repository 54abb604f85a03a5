"""The retry policy and response classification, against httpx.MockTransport and a fake clock."""

from __future__ import annotations

import email.utils
import gc
import random
import time
import weakref
from collections.abc import Callable
from typing import Any

import httpx
import orjson
import pytest

from gateway.adapter import Direction, ExchangeRecorder
from gateway.config import PlatformConfig, RetrySettings
from gateway.errors import AuthError, PermanentError, RetriesExhausted, RetryableError
from gateway.http.breaker import CircuitBreaker, MemoryLedger
from gateway.http.client import BUSY_CODES, PlatformClient, retry_after_seconds
from gateway.http.policy import RetryPolicy
from tests.helpers.clock import FakeClock

SEED = 20221
Handler = Callable[[httpx.Request], httpx.Response]


def ok(data: Any = None) -> httpx.Response:
    return httpx.Response(200, content=orjson.dumps({"code": "0", "msg": "ok", "data": data}))


def envelope(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = orjson.dumps({"code": code, "msg": "refused", "data": None})
    return httpx.Response(status, content=body, headers=headers)


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler answering in order (the last answer repeats); it keeps the requests it saw."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


def make_client(
    handler: Handler,
    clock: FakeClock,
    *,
    seed: int = SEED,
    **retry: Any,
) -> tuple[PlatformClient, ExchangeRecorder]:
    defaults = {"max_attempts": 6, "max_seconds": 60, "initial_backoff": 0.5, "max_backoff": 8}
    settings = RetrySettings(**{**defaults, "jitter": 0.25, **retry})
    platform = PlatformConfig(
        adapter="test", base_url="http://platform.test", app_key="k", retry=settings,
        rate_limit={"per_second": 1e6, "burst": 1_000_000}, breaker={"failure_threshold": 100},
    )  # fmt: skip
    recorder = ExchangeRecorder()
    client = PlatformClient(
        "policy-test",
        platform,
        recorder,
        secret="s3cret",
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(settings, clock=clock, sleep=clock.sleep, rng=random.Random(seed)),
        breaker=CircuitBreaker("policy-test", platform.breaker, MemoryLedger(), clock=clock),
    )
    return client, recorder


def call(client: PlatformClient) -> Any:
    envelope_, _ = client.call(
        "GET", "/api/v1/things", operation="things", direction=Direction.PULL
    )
    return envelope_.data


def test_backoff_doubles_up_to_the_cap_within_jitter_bounds() -> None:
    """Each wait lies in [base, base + jitter] with base = initial·2^(n−1) capped at max_backoff."""
    print(f"seed={SEED}")
    settings = RetrySettings(initial_backoff=0.5, max_backoff=8, jitter=0.25)
    policy = RetryPolicy(settings, rng=random.Random(SEED))
    waits = [policy.backoff(n) for n in range(1, 10)]
    bases = [0.5, 1, 2, 4, 8, 8, 8, 8, 8]
    for wait, base in zip(waits, bases, strict=True):
        assert base <= wait <= base + 0.25
    assert len({round(w - b, 9) for w, b in zip(waits, bases, strict=True)}) > 1, "jitter varies"


def test_retries_until_success_with_growing_waits() -> None:
    """Two 503s then an answer: two waits within their bounds, three exchanges, two retries."""
    clock = FakeClock()
    handler, seen = scripted(envelope(503, "E"), envelope(503, "E"), ok([1]))
    client, recorder = make_client(handler, clock)
    assert call(client) == [1]
    assert len(seen) == 3
    assert 0.5 <= clock.sleeps[0] <= 0.75
    assert 1.0 <= clock.sleeps[1] <= 1.25
    assert client.retries == 2
    assert [ex.outcome for ex in recorder.drain()] == ["retry", "retry", "ok"]


def test_attempt_cap_ends_with_retries_exhausted() -> None:
    """A platform that keeps failing is tried max_attempts times, then the call fails."""
    clock = FakeClock()
    handler, seen = scripted(envelope(500, "INTERNAL_ERROR"))
    client, _ = make_client(handler, clock, max_attempts=4)
    with pytest.raises(RetriesExhausted) as caught:
        call(client)
    assert len(seen) == 4
    assert len(clock.sleeps) == 3
    assert "gave up after 4 attempts" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_total_time_cap_covers_waits_and_attempts() -> None:
    """Slow failing attempts and waits never add up past max_seconds; each attempt's timeout
    is cut to the budget that is left."""
    clock = FakeClock()
    start = clock.now
    timeouts: list[tuple[float, float]] = []

    def slow_failure(request: httpx.Request) -> httpx.Response:
        remaining = start + 10 - clock.now
        timeouts.append((request.extensions["timeout"]["read"], remaining))
        clock.now += 1.5  # the attempt itself takes time
        return envelope(503, "SERVICE_UNAVAILABLE")

    client, _ = make_client(
        slow_failure, clock, max_attempts=100, max_seconds=10, initial_backoff=1, max_backoff=4,
        jitter=0,
    )  # fmt: skip
    with pytest.raises(RetriesExhausted) as caught:
        call(client)
    assert clock.now - start <= 10
    assert "10 s retry budget" in str(caught.value)
    for read_timeout, remaining in timeouts:
        assert read_timeout <= remaining + 1e-9
    # attempts at 0, 2.5 (1.5 + wait 1), 6 (4 + wait 2); the next wait of 4 would end at 11.5
    assert len(timeouts) == 3


def test_retry_after_seconds_wins_over_backoff() -> None:
    """A 429 with Retry-After: 3 waits exactly 3 s, not the computed backoff."""
    clock = FakeClock()
    handler, seen = scripted(envelope(429, "RATE_LIMITED", {"Retry-After": "3"}), ok())
    client, _ = make_client(handler, clock)
    call(client)
    assert clock.sleeps == [3.0]
    assert len(seen) == 2


def test_retry_after_on_503_is_honoured() -> None:
    """A 503 may carry Retry-After too (HTTP allows it); the wait follows it."""
    clock = FakeClock()
    handler, _ = scripted(envelope(503, "SERVICE_UNAVAILABLE", {"Retry-After": "2"}), ok())
    client, _ = make_client(handler, clock)
    call(client)
    assert clock.sleeps == [2.0]


def test_retry_after_http_date_is_read_as_seconds() -> None:
    """The HTTP-date form counts from now; a date in the past means no wait; junk is ignored."""
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 30, usegmt=True)
    earlier = email.utils.formatdate(now - 30, usegmt=True)
    assert retry_after_seconds(later, now=now) == 30.0
    assert retry_after_seconds(earlier, now=now) == 0.0
    assert retry_after_seconds("7", now=now) == 7.0
    assert retry_after_seconds("soon", now=now) is None
    assert retry_after_seconds(None) is None


def test_retry_after_http_date_drives_the_wait() -> None:
    """A 429 whose Retry-After is a date two minutes ahead waits about two minutes."""
    clock = FakeClock()
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    handler, _ = scripted(envelope(429, "RATE_LIMITED", {"Retry-After": when}), ok())
    client, _ = make_client(handler, clock, max_seconds=300)
    call(client)
    assert len(clock.sleeps) == 1
    assert 117 <= clock.sleeps[0] <= 120


def test_retry_after_past_the_budget_fails_at_once() -> None:
    """Asked to come back after the budget ends, the client gives up now and says why."""
    clock = FakeClock()
    handler, seen = scripted(envelope(429, "RATE_LIMITED", {"Retry-After": "3600"}), ok())
    client, _ = make_client(handler, clock, max_seconds=60)
    with pytest.raises(RetriesExhausted) as caught:
        call(client)
    assert len(seen) == 1
    assert clock.sleeps == []
    assert "asked to wait 3600 s" in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (envelope(400, "INVALID_PARAM"), PermanentError),
        (envelope(404, "NOT_FOUND"), PermanentError),
        (envelope(401, "AUTH_FAILED"), AuthError),
        (envelope(401, "NONCE_REUSED"), AuthError),
        (envelope(403, "FORBIDDEN"), AuthError),
        (envelope(200, "PERSON_NOT_FOUND"), PermanentError),
        (httpx.Response(200, content=b'{"unexpected": true}'), PermanentError),
    ],
    ids=["400", "404", "bad-signature", "nonce-reused", "403", "business-error", "no-envelope"],
)
def test_permanent_failures_are_not_retried(answer: httpx.Response, error: type[Exception]) -> None:
    """4xx, a refused signature, business errors and a foreign body fail on the first attempt."""
    clock = FakeClock()
    handler, seen = scripted(answer, ok())
    client, recorder = make_client(handler, clock)
    with pytest.raises(error) as caught:
        call(client)
    assert not isinstance(caught.value, RetryableError)
    assert len(seen) == 1
    assert clock.sleeps == []
    assert [ex.outcome for ex in recorder.drain()] == ["error"]


@pytest.mark.parametrize("code", sorted(BUSY_CODES))
def test_busy_codes_are_retried(code: str) -> None:
    """HTTP 200 with a busy code is the platform asking us to come back: it is retried."""
    clock = FakeClock()
    handler, seen = scripted(envelope(200, code), ok("done"))
    client, _ = make_client(handler, clock)
    assert call(client) == "done"
    assert len(seen) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(200, content=b'{"code": "0", "data": {"items": [1, 2'),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("refused"),
        httpx.RemoteProtocolError("peer closed"),
    ],
    ids=["truncated-json", "read-timeout", "connect-error", "protocol-error"],
)
def test_transport_accidents_are_retried(failure: httpx.Response | Exception) -> None:
    """A cut-off body, a timeout or a broken connection is retried, then the answer comes."""
    clock = FakeClock()
    handler, seen = scripted(failure, ok("done"))
    client, recorder = make_client(handler, clock)
    assert call(client) == "done"
    assert len(seen) == 2
    assert [ex.outcome for ex in recorder.drain()] == ["retry", "ok"]


def test_exhausted_error_names_the_last_failure_without_personal_data() -> None:
    """The one-line reason says what failed last and where, and carries no query values."""
    clock = FakeClock()
    handler, _ = scripted(envelope(503, "SERVICE_UNAVAILABLE"))
    client, _ = make_client(handler, clock, max_attempts=2)
    with pytest.raises(RetriesExhausted) as caught:
        client.call(
            "GET", "/api/v1/persons", operation="persons.list", direction=Direction.PULL,
            params={"after_key": "520102199001011234"},
        )  # fmt: skip
    text = str(caught.value)
    assert "platform server error" in text
    assert "HTTP 503, code SERVICE_UNAVAILABLE" in text
    assert "520102199001011234" not in text


def test_read_responses_are_freed_without_the_cycle_collector() -> None:
    """httpx ties a response and its body stream in a reference cycle; the client breaks it, so
    a page's body is freed as soon as the page is, not at some later full collection (a long
    pull otherwise grew with every page it read)."""
    responses: list[weakref.ref[httpx.Response]] = []

    def handle(_request: httpx.Request) -> httpx.Response:
        response = ok({"items": [1, 2, 3]})
        responses.append(weakref.ref(response))
        return response

    client, _ = make_client(handle, FakeClock())
    gc.collect()
    gc.disable()
    try:
        assert call(client) == {"items": [1, 2, 3]}
        assert [ref() for ref in responses] == [None]
    finally:
        gc.enable()
