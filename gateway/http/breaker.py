"""The circuit breaker: one per platform, its state kept in a ledger that outlives the process.

``gateway sync`` runs are separate processes, so a breaker that lived only in memory would
forget a failure streak the moment a run ended. The state therefore lives in a
:class:`BreakerLedger`, the one the run's :class:`~gateway.adapter.StreamContext` carries: the
store's ``breakers`` table for a run, reconciliation or replay, process memory otherwise (a
dry run, a client built by hand). Every call reads the state, and
every change is written at once, so a ``kill -9`` loses nothing and the next run, in a new
process, sees the breaker open until the cool-down ends and then sends one probe.

States::

    closed ──N consecutive failures──▶ open ──cool-down over, next call──▶ half_open (probe)
      ▲                                  ▲                                    │
      └──────────── probe succeeds ──────┼──────────── probe fails ───────────┘

A breaker belongs to one platform *at one base URL* (:func:`breaker_key`): a streak of
"connection refused" against a mistyped port says nothing about the corrected URL, so fixing
``base_url`` starts with a closed breaker and no manual reset.

Only failures that say the platform is unwell count: 5xx, timeouts, unreachable, busy codes,
cut-off bodies. A 429 is the platform alive and pacing us (Retry-After handles it), and a 4xx or
a business error is an answer, so it closes the streak. Times are wall-clock seconds, because a
cool-down must be comparable across processes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from gateway.config import BreakerSettings
from gateway.errors import BreakerOpenError

State = Literal["closed", "open", "half_open"]
Update = Callable[["BreakerState"], "BreakerState"]


@dataclass(frozen=True)
class BreakerState:
    state: State = "closed"
    failures: int = 0
    opened_at: float | None = None
    reason: str | None = None


CLOSED = BreakerState()


def breaker_key(platform: str, base_url: str | None) -> str:
    """The ledger key of ``platform``'s breaker at ``base_url``: ``labor_force@1a2b3c4d5e6f``."""
    if not base_url:
        return platform
    return f"{platform}@{hashlib.sha256(base_url.encode()).hexdigest()[:12]}"


def platform_of(key: str) -> str:
    return key.partition("@")[0]


def safe_url(url: str | None) -> str:
    """A URL as messages show it: no user, password, query or fragment."""
    from urllib.parse import urlsplit, urlunsplit

    if not url:
        return "(no URL)"
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class BreakerLedger(Protocol):
    """Where breaker states live; ``update`` applies a change atomically and returns the result."""

    def load(self, platform: str) -> BreakerState: ...

    def update(self, platform: str, change: Update) -> BreakerState: ...


class MemoryLedger:
    """Breaker states in memory only: for a context with no store behind it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._states: dict[str, BreakerState] = {}

    def load(self, platform: str) -> BreakerState:
        with self._lock:
            return self._states.get(platform, CLOSED)

    def update(self, platform: str, change: Update) -> BreakerState:
        with self._lock:
            new = self._states[platform] = change(self._states.get(platform, CLOSED))
            return new


class CircuitBreaker:
    """The breaker of one platform, reading and writing its state through a ledger."""

    def __init__(
        self,
        platform: str,
        settings: BreakerSettings,
        ledger: BreakerLedger,
        *,
        clock: Callable[[], float] = time.time,
        base_url: str | None = None,
    ) -> None:
        self.platform = platform
        self.base_url = base_url
        self.key = breaker_key(platform, base_url)
        self.settings = settings
        self.ledger = ledger
        self._clock = clock
        self._clean = True

    @property
    def status(self) -> BreakerState:
        return self.ledger.load(self.key)

    def before_call(self) -> None:
        """Refuse the call while the breaker is open; after the cool-down, let a probe through."""
        status = self.ledger.load(self.key)
        self._clean = status == CLOSED
        if status.state != "open":
            return
        remaining = (status.opened_at or 0.0) + self.settings.cooldown_seconds - self._clock()
        if remaining > 0:
            raise BreakerOpenError(
                f"{self.platform} at {safe_url(self.base_url)}: circuit breaker is open after "
                f"{status.failures} failures in a row (last: {status.reason}); next try in "
                f"{remaining:.0f} s; check the platform, then `gateway breakers reset "
                f"{self.platform}` to try at once"
            )

        def probe(current: BreakerState) -> BreakerState:
            return replace(current, state="half_open") if current.state == "open" else current

        self.ledger.update(self.key, probe)
        self._clean = False

    def record_success(self) -> None:
        # The common case (closed, no failures, nothing changed since before_call) writes nothing.
        if not self._clean:
            self.ledger.update(self.key, lambda _current: CLOSED)
            self._clean = True

    def record_failure(self, reason: str) -> None:
        now = self._clock()
        threshold = self.settings.failure_threshold

        def fail(current: BreakerState) -> BreakerState:
            failures = current.failures + 1
            if current.state == "open":
                return replace(current, failures=failures)
            if current.state == "half_open" or failures >= threshold:
                return BreakerState("open", failures, now, reason)
            return BreakerState("closed", failures, None, reason)

        self.ledger.update(self.key, fail)
        self._clean = False
