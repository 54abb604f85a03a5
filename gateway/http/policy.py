"""Retry, rate-limit and circuit-breaker policy, as data from the configuration.

Rate limiters and breakers are per platform and process-wide, so every job that talks to one
platform shares them. Retries use tenacity: exponential backoff with jitter, capped in attempts
and in total time, and a server's ``Retry-After`` wins over the computed wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential_jitter,
)

from gateway.config import BreakerSettings, RateLimitSettings, RetrySettings
from gateway.errors import BreakerOpenError, RetriesExhausted, RetryableError

T = TypeVar("T")


class TokenBucket:
    """``per_second`` tokens a second, at most ``burst`` saved up; ``acquire`` blocks."""

    def __init__(self, settings: RateLimitSettings, clock: Callable[[], float] = time.monotonic):
        self.rate = settings.per_second
        self.burst = float(settings.burst)
        self._tokens = self.burst
        self._clock = clock
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping as needed; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait > 0:
            time.sleep(wait)
        return wait


@dataclass
class BreakerState:
    state: str = "closed"
    failures: int = 0
    opened_at: float | None = None
    reason: str | None = None


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures; after the cool-down one probe
    is let through (half-open): success closes it, failure opens it again."""

    def __init__(
        self, platform: str, settings: BreakerSettings, clock: Callable[[], float] = time.monotonic
    ):
        self.platform = platform
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self.status = BreakerState()

    def before_call(self) -> None:
        with self._lock:
            status = self.status
            if status.state == "open":
                assert status.opened_at is not None
                remaining = status.opened_at + self.settings.cooldown_seconds - self._clock()
                if remaining > 0:
                    raise BreakerOpenError(
                        "circuit breaker is open: the platform kept failing",
                        platform=self.platform,
                        retry_in_s=round(remaining, 1),
                        last_error=status.reason,
                    )
                status.state = "half_open"

    def record_success(self) -> None:
        with self._lock:
            self.status = BreakerState()

    def record_failure(self, reason: str) -> None:
        with self._lock:
            status = self.status
            status.failures += 1
            status.reason = reason
            if status.state == "half_open" or status.failures >= self.settings.failure_threshold:
                status.state = "open"
                status.opened_at = self._clock()


_registry_lock = threading.Lock()
_limiters: dict[str, TokenBucket] = {}
_breakers: dict[str, CircuitBreaker] = {}


def limiter_for(platform: str, settings: RateLimitSettings) -> TokenBucket:
    with _registry_lock:
        limiter = _limiters.get(platform)
        if limiter is None or limiter.rate != settings.per_second:
            limiter = _limiters[platform] = TokenBucket(settings)
        return limiter


def breaker_for(platform: str, settings: BreakerSettings) -> CircuitBreaker:
    with _registry_lock:
        breaker = _breakers.get(platform)
        if breaker is None or breaker.settings != settings:
            breaker = _breakers[platform] = CircuitBreaker(platform, settings)
        return breaker


def breakers() -> dict[str, CircuitBreaker]:
    with _registry_lock:
        return dict(_breakers)


def _wait(settings: RetrySettings) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        initial=settings.initial_backoff, max=settings.max_backoff, jitter=settings.jitter
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, RetryableError) and error.retry_after is not None:
            return min(error.retry_after, settings.max_seconds)
        return float(backoff(state))

    return wait


def call_with_retries(
    settings: RetrySettings,
    attempt: Callable[[int], T],
    on_retry: Callable[[RetryableError], None] | None = None,
) -> T:
    """Run ``attempt(n)`` until it succeeds, fails permanently, or the budget is spent."""
    retrying = Retrying(
        stop=stop_after_attempt(settings.max_attempts) | stop_after_delay(settings.max_seconds),
        wait=_wait(settings),
        retry=retry_if_exception_type(RetryableError),
        before_sleep=(lambda s: on_retry(s.outcome.exception())) if on_retry else None,  # type: ignore[union-attr, arg-type]
        reraise=True,
    )
    try:
        for state in retrying:
            with state:
                return attempt(state.retry_state.attempt_number)
    except RetryableError as exc:
        raise RetriesExhausted(
            "gave up after retries", last_error=exc.message, **exc.context
        ) from exc
    raise AssertionError("unreachable: tenacity either returns or raises")
