"""A clock for what waits: time moves only when someone sleeps or a test moves it."""

from __future__ import annotations

__all__ = ["FakeClock"]


class FakeClock:
    """Monotonic time for ``clock=`` and ``sleep=`` parameters (``RetryPolicy``, the rate
    limiter's bucket); it keeps every sleep asked for."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
