"""A pull job's reconciliation: the platform's holdings against the store, by key range.

1. The key space is cut into ``fanout`` ranges of equal size in the store (one pass over the
   store's keys in order, which also gives each range's count and digest, rejects included).
2. The platform counts and digests the same ranges; a range whose count and digest agree holds
   the same records on both sides and is done.
3. A range that differs is cut again, until it holds at most ``leaf`` records in the store;
   then its records are compared one by one: the platform's (read by key, mapped as a pull
   maps them) merged with the store's, both in key order, page by page.

Memory holds a level's ranges and a page of each side, never a whole side. ``--sample N``
compares N of the first level's ranges, drawn at random.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from gateway.adapter import MALFORMED, Holdings, KeyRange, PullStream, StreamContext
from gateway.mapping import CompiledMapping
from gateway.pipeline.context import content_hash
from gateway.reconcile.digest import RangeAccumulator, RangeDigest
from gateway.reconcile.findings import (
    DIFFERENT,
    MISSING_AT_GATEWAY,
    MISSING_AT_PLATFORM,
    Difference,
    Findings,
)
from gateway.store import Store
from gateway.store import holdings as held

FANOUT = 64
LEAF = 2000


@dataclass
class PullReconciliation:
    store: Store
    stream: PullStream
    ctx: StreamContext
    mapping: CompiledMapping
    findings: Findings
    fanout: int = FANOUT
    leaf: int = LEAF
    # Called with every batch of keys the platform no longer holds (``--mark-deleted``).
    on_missing_at_platform: Callable[[list[str]], None] | None = None
    # Called after each platform call, so exchanges are audited as they happen.
    checkpoint: Callable[[], None] = lambda: None

    @property
    def entity(self) -> str:
        return self.mapping.entity

    def run(self, sample: int | None = None) -> Findings:
        findings = self.findings
        with self.store.connect() as conn:
            findings.store_count = held.count_live(conn, self.entity, KeyRange())
            findings.rejected = sum(1 for _ in held.iter_rejected(conn, self.entity, KeyRange()))
        first = self.split(KeyRange())
        if sample is not None and sample < len(first):
            chosen = sorted(random.sample(range(len(first)), sample))
            findings.sampled = f"{len(chosen)} of {len(first)} ranges"
            first = [first[n] for n in chosen]
        platform = self._holdings(first)
        if sample is None:
            findings.platform_count = sum(h.count for h in platform)
        self.compare(first, platform)
        return findings

    # -- ranges -------------------------------------------------------------------------------

    def split(self, key_range: KeyRange) -> list[tuple[KeyRange, RangeDigest]]:
        """``key_range`` cut into up to ``fanout`` ranges of equal store size, with the store's
        count and digest of each (its live records and the rejects it knows)."""
        with self.store.connect() as conn:
            total = held.count_live(conn, self.entity, key_range)
            step = max(1, -(-total // self.fanout))
            bounds: list[str] = []
            accumulators = [RangeAccumulator()]
            for n, (key, digest) in enumerate(
                held.iter_source_digests(conn, self.entity, key_range)
            ):
                if n and n % step == 0:
                    bounds.append(key)
                    accumulators.append(RangeAccumulator())
                accumulators[-1].add(key, digest)
            for key, digest in held.iter_rejected(conn, self.entity, key_range):
                accumulators[bisect_right(bounds, key)].add(key, digest)
        edges = [key_range.low, *bounds, key_range.high]
        return [
            (KeyRange(edges[n], edges[n + 1]), acc.result()) for n, acc in enumerate(accumulators)
        ]

    def _holdings(self, ranges: list[tuple[KeyRange, RangeDigest]]) -> list[Holdings]:
        found = self.stream.holdings(self.ctx, [r for r, _ in ranges])
        self.checkpoint()
        return found

    def compare(self, ranges: list[tuple[KeyRange, RangeDigest]], platform: list[Holdings]) -> None:
        for (key_range, ours), theirs in zip(ranges, platform, strict=True):
            self.findings.ranges_compared += 1
            if ours.count == theirs.count and ours.digest == theirs.digest:
                continue
            if ours.count <= self.leaf or len(ranges) == 1:
                self.compare_records(key_range)
                continue
            finer = self.split(key_range)
            self.compare(finer, self._holdings(finer))

    # -- records ------------------------------------------------------------------------------

    def _platform_records(self, key_range: KeyRange) -> Iterator[tuple[str, Any]]:
        """(key, mapped record or ``None`` when the mapping rejects it), in key order."""
        for page in self.stream.records_between(self.ctx, key_range):
            self.checkpoint()
            for raw, result in zip(page, self.mapping.map_many(page), strict=True):
                key = None if MALFORMED in raw else result.key or self.stream.record_key(raw)
                if not key:
                    self.findings.note("the platform served records without a key")
                    continue
                yield key, (result.record if result.ok and result.key else None)

    def compare_records(self, key_range: KeyRange) -> None:
        """Merge the platform's records of the range with the store's, both in key order."""
        theirs = self._platform_records(key_range)
        ours = held.iter_records(self.store.connect, self.entity, key_range)
        stale = self._known_rejects(key_range)
        platform = next(theirs, None)
        stored = next(ours, None)
        gone: list[str] = []
        unknown_rejects: list[str] = []
        while platform is not None or stored is not None:
            self.findings.records_compared += 1
            if platform is not None:
                stale.discard(platform[0])
            if stored is None or (platform is not None and platform[0] < stored.key):
                assert platform is not None
                if platform[1] is None:
                    unknown_rejects.append(platform[0])
                else:
                    self._missing_at_gateway(platform[0])
                platform = next(theirs, None)
            elif platform is None or stored.key < platform[0]:
                gone.append(stored.key)
                run = self._run(stored, MISSING_AT_PLATFORM)
                self.findings.add(Difference(MISSING_AT_PLATFORM, stored.key, run=run))
                stored = next(ours, None)
            else:
                self._compare_one(platform[1], stored)
                platform, stored = next(theirs, None), next(ours, None)
            if len(gone) >= 500:
                self._gone(gone)
            if len(unknown_rejects) >= 500:
                self._rejects(unknown_rejects)
        self._gone(gone)
        self._rejects(unknown_rejects)
        if stale:
            # Rejects the platform deleted: forgotten with the tombstones, so their range
            # agrees again; the dead-letter queue keeps their letters.
            with self.store.transaction() as conn:
                held.forget_rejected(conn, self.entity, sorted(stale))

    def _known_rejects(self, key_range: KeyRange) -> set[str]:
        """With ``--mark-deleted``: the rejects the store knows in the range (a leaf's few)."""
        if self.on_missing_at_platform is None:
            return set()
        with self.store.connect() as conn:
            return {key for key, _ in held.iter_rejected(conn, self.entity, key_range)}

    def _compare_one(self, record: dict[str, Any] | None, stored: held.StoredRecord) -> None:
        if record is None:
            self.findings.add(
                Difference(
                    DIFFERENT,
                    stored.key,
                    ("(record)",),
                    self._run(stored, DIFFERENT),
                    "the platform's record is now rejected by the mapping",
                )
            )
            return
        payload = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        if content_hash(payload) == stored.content_hash:
            return
        before = orjson.loads(stored.payload)
        fields = sorted(
            name
            for name in set(before) | set(record)
            if before.get(name, _ABSENT) != record.get(name, _ABSENT)
        )
        run = self._run(stored, DIFFERENT)
        self.findings.add(Difference(DIFFERENT, stored.key, tuple(fields), run))

    def _missing_at_gateway(self, key: str, note: str | None = None) -> None:
        self.findings.add(Difference(MISSING_AT_GATEWAY, key, run=self._last_run(), note=note))

    def _rejects(self, keys: list[str]) -> None:
        """Platform records the mapping rejects: known to the dead-letter queue, or not yet
        read at all (then the gateway lacks them)."""
        if not keys:
            return
        with self.store.connect() as conn:
            known = held.rejected_among(conn, self.entity, keys)
        for key in keys:
            if key not in known:
                self._missing_at_gateway(key, "rejected by the mapping; never read")
        keys.clear()

    def _gone(self, keys: list[str]) -> None:
        if keys and self.on_missing_at_platform is not None:
            self.on_missing_at_platform(list(keys))
        keys.clear()

    # -- runs ---------------------------------------------------------------------------------

    def _run(self, stored: held.StoredRecord, kind: str) -> str | None:
        if not self.findings.wants(kind):
            return None
        with self.store.connect() as conn:
            return held.run_at(conn, stored.source_job, stored.last_changed)

    def _last_run(self) -> str | None:
        if not self.findings.wants(MISSING_AT_GATEWAY):
            return None
        with self.store.connect() as conn:
            return held.run_at(conn, self.ctx.job, None)


_ABSENT = object()
