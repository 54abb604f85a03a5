"""What every witness does: keep each checkpoint where the store's owner cannot rewrite it.

A witness records checkpoints; a readable one also answers its latest, which ``audit verify``
compares with the store. Write-only witnesses (syslog, an HTTP endpoint) are read by the people
who run them, with ``gateway audit witness verify`` on what they collected.
"""

from __future__ import annotations

from typing import Protocol

from gateway.audit.signing import Checkpoint


class Witness(Protocol):
    name: str
    readable: bool

    def record(self, checkpoint: Checkpoint) -> None:
        """Keep one checkpoint; ``AuditError`` when the witness cannot take it."""
        ...

    def latest(self) -> Checkpoint | None:
        """The newest checkpoint held (``None`` if none, or if the witness is write-only)."""
        ...
