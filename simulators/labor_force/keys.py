"""The simulated platform's persons in ID-number order: what a reconciliation asks for.

Persons are generated in index order and listed by update time, but a reconciliation counts,
digests and lists them by key range. The first such request builds a sorted index of every
generated ID number, packed into two arrays (an 18-character ID number as one 64-bit integer,
and its person's index): 16 bytes a person, 36 MB at 2,247,000, and the group update times
beside it. Deleted persons are skipped and added ones merged in as the store reports them.

An ID number is 17 digits and a check character (a digit or ``X``): as the integer
``int(first 17) * 11 + check`` (``X`` = 10) the order is the same as the text's.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

from gateway.reconcile.digest import RangeAccumulator, record_digest
from simulators.labor_force.population import format_time
from simulators.labor_force.state import PersonStore

CHUNK = 2000


def encode(id_number: str) -> int:
    check = id_number[17]
    return int(id_number[:17]) * 11 + (10 if check == "X" else int(check))


def decode(code: int) -> str:
    first, check = divmod(code, 11)
    return f"{first:017d}" + ("X" if check == 10 else str(check))


class KeyIndex:
    """Key-range reads over one :class:`PersonStore`; built on first use, then kept."""

    def __init__(self, store: PersonStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._codes: array[int] | None = None
        self._indexes = array("q")
        self._stamps: list[str] = []

    def _built(self) -> tuple[array[int], array[int]]:
        with self._lock:
            if self._codes is None:
                population = self._store.population
                key = population.id_number
                size = population.size
                # One Python integer per person while sorting: code and index packed together.
                packed = [encode(key(i)) << 25 | i for i in range(size)]
                packed.sort()
                mask = (1 << 25) - 1
                self._indexes = array("q", (p & mask for p in packed))
                self._codes = array("q", (p >> 25 for p in packed))
                del packed
                self._stamps = [
                    format_time(population.group_time(g)) for g in range(population.group_count)
                ]
            return self._codes, self._indexes

    def _position(self, codes: array[int], key: str | None, default: int) -> int:
        if key is None:
            return default
        return bisect_left(codes, key, key=decode)

    def _added(self, low: str | None, high: str | None) -> list[tuple[str, int]]:
        """Added persons still held in the range, by key."""
        store = self._store
        key = store.population.id_number
        found = [(key(i), i) for i in store.added if store.holds(i)]
        return sorted(
            (k, i) for k, i in found if (low is None or k >= low) and (high is None or k < high)
        )

    def records(
        self, low: str | None, high: str | None, after: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """The persons held in ``[low, high)`` (after ``after``), in key order."""
        codes, indexes = self._built()
        start = self._position(codes, low, 0)
        if after is not None:
            start = max(start, bisect_right(codes, after, key=decode))
        end = self._position(codes, high, len(codes))
        added = [(k, i) for k, i in self._added(low, high) if after is None or k > after]
        deleted = self._store.deleted
        for first in range(start, end, CHUNK):
            chunk = [i for i in indexes[first : min(end, first + CHUNK)] if i not in deleted]
            yield from self._merge(self._store.current_many(chunk, self._stamps), added)
        for _, index in added:
            yield self._store.current(index)
        added.clear()

    def _merge(
        self, base: Sequence[dict[str, Any]], added: list[tuple[str, int]]
    ) -> Iterator[dict[str, Any]]:
        """``base`` records with the added ones that sort before each, in key order (the
        added ones yielded are taken off ``added``)."""
        for record in base:
            while added and added[0][0] < record["AAC002"]:
                yield self._store.current(added.pop(0)[1])
            yield record

    def holdings(self, low: str | None, high: str | None) -> tuple[int, str]:
        """Count and range digest of the persons held in ``[low, high)``."""
        acc = RangeAccumulator()
        for record in self.records(low, high):
            acc.add(record["AAC002"], record_digest(record))
        result = acc.result()
        return result.count, result.digest

    def page(
        self, low: str | None, high: str | None, after: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        found: list[dict[str, Any]] = []
        for record in self.records(low, high, after):
            if len(found) == limit:
                return found, True
            found.append(record)
        return found, False
