"""Retry and rate-limit policy, as data from the configuration.

Retries (tenacity underneath): exponential backoff with additive jitter, a server's
``Retry-After`` wins over the computed wait, and two caps: ``max_attempts`` and ``max_seconds``.
The time cap covers everything, waits included: a retry whose wait would end past the budget is
not attempted, and each attempt is told how much budget is left so its own timeout can shrink.

Rate limiters are token buckets per platform and process-wide, so every job of one process that
talks to one platform shares one budget. The circuit breaker lives in
:mod:`gateway.http.breaker`.

Clocks, sleeps and randomness are injectable, so tests drive a fake clock instead of waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type

from gateway.config import RateLimitSettings, RetrySettings
from gateway.errors import BreakerOpenError, RetriesExhausted, RetryableError

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]


class RetryPolicy:
    """Runs an attempt until it succeeds, fails permanently, or the budget is spent."""

    def __init__(
        self,
        settings: RetrySettings,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()

    def backoff(self, failed_attempt: int) -> float:
        """Wait after the ``failed_attempt``-th failure: ``initial·2^(n−1)`` capped at
        ``max_backoff``, plus up to ``jitter`` seconds so clients that failed together spread
        out (the jitter is kept at the cap, where synchronised retries would hurt most)."""
        s = self.settings
        base = min(s.max_backoff, s.initial_backoff * 2.0 ** (failed_attempt - 1))
        return base + self._rng.uniform(0, s.jitter)

    def run(
        self,
        attempt: Callable[[int, float], T],
        on_retry: Callable[[RetryableError, float], None] | None = None,
    ) -> T:
        """``attempt(number, remaining_seconds)``; ``on_retry(error, wait)`` before each wait."""
        s = self.settings
        started = self._clock()
        deadline = started + s.max_seconds
        planned: dict[int, float] = {}
        last: list[RetryableError] = []

        def wait_for(state: RetryCallState) -> float:
            # Tenacity asks for the wait and for the stop decision in an order that changed
            # between versions; planning once per attempt keeps the two consistent.
            number = state.attempt_number
            if number not in planned:
                error = state.outcome.exception() if state.outcome else None
                after = error.retry_after if isinstance(error, RetryableError) else None
                planned[number] = after if after is not None else self.backoff(number)
            return planned[number]

        def stop(state: RetryCallState) -> bool:
            return (
                state.attempt_number >= s.max_attempts
                or self._clock() + wait_for(state) >= deadline
            )

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            if on_retry is not None and isinstance(error, RetryableError):
                on_retry(error, wait_for(state))

        retrying = Retrying(
            stop=stop,
            wait=wait_for,
            sleep=self._sleep,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=before_sleep,
            reraise=True,
        )
        number = 0
        try:
            for state in retrying:
                with state:
                    number = state.retry_state.attempt_number
                    try:
                        return attempt(number, max(0.0, deadline - self._clock()))
                    except RetryableError as exc:
                        last[:] = [exc]
                        raise
        except RetryableError as exc:
            raise self._exhausted(exc, number, planned.get(number), started) from exc
        except BreakerOpenError as exc:
            # The breaker opened on this call's own failures: the reason is what failed.
            if not last:
                raise
            raise self._exhausted(last[0], number - 1, None, started, opened=True) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _exhausted(
        self,
        exc: RetryableError,
        attempts: int,
        wait: float | None,
        started: float,
        *,
        opened: bool = False,
    ) -> RetriesExhausted:
        """One line: where, what (in words, with the HTTP status and code), how many attempts
        over how long, and what to check. No ``key=value`` tail: the URL is already named."""
        budget = f"{self.settings.max_seconds:g} s retry budget"
        elapsed = f"over {self._clock() - started:.1f} s"
        if opened:
            why = f"gave up after {attempts} attempts {elapsed}: the circuit breaker is open"
        elif attempts >= self.settings.max_attempts:
            why = f"gave up after {attempts} attempts {elapsed}"
        elif exc.retry_after is not None and wait == exc.retry_after:
            why = f"the platform asked to wait {wait:g} s, past the {budget}"
        else:
            why = f"gave up after {attempts} attempts {elapsed}: the {budget} is spent"
        ctx = exc.context
        where = f"{ctx['platform']} at {ctx['url']}: " if "platform" in ctx and "url" in ctx else ""
        what = exc.message
        if ctx.get("status") is not None:
            code = f", code {ctx['code']}" if ctx.get("code") else ""
            what += f" (HTTP {ctx['status']}{code})"
        check = ctx.get("check") or _check_for(ctx.get("status"))
        message = f"{where}{what}; {why}; check: {check}"
        return RetriesExhausted(message)


def _check_for(status: object) -> str:
    if status == 429:
        return "the platform is pacing us; lower rate_limit.per_second"
    if isinstance(status, int) and status >= 500:
        return "the platform is failing; check its status, then run again"
    return "the platform and the network, then run again"


class TokenBucket:
    """``per_second`` tokens a second, at most ``burst`` saved up; ``acquire`` blocks.

    A caller that finds the bucket empty reserves its token (the count goes negative) and sleeps
    outside the lock, so waiting callers are served in arrival order without holding each other.
    """

    def __init__(
        self,
        settings: RateLimitSettings,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.settings = settings
        self.rate = settings.per_second
        self.burst = float(settings.burst)
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
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
            self._sleep(wait)
        return wait


_registry_lock = threading.Lock()
_limiters: dict[str, TokenBucket] = {}


def limiter_for(platform: str, settings: RateLimitSettings) -> TokenBucket:
    """The process's one bucket for ``platform``; new settings (a reloaded config) replace it."""
    with _registry_lock:
        limiter = _limiters.get(platform)
        if limiter is None or limiter.settings != settings:
            limiter = _limiters[platform] = TokenBucket(settings)
        return limiter
