"""Listing persons by (AAE036, AAC002) with a cursor: complete, ordered, O(page), incremental.

Records are compared by their population index, never printed.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise
from typing import Any

import httpx
import pytest

from simulators.kit import RunningServer, run_in_thread, signed_client
from simulators.labor_force.population import DEFAULT_SIZE, Population, format_time, parse_time
from simulators.labor_force.simulator import build_app
from simulators.labor_force.state import PersonStore

SIZE = 5_000
SEED = 31
KEY = "bureau"
SECRET = "paging-test-secret"


def _index(population: Population, number: str) -> int:
    """The index of an ID number; -1 for one the population does not have."""
    found = population.index_of(number)
    return -1 if found is None else found


def _keys(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["AAE036"], r["AAC002"]) for r in records]


def _walk(
    store: PersonStore, page_size: int, cursor: tuple[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every record after ``cursor``, page by page, as a client would read them."""
    found: list[dict[str, Any]] = []
    while True:
        since, after = cursor if cursor else (None, None)
        items, more = store.page(since, after, page_size)
        found += items
        if items:
            cursor = (items[-1]["AAE036"], items[-1]["AAC002"])
        if not more:
            return found


@pytest.mark.parametrize("page_size", [1, 3, 6, 7, 8, 13, 100, 999, 5_000])
def test_paging_returns_every_person_once_in_order(page_size: int) -> None:
    """Page sizes that split the groups sharing a second still list everyone once, in order."""
    population = Population(SIZE, SEED)
    records = _walk(PersonStore(population), page_size)
    keys = _keys(records)
    in_order = keys == sorted(keys) and len(set(keys)) == len(keys)
    indexes = sorted(_index(population, r["AAC002"]) for r in records)
    assert in_order
    assert indexes == list(range(SIZE))


def test_updated_since_alone_includes_that_second() -> None:
    """Without after_key the cursor is inclusive: AAE036 >= updated_since."""
    store = PersonStore(Population(SIZE, SEED))
    everything = _keys(store.page(None, None, SIZE)[0])
    since = everything[700][0]
    expected = [k for k in everything if k[0] >= since]
    items, more = store.page(since, None, SIZE)
    assert _keys(items) == expected
    assert not more


def test_a_cursor_between_seconds_resumes_at_the_next_second() -> None:
    """An updated_since that no record has starts at the next record's second."""
    store = PersonStore(Population(SIZE, SEED))
    everything = _keys(store.page(None, None, SIZE)[0])
    earlier = format_time(parse_time(everything[1_400][0]) - 1)
    items, _ = store.page(earlier, "999999999999999999", 10)
    assert _keys(items) == [k for k in everything if k[0] >= earlier][:10]


def test_listing_from_a_cursor_is_o_page() -> None:
    """A page of 100 from the middle of 2,247,000 persons generates about 100 persons."""
    population = Population(DEFAULT_SIZE, SEED)
    generated = 0
    original = population.records

    def counting(indexes: Any, stamps: Any, first_group: int) -> list[dict[str, Any]]:
        nonlocal generated
        records = original(indexes, stamps, first_group)
        generated += len(records)
        return records

    population.records = counting  # type: ignore[method-assign]
    store = PersonStore(population)
    middle = population.span_records(160_000, 160_001)[3]
    generated = 0
    items, more = store.page(middle["AAE036"], middle["AAC002"], 100)
    assert len(items) == 100
    assert more
    assert generated <= 100 + 3 * population.group_size


def test_advance_changes_about_that_share_and_only_those_list_after() -> None:
    """advance(0.01) changes 1 % of persons in one field; a read from the last cursor before it
    returns exactly those, in order, later than every base record."""
    population = Population(SIZE, SEED)
    store = PersonStore(population)
    base = _walk(store, 1_000)
    cursor = (base[-1]["AAE036"], base[-1]["AAC002"])
    changed = store.advance(0.01)
    assert changed == round(SIZE * 0.01)
    fresh = _walk(store, 7, cursor)
    keys = _keys(fresh)
    assert keys == sorted(keys)
    assert len(fresh) == changed
    assert all(k[0] > cursor[0] for k in keys)
    differences = []
    for record in fresh:
        before = population.person(_index(population, record["AAC002"]))
        fields = {f for f in record if record[f] != before.get(f)} - {"AAE036"}
        differences.append(len(fields))
    assert differences == [1] * changed
    again = _walk(store, 333)
    assert len(again) == SIZE
    assert sorted(_index(population, r["AAC002"]) for r in again) == list(range(SIZE))


def test_advance_is_deterministic() -> None:
    """The same seed changes the same persons the same way; successive advances differ."""
    first, second = PersonStore(Population(SIZE, SEED)), PersonStore(Population(SIZE, SEED))
    first.advance(0.02, seed=8)
    second.advance(0.02, seed=8)
    assert first.page(None, None, SIZE) == second.page(None, None, SIZE)
    first.advance(0.02)
    second.advance(0.02)
    assert first.page(None, None, SIZE) == second.page(None, None, SIZE)
    assert first.changed > round(SIZE * 0.02)


def test_before_returns_the_records_up_to_the_cursor() -> None:
    """before() answers the records at or before a cursor, ascending, across base and overlay."""
    store = PersonStore(Population(SIZE, SEED))
    store.advance(0.001, seed=1)
    everything = _keys(_walk(store, SIZE))
    for position in (0, 5, 6, 7, 3_000, SIZE - 2, SIZE - 1):
        since, after = everything[position]
        expected = everything[max(0, position - 2) : position + 1]
        assert _keys(store.before(since, after, 3)) == expected


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    """The simulator with 5,000 persons on a real socket."""
    app = build_app({"size": SIZE, "seed": SEED, "app_key": KEY, "secret": SECRET})
    with run_in_thread(app) as running:
        yield running


def _pull(
    client: httpx.Client, page_size: int, cursor: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"page_size": page_size, **(cursor or {})}
        envelope = client.get("/api/v1/persons", params=params).json()
        assert envelope["code"] == "0"
        data = envelope["data"]
        found += data["items"]
        cursor = data["next"] or cursor
        if not data["has_more"]:
            return found


def test_http_paging_returns_every_person_once(server: RunningServer) -> None:
    """Over HTTP, pages of 333 with the platform's next cursor list all 5,000 persons once."""
    with signed_client(server.url, KEY, SECRET.encode()) as client:
        records = _pull(client, 333)
    keys = _keys(records)
    assert keys == sorted(set(keys))
    assert len(keys) == SIZE


def test_http_duplicate_pages_repeat_the_previous_records(server: RunningServer) -> None:
    """duplicate_rate 1: each page after the first starts with the previous page's last
    records; without those repeats the pages still list everyone once."""
    with signed_client(server.url, KEY, SECRET.encode()) as client:
        client.post("/_sim/faults", json={"duplicate_rate": 1.0})
        try:
            pages = []
            cursor = None
            while True:
                params: dict[str, Any] = {"page_size": 500, **(cursor or {})}
                data = client.get("/api/v1/persons", params=params).json()["data"]
                pages.append(_keys(data["items"]))
                cursor = data["next"]
                if not data["has_more"]:
                    break
        finally:
            client.post("/_sim/faults", json={})
    repeats = [page[:3] == previous[-3:] for previous, page in pairwise(pages)]
    assert repeats
    assert all(repeats)
    unique = sorted({key for page in pages for key in page})
    assert len(unique) == SIZE


def test_http_bad_parameters_are_invalid_param(server: RunningServer) -> None:
    """A page size over 5,000, a malformed time, or after_key alone is HTTP 400 INVALID_PARAM."""
    with signed_client(server.url, KEY, SECRET.encode()) as client:
        for params in (
            {"page_size": 5_001},
            {"updated_since": "2025-02-30 00:00:00"},
            {"updated_since": "yesterday"},
            {"after_key": "522601199001010010"},
        ):
            response = client.get("/api/v1/persons", params=params)
            assert response.status_code == 400
            assert response.json()["code"] == "INVALID_PARAM"
            assert "522601" not in response.text
