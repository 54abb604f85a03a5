"""What the service reads from a finished run: the scheduler acts on it, the metrics count it.

A leaf module, so that :mod:`gateway.service.scheduler` (which owns the metrics) and
:mod:`gateway.service.metrics` (which counts outcomes) both depend on it and not on each other.
"""

from __future__ import annotations

from typing import Protocol


class RunOutcome(Protocol):
    """What the scheduler needs from a finished run (``gateway.pipeline.RunSummary`` fits)."""

    @property
    def status(self) -> str: ...
    @property
    def seconds(self) -> float: ...
    @property
    def inserted(self) -> int: ...
    @property
    def updated(self) -> int: ...
    @property
    def unchanged(self) -> int: ...
    @property
    def rejected(self) -> int: ...
    @property
    def retried(self) -> int: ...
