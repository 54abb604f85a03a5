"""Listing the persons of one county (``AAB299``): the full listing's order, O(page), its own
cursor, and the union of every county is everyone.

Records are compared by their (AAE036, AAC002) pairs, never printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulators.kit import RunningServer, run_in_thread, signed_client
from simulators.labor_force.population import DEFAULT_SIZE, Population
from simulators.labor_force.population_tables import REGIONS
from simulators.labor_force.simulator import build_app
from simulators.labor_force.state import PersonStore

SIZE = 4_000
SEED = 47
KEY = "bureau"
SECRET = "county-test-secret"
COUNTIES = [code for code, _, _ in REGIONS]


def _keys(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["AAE036"], r["AAC002"]) for r in records]


def _walk(store: PersonStore, page_size: int, county: str | None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    since: str | None = None
    after: str | None = None
    while True:
        items, more = store.page(since, after, page_size, county)
        found += items
        if items:
            since, after = items[-1]["AAE036"], items[-1]["AAC002"]
        if not more:
            return found


def _changed_store() -> PersonStore:
    """A store whose persons moved (advance), vanished and were added (mutate)."""
    store = PersonStore(Population(SIZE, SEED))
    store.advance(0.1, seed=5)
    store.mutate(change=40, delete=30, add=25, seed=9)
    return store


@pytest.mark.parametrize("page_size", [1, 6, 7, 50, 999])
def test_a_county_lists_as_the_full_listing_filtered(page_size: int) -> None:
    """Each county's pages are exactly the full listing's records of that county, in order,
    with changed, deleted and added persons where the full listing has them."""
    store = _changed_store()
    everyone = _walk(store, 500, None)
    for county in COUNTIES[:4]:
        expected = _keys([r for r in everyone if r["AAB299"].startswith(county)])
        assert _keys(_walk(store, page_size, county)) == expected


def test_the_counties_together_are_everyone_once() -> None:
    store = _changed_store()
    union = [key for county in COUNTIES for key in _keys(_walk(store, 300, county))]
    assert sorted(union) == sorted(_keys(_walk(store, 500, None)))
    assert len(set(union)) == len(union)


def test_a_county_outside_the_population_lists_nothing() -> None:
    store = PersonStore(Population(SIZE, SEED))
    assert store.page(None, None, 10, "520102") == ([], False)
    assert store.remaining(None, None, "520102") == 0


def test_remaining_counts_what_lists_after_the_cursor_in_the_county() -> None:
    """``total`` from a cursor in the base, one in the overlay, and none, for one county."""
    store = _changed_store()
    county = COUNTIES[0]
    listed = _walk(store, 500, county)
    for position in (0, 1, len(listed) // 3, len(listed) - 3, len(listed) - 1):
        since, after = listed[position]["AAE036"], listed[position]["AAC002"]
        assert store.remaining(since, after, county) == len(listed) - position - 1
    assert store.remaining(listed[0]["AAE036"], None, county) == len(listed)


def test_before_in_a_county_returns_its_records_up_to_the_cursor() -> None:
    store = _changed_store()
    county = COUNTIES[1]
    listed = _walk(store, 500, county)
    for position in (2, len(listed) // 2, len(listed) - 1):
        since, after = listed[position]["AAE036"], listed[position]["AAC002"]
        assert _keys(store.before(since, after, 3, county)) == _keys(
            listed[position - 2 : position + 1]
        )


def test_a_county_page_from_the_middle_is_o_page() -> None:
    """A page of 100 of one county from the middle of 2,247,000 persons generates about 100
    persons (once the county's index is built), not a scan of everyone."""
    population = Population(DEFAULT_SIZE, SEED)
    store = PersonStore(population)
    county = COUNTIES[-1]  # the smallest share: about 3% of the population
    population.county_indexes(county)
    generated = 0
    original = population.records

    def counting(indexes: Any, stamps: Any, first_group: int) -> list[dict[str, Any]]:
        nonlocal generated
        records = original(indexes, stamps, first_group)
        generated += len(records)
        return records

    population.records = counting  # type: ignore[method-assign]
    middle = population.span_records(160_000, 160_001)[3]
    generated = 0
    items, more = store.page(middle["AAE036"], middle["AAC002"], 100, county)
    assert len(items) == 100
    assert more
    assert all(r["AAB299"] == county for r in items)
    assert generated <= 100 + 3 * population.group_size


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    app = build_app({"size": SIZE, "seed": SEED, "app_key": KEY, "secret": SECRET})
    with run_in_thread(app) as running:
        yield running


def test_http_county_filter_pages_with_its_own_cursor(server: RunningServer) -> None:
    """Over HTTP, ``AAB299`` with the platform's next cursor lists the county once; the page's
    ``total`` counts the county's persons alone; a malformed county is INVALID_PARAM."""
    county = COUNTIES[0]
    store = PersonStore(Population(SIZE, SEED))
    expected = _keys(_walk(store, 500, county))
    found: list[dict[str, Any]] = []
    totals: list[int] = []
    with signed_client(server.url, KEY, SECRET.encode()) as client:
        cursor: dict[str, str] = {}
        while True:
            params = {"page_size": 97, "AAB299": county, **cursor}
            data = client.get("/api/v1/persons", params=params).json()["data"]
            found += data["items"]
            totals.append(data["total"])
            cursor = data["next"] or cursor
            if not data["has_more"]:
                break
        bad = client.get("/api/v1/persons", params={"AAB299": "5226"})
    assert _keys(found) == expected
    assert totals[0] == len(expected)
    assert bad.status_code == 400
    assert bad.json()["code"] == "INVALID_PARAM"
