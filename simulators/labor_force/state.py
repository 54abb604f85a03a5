"""The simulated platform's current persons: the generated base plus an overlay of changes.

Persons are listed by ``(AAE036, AAC002)``. Base persons keep their generated times (all in
2025); a changed person (by ``/_sim/advance`` or an accepted verification) moves to the
overlay with a time later than every existing one, so the overlay always lists after the base
and is itself kept sorted. Listing from a cursor costs O(page): the base part is located by
arithmetic on the group times, the overlay part by bisection.

Every change takes a second that no record had before (``latest + 1`` at least): a client
whose cursor is at the latest second can then never miss a record written into that second.
The overlay keeps only what changed (time, key, changed fields); the rest is regenerated.
"""

from __future__ import annotations

import random
import threading
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from simulators.labor_force.population import (
    WORK_PLACE_CHOICES,
    Population,
    format_time,
    parse_time,
    phone_number,
)
from simulators.labor_force.population_tables import EMPLOYMENT

CHANGEABLE_FIELDS = ("AAC008", "AAE006", "AAE005")
_EMPLOYMENT_CODES = tuple(code for code, _ in EMPLOYMENT)
# Sorts after every (AAE036, AAC002, index) of one pair, added persons' indexes (past the
# population's size) included: the bound of "strictly after this cursor" in the overlay.
_PAST_EVERY_INDEX = 1 << 62


class PersonStore:
    """Current persons of one population; thread-safe, memory grows only with changes."""

    def __init__(self, population: Population, clock: Callable[[], float] = time.time) -> None:
        self.population = population
        self._clock = clock
        self._lock = threading.RLock()
        # index -> (AAE036, AAC002, changed fields); and (AAE036, AAC002, index) ascending.
        self._overlay: dict[int, tuple[str, str, dict[str, Any]]] = {}
        self._order: list[tuple[str, str, int]] = []
        self._latest = population.base_end
        self._advances = 0
        # Persons removed behind the gateway's back (``/_sim/mutate``), and the next index of a
        # person added there (indexes past the population's size, drawn the same way).
        self._deleted: set[int] = set()
        self._next_added = population.size
        self._skip = _Skip(self._overlay, self._deleted)

    @property
    def deleted(self) -> frozenset[int]:
        with self._lock:
            return frozenset(self._deleted)

    @property
    def added(self) -> range:
        """Indexes of the persons added (some may have been deleted since)."""
        return range(self.population.size, self._next_added)

    def holds(self, index: int) -> bool:
        return index not in self._deleted and (
            index < self.population.size or index < self._next_added
        )

    @property
    def changed(self) -> int:
        """How many persons differ from their generated record."""
        return len(self._overlay)

    def current(self, index: int) -> dict[str, Any]:
        """The record of ``index`` as the platform holds it now."""
        if index < self.population.size:
            record = self.population.person(index)
        else:
            record = self.population.records((index,), ("",), index // self.population.group_size)[
                0
            ]
        with self._lock:
            change = self._overlay.get(index)
        if change is not None:
            stamp, _, fields = change
            record.update(fields)
            record["AAE036"] = stamp
        return record

    # -- listing ----------------------------------------------------------------------------

    def page(
        self, since: str | None, after_key: str | None, limit: int, county: str | None = None
    ) -> tuple[list[dict[str, Any]], bool]:
        """Up to ``limit`` records after the cursor, and whether more follow; only those whose
        household region (``AAB299``) starts with ``county`` when it is given.

        After the cursor: ``(AAE036, AAC002) > (since, after_key)``, or ``AAE036 >= since``
        without ``after_key``, or everything without ``since``.
        """
        with self._lock:
            found = self._base_after(since, after_key, limit + 1, county)
            if len(found) <= limit:
                found += self._overlay_after(since, after_key, limit + 1 - len(found), county)
        return found[:limit], len(found) > limit

    def remaining(self, since: str | None, after_key: str | None, county: str | None = None) -> int:
        """How many records list after the cursor now (of ``county`` alone, when given): the
        answer's ``total``."""
        population = self.population
        within = self._within(county)
        with self._lock:
            owned = population.county_indexes(county) if county is not None else None
            if since is None:
                return population.size if owned is None else len(owned)
            seconds = parse_time(since)
            group = population.first_group_at_or_after(seconds)
            first = min(group * population.group_size, population.size)
            # Base persons that list from the overlay now, or not at all.
            moved = sum(
                1
                for gone in (self._overlay, self._deleted)
                for index in gone
                if first <= index < population.size and within(index)
            )
            if owned is None:
                base = population.size - first - moved
            else:
                base = len(owned) - bisect_left(owned, first) - moved
            exact = group < population.group_count and population.group_time(group) == seconds
            if after_key is not None and exact:
                own = population.span_records(group, group + 1, self._skip)
                base -= sum(1 for r in own if r["AAC002"] <= after_key and _of(r, county))
            if after_key is None:
                start = bisect_left(self._order, (since,))
            else:
                start = bisect_right(self._order, (since, after_key, _PAST_EVERY_INDEX))
            if county is None:
                return base + len(self._order) - start
            return base + sum(1 for _, _, i in self._order[start:] if within(i))

    def before(
        self, since: str, after_key: str | None, count: int, county: str | None = None
    ) -> list[dict[str, Any]]:
        """The last ``count`` records at or before the cursor (of ``county`` alone, when
        given), ascending (for duplicate pages)."""
        bound = (since, after_key or "", _PAST_EVERY_INDEX)
        within = self._within(county)
        with self._lock:
            end = bisect_right(self._order, bound)
            earlier = [i for _, _, i in self._order[:end] if within(i)]
            found = [self.current(i) for i in earlier[max(0, len(earlier) - count) :]]
            if len(found) < count:
                found = self._base_before(since, after_key, count - len(found), county) + found
        return found

    def _within(self, county: str | None) -> Callable[[int], bool]:
        """Whether a person's household region is in ``county`` (everyone when ``None``)."""
        if county is None:
            return lambda _index: True
        region = self.population.county_of
        return lambda index: region(index).startswith(county)

    def _base_after(
        self, since: str | None, after_key: str | None, want: int, county: str | None
    ) -> list[dict[str, Any]]:
        population = self.population
        group = 0
        found: list[dict[str, Any]] = []
        if since is not None:
            seconds = parse_time(since)
            group = population.first_group_at_or_after(seconds)
            exact = group < population.group_count and population.group_time(group) == seconds
            if after_key is not None and exact:
                first = population.span_records(group, group + 1, self._skip)
                found = [r for r in first if r["AAC002"] > after_key and _of(r, county)]
                group += 1
        if county is not None:
            start = group * population.group_size
            while len(found) < want and start < population.size:
                span, start = population.county_span(county, start, want - len(found), self._skip)
                found += span
            return found[:want]
        # Enough groups for the page in one call; more calls only if changes left gaps.
        step = want // population.group_size + 1
        while len(found) < want and group < population.group_count:
            found += population.span_records(group, group + step, self._skip)
            group += step
        return found[:want]

    def _overlay_after(
        self, since: str | None, after_key: str | None, want: int, county: str | None
    ) -> list[dict[str, Any]]:
        if since is None:
            start = 0
        elif after_key is None:
            start = bisect_left(self._order, (since,))
        else:
            start = bisect_right(self._order, (since, after_key, _PAST_EVERY_INDEX))
        if county is None:
            return [self.current(i) for _, _, i in self._order[start : start + want]]
        within = self._within(county)
        chosen: list[int] = []
        for _, _, index in self._order[start:]:
            if len(chosen) == want:
                break
            if within(index):
                chosen.append(index)
        return [self.current(i) for i in chosen]

    def _base_before(
        self, since: str, after_key: str | None, want: int, county: str | None
    ) -> list[dict[str, Any]]:
        population = self.population
        seconds = parse_time(since)
        group = population.first_group_at_or_after(seconds)
        found: list[dict[str, Any]] = []
        if group < population.group_count and population.group_time(group) == seconds:
            first = population.span_records(group, group + 1, self._skip)
            found = [
                r
                for r in first
                if after_key is not None and r["AAC002"] <= after_key and _of(r, county)
            ]
        if county is not None:
            owned = population.county_indexes(county)
            size = population.group_size
            end = bisect_left(owned, group * size)
            while len(found) < want and end > 0:
                begin = max(0, end - (want - len(found)))
                begin = bisect_left(owned, owned[begin] // size * size)
                found = population.listing(owned[begin:end], self._skip) + found
                end = begin
            return found[-want:] if want else []
        step = want // population.group_size + 1
        while len(found) < want and group > 0:
            start = max(0, group - step)
            found = population.span_records(start, group, self._skip) + found
            group = start
        return found[-want:] if want else []

    # -- changes ----------------------------------------------------------------------------

    def advance(self, fraction: float, seed: int | None = None) -> int:
        """Change about ``fraction`` of all persons (one field each); answers how many.

        The choice is deterministic: ``seed``, or the population's seed and the number of
        earlier advances. Changed persons share new seconds in groups, like the base.
        """
        with self._lock:
            if seed is None:
                seed = self.population.seed * 1_000_003 + self._advances
            self._advances += 1
            rng = random.Random(seed)
            chosen = sorted(
                rng.sample(range(self.population.size), round(fraction * self.population.size))
            )
            first = self._latest + 1
            size = self.population.group_size
            updates = []
            for n, index in enumerate(chosen):
                field = rng.choice(CHANGEABLE_FIELDS)
                changes = {field: _other_value(field, self.current(index).get(field), rng)}
                updates.append((index, changes, first + n // size))
            self._apply(updates)
            return len(chosen)

    def mutate(self, change: int, delete: int, add: int, seed: int) -> dict[str, list[str]]:
        """Change, delete and add persons behind the gateway's back; answers their keys.

        Changed and added persons list after every earlier record (new update times), as an
        incremental read sees them; deleted ones simply vanish, as a platform without a
        deletion feed shows it.
        """
        with self._lock:
            rng = random.Random(seed)
            live = [
                i
                for i in rng.sample(
                    range(self.population.size),
                    min(self.population.size, (change + delete) * 2 + 8),
                )
                if i not in self._deleted
            ]
            changed, deleted = sorted(live[:change]), sorted(live[change : change + delete])
            first = self._latest + 1
            updates = []
            for index in changed:
                field = rng.choice(CHANGEABLE_FIELDS)
                updates.append(
                    (
                        index,
                        {field: _other_value(field, self.current(index).get(field), rng)},
                        first,
                    )
                )
            added = list(range(self._next_added, self._next_added + add))
            self._next_added += add
            updates += [(index, {}, first + 1) for index in added]
            self._apply(updates)
            for index in deleted:
                old = self._overlay.pop(index, None)
                if old is not None:
                    del self._order[bisect_left(self._order, (old[0], old[1], index))]
            self._deleted.update(deleted)
            key = self.population.id_number
            return {
                "changed": [key(i) for i in changed],
                "deleted": [key(i) for i in deleted],
                "added": [key(i) for i in added],
            }

    def current_many(self, indexes: Sequence[int], stamps: Sequence[str]) -> list[dict[str, Any]]:
        """The current records of ``indexes`` (ascending or not) in one generation call;
        ``stamps[g]`` is the base update time of group ``g``."""
        records = self.population.records(indexes, stamps, 0)
        with self._lock:
            overlay = self._overlay
            for index, record in zip(indexes, records, strict=True):
                change = overlay.get(index)
                if change is not None:
                    record.update(change[2])
                    record["AAE036"] = change[0]
        return records

    def update(self, changes: Iterable[tuple[int, Mapping[str, Any]]]) -> str:
        """Apply field changes (e.g. accepted verifications) at "now"; answers their AAE036.

        "Now" is Asia/Shanghai wall time, but never a second that already has records.
        """
        with self._lock:
            seconds = max(int(self._clock()), self._latest + 1)
            self._apply([(index, fields, seconds) for index, fields in changes])
            return format_time(seconds)

    def _apply(self, updates: Sequence[tuple[int, Mapping[str, Any], int]]) -> None:
        """Record changed fields at new times, all later than ``_latest``."""
        if not updates:
            return
        fresh: dict[int, tuple[str, str, dict[str, Any]]] = {}
        stamps: dict[int, str] = {}  # one string per second, shared by its records
        for index, fields, seconds in updates:
            earlier = fresh.get(index) or self._overlay.get(index)
            key = earlier[1] if earlier else self.population.id_number(index)
            changed = {**(earlier[2] if earlier else {}), **fields}
            stamp = stamps.get(seconds) or stamps.setdefault(seconds, format_time(seconds))
            fresh[index] = (stamp, key, changed)
        for index in fresh:
            old = self._overlay.get(index)
            if old is not None:
                del self._order[bisect_left(self._order, (old[0], old[1], index))]
        self._overlay.update(fresh)
        self._order += sorted((stamp, key, i) for i, (stamp, key, _) in fresh.items())
        self._latest = max(seconds for _, _, seconds in updates)


def _of(record: Mapping[str, Any], county: str | None) -> bool:
    return county is None or str(record.get("AAB299", "")).startswith(county)


class _Skip:
    """Base persons a base listing leaves out: the changed (listed from the overlay) and the
    deleted."""

    __slots__ = ("_deleted", "_overlay")

    def __init__(self, overlay: Mapping[int, Any], deleted: set[int]) -> None:
        self._overlay = overlay
        self._deleted = deleted

    def __contains__(self, index: object) -> bool:
        return index in self._overlay or index in self._deleted

    def __bool__(self) -> bool:
        return bool(self._overlay) or bool(self._deleted)


def _other_value(field: str, current: Any, rng: random.Random) -> str:
    """A new value for ``field``, different from ``current``."""
    if field == "AAC008":
        return rng.choice([code for code in _EMPLOYMENT_CODES if code != current])
    if field == "AAE006":
        return rng.choice([place for place in WORK_PLACE_CHOICES if place != current])
    while True:
        phone = phone_number(rng.getrandbits(36))
        if phone != current:
            return phone
