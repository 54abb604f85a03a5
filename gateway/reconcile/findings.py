"""What a reconciliation found: counts by kind, and the first differences of each kind listed.

Keys are listed masked, with their keyed digest (the one the audit log and the dead-letter
queue use), never in clear: an operator finds the record with ``gateway audit search`` or by
the digest, and the output can be pasted into a ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MISSING_AT_GATEWAY = "missing_at_gateway"
MISSING_AT_PLATFORM = "missing_at_platform"
DIFFERENT = "different"
KINDS = (MISSING_AT_GATEWAY, MISSING_AT_PLATFORM, DIFFERENT)


@dataclass(frozen=True)
class Difference:
    kind: str
    key: str
    # The canonical fields that differ (names only: values may be personal data).
    fields: tuple[str, ...] = ()
    # The run that last wrote the record (or last sent it); for a key the gateway lacks, the
    # job's last run, which did not bring it.
    run: str | None = None
    note: str | None = None


@dataclass
class Findings:
    """Counts are complete; at most ``limit`` differences of each kind are kept."""

    job: str
    direction: str
    mode: str
    limit: int = 100
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    listed: list[Difference] = field(default_factory=list)
    platform_count: int | None = None
    store_count: int | None = None
    # Platform records the gateway holds in the dead-letter queue (rejected by the mapping):
    # known, so not differences.
    rejected: int = 0
    ranges_compared: int = 0
    records_compared: int = 0
    sampled: str | None = None
    notes: list[str] = field(default_factory=list)

    def wants(self, kind: str) -> bool:
        """Whether the next difference of ``kind`` will be listed (worth finding its run)."""
        return self.counts[kind] < self.limit

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def add(self, difference: Difference) -> bool:
        """Count a difference; answers whether it was listed."""
        self.counts[difference.kind] += 1
        if self.counts[difference.kind] <= self.limit:
            self.listed.append(difference)
            return True
        return False

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self, mask: Callable[[str], str], digest: Callable[[str], str]) -> dict[str, Any]:
        def shown(d: Difference) -> dict[str, Any]:
            return {
                "kind": d.kind,
                "key": mask(d.key),
                "key_digest": digest(d.key),
                "fields": list(d.fields),
                "run": d.run,
                "note": d.note,
            }

        return {
            "job": self.job,
            "direction": self.direction,
            "mode": self.mode,
            "sampled": self.sampled,
            "platform_count": self.platform_count,
            "store_count": self.store_count,
            "rejected": self.rejected,
            **self.counts,
            "differences": self.total,
            "ranges_compared": self.ranges_compared,
            "records_compared": self.records_compared,
            "listed": [shown(d) for d in self.listed],
            "notes": self.notes,
        }
