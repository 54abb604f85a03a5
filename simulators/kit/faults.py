"""Fault injection: what goes wrong, how often, reproducibly.

:class:`FaultSettings` is data (set at construction, by CLI flags, or by ``POST /_sim/faults``);
:class:`FaultInjector` turns it into one :class:`FaultPlan` per API request. Counting faults
(every Nth request) use a request counter; chance faults draw from ``random.Random(seed)``
under a lock, a fixed number of draws per request, so one rate never shifts another's
sequence and a run is reproducible given the order of requests.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulators.kit.auth import Refusal
from simulators.kit.envelope import Code


class Burst(BaseModel):
    """Every ``every``-th request begins a run of ``length`` HTTP 503 answers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    every: int = Field(ge=1)
    length: int = Field(default=1, ge=1)


class FaultSettings(BaseModel):
    """What the simulator does wrong; everything off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seed: int = Field(default=0, description="Seed of the chance faults")
    down: bool = Field(default=False, description="Answer every API request with HTTP 503")
    error_rate: float = Field(default=0.0, ge=0, le=1, description="Share answered HTTP 500")
    burst_503: Burst | None = Field(
        default=None, description="Every N-th request begins K HTTP 503s (CLI: N:K)"
    )
    rate_429_every: int = Field(
        default=0, ge=0, description="Every N-th request answered HTTP 429 (0: never)"
    )
    retry_after_seconds: int = Field(
        default=1, ge=0, description="Retry-After header of a 429, in seconds"
    )
    timeout_rate: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share processed, then answered only after slow_seconds",
    )
    slow_seconds: float = Field(
        default=5.0, ge=0, description="Delay of a timeout fault, beyond a client's read timeout"
    )
    latency_seconds: float = Field(default=0.0, ge=0, description="Delay added to every API answer")
    busy_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share answered HTTP 200 with code SYSTEM_BUSY"
    )
    truncated_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share whose body is cut mid-JSON"
    )
    duplicate_rate: float = Field(
        default=0.0, ge=0, le=1, description="Share of pages that repeat earlier records first"
    )

    @field_validator("burst_503", mode="before")
    @classmethod
    def _burst_text(cls, value: Any) -> Any:
        """Accept ``"N:K"`` (or ``"N"``) as the CLI writes it."""
        if isinstance(value, str):
            every, _, length = value.partition(":")
            if not every.strip().isdigit() or (length and not length.strip().isdigit()):
                raise ValueError("must be N:K, e.g. 100:3")
            return {"every": int(every), "length": int(length or 1)}
        return value


@dataclass(frozen=True)
class FaultPlan:
    """What to do with one request: refuse it, or answer it late and/or cut short."""

    refusal: Refusal | None = None
    delay: float = 0.0
    truncate_at: float | None = None


NO_FAULT = FaultPlan()

_BUSY = Refusal(200, Code.SYSTEM_BUSY, "system busy, try again later")
_ERROR = Refusal(500, Code.INTERNAL_ERROR, "internal error")
_UNAVAILABLE = Refusal(503, Code.SERVICE_UNAVAILABLE, "service unavailable")


class FaultInjector:
    """Decides, request by request, which fault (if any) applies."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self.configure(settings or FaultSettings())

    @property
    def settings(self) -> FaultSettings:
        return self._settings

    def counts(self) -> dict[str, int]:
        """How many faults of each kind were injected since start."""
        with self._lock:
            return dict(self._counts)

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings and restart the sequence, so the same settings replay."""
        with self._lock:
            self._settings = settings
            self._rng = random.Random(settings.seed)
            self._pages = random.Random(settings.seed + 1)
            self._requests = 0
            self._burst_left = 0

    def plan(self) -> FaultPlan:
        """The fault for the next API request (``down`` is checked before this, by the guard)."""
        with self._lock:
            s = self._settings
            self._requests += 1
            n = self._requests
            draw = self._rng.random
            error, busy, slow, cut, where = draw(), draw(), draw(), draw(), draw()
            if self._burst_left > 0:
                self._burst_left -= 1
                return self._count("burst_503", FaultPlan(_UNAVAILABLE))
            if s.burst_503 is not None and n % s.burst_503.every == 0:
                self._burst_left = s.burst_503.length - 1
                return self._count("burst_503", FaultPlan(_UNAVAILABLE))
            if s.rate_429_every and n % s.rate_429_every == 0:
                headers = (("Retry-After", str(s.retry_after_seconds)),)
                return self._count(
                    "rate_429",
                    FaultPlan(Refusal(429, Code.RATE_LIMITED, "too many requests", headers)),
                )
            if error < s.error_rate:
                return self._count("error_500", FaultPlan(_ERROR))
            if busy < s.busy_rate:
                return self._count("busy", FaultPlan(_BUSY))
            delay = s.latency_seconds
            if slow < s.timeout_rate:
                delay += s.slow_seconds
                self._counts["timeout"] += 1
            truncate_at = None
            if cut < s.truncated_rate:
                # Somewhere in the middle 60 % of the body: always inside the JSON document.
                truncate_at = 0.2 + 0.6 * where
                self._counts["truncated"] += 1
            if delay == 0.0 and truncate_at is None:
                return NO_FAULT
            return FaultPlan(delay=delay, truncate_at=truncate_at)

    def unavailable(self) -> Refusal | None:
        """The refusal for a platform that is down, or ``None``."""
        if not self._settings.down:
            return None
        with self._lock:
            self._counts["down"] += 1
        return _UNAVAILABLE

    def duplicate_page(self) -> bool:
        """Whether the next page should repeat the previous page's last records first."""
        with self._lock:
            hit = self._pages.random() < self._settings.duplicate_rate
            if hit:
                self._counts["duplicate_page"] += 1
            return hit

    def _count(self, kind: str, plan: FaultPlan) -> FaultPlan:
        self._counts[kind] += 1
        return plan
