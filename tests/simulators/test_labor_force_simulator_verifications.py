"""Pushing verification results to the simulator: applied once, answered per item, resolvable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulators.kit import RunningServer, run_in_thread, signed_client
from simulators.labor_force.population import Population
from simulators.labor_force.simulator import build_app

SIZE = 2_000
SEED = 17
KEY = "bureau"
SECRET = "verification-test-secret"


@pytest.fixture
def server() -> Iterator[RunningServer]:
    """A fresh simulator per test: verifications change its state."""
    app = build_app({"size": SIZE, "seed": SEED, "app_key": KEY, "secret": SECRET})
    with run_in_thread(app) as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with signed_client(server.url, KEY, SECRET.encode()) as signed:
        yield signed


def _index(population: Population, number: str) -> int:
    """The index of an ID number; -1 for one the population does not have."""
    found = population.index_of(number)
    return -1 if found is None else found


def _valid_indexes(population: Population, count: int) -> list[int]:
    return [i for i in range(SIZE) if population.invalid_kind(i) is None][:count]


def _item(key: str, number: str, **changes: str) -> dict[str, str]:
    return {
        "idempotencyKey": key,
        "AAC002": number,
        "HCZT": "2",
        "AAC008": "3",
        "AAE006": "浙江省宁波市北仑区",
        "HCSJ": "2026-03-02 10:00:00",
        "HCR": "核查员07",
        **changes,
    }


def _submit(client: httpx.Client, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    envelope = client.post("/api/v1/verifications", json={"items": items}).json()
    assert envelope["code"] == "0"
    results: list[dict[str, Any]] = envelope["data"]["results"]
    return results


def _pull_all(client: httpx.Client, cursor: dict[str, str] | None = None) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        params: dict[str, Any] = {"page_size": 5_000, **(cursor or {})}
        data = client.get("/api/v1/persons", params=params).json()["data"]
        found += data["items"]
        cursor = data["next"] or cursor
        if not data["has_more"]:
            return found


def test_accepted_verifications_are_applied_and_pulled_again(client: httpx.Client) -> None:
    """Accepted items update HCZT, AAC008, AAE006 and bump AAE036 past every earlier record,
    so an incremental pull from the last cursor returns exactly those persons."""
    population = Population(SIZE, SEED)
    everything = _pull_all(client)
    last = everything[-1]
    cursor = {"updated_since": last["AAE036"], "after_key": last["AAC002"]}
    chosen = _valid_indexes(population, 5)
    numbers = [population.id_number(i) for i in chosen]
    results = _submit(client, [_item(f"k{n}", number) for n, number in enumerate(numbers)])
    assert [r["status"] for r in results] == ["accepted"] * 5
    assert [r["idempotencyKey"] for r in results] == [f"k{n}" for n in range(5)]
    assert all(r["receiptNo"].startswith("HC") for r in results)
    fresh = _pull_all(client, cursor)
    assert sorted(_index(population, p["AAC002"]) for p in fresh) == sorted(chosen)
    applied = all(
        (p["HCZT"], p["AAC008"], p["AAE006"]) == ("2", "3", "浙江省宁波市北仑区") for p in fresh
    )
    assert applied
    assert all(p["AAE036"] > last["AAE036"] for p in fresh)


def test_a_resend_is_answered_the_same_and_counted_once(client: httpx.Client) -> None:
    """Sending the same idempotency key again returns the same receipt and changes nothing."""
    population = Population(SIZE, SEED)
    number = population.id_number(_valid_indexes(population, 1)[0])
    first = _submit(client, [_item("once", number)])
    again = _submit(client, [_item("once", number, HCZT="0")])
    assert again == first
    stats = client.get("/_sim/stats").json()
    assert stats["verifications_received"] == 1
    assert stats["verifications_duplicates"] == 1
    accepted = client.get("/_sim/verifications").json()
    assert [a["idempotencyKey"] for a in accepted] == ["once"]
    assert accepted[0]["HCZT"] == "2"
    assert accepted[0]["receiptNo"] == first[0]["receiptNo"]


def test_unknown_persons_and_bad_fields_are_rejected_per_item(client: httpx.Client) -> None:
    """Each item is judged alone: unknown ID → E_UNKNOWN_PERSON, bad field → E_INVALID_FIELD;
    reasons name the field and never contain the ID number."""
    population = Population(SIZE, SEED)
    known = population.id_number(_valid_indexes(population, 1)[0])
    stranger = Population(SIZE * 10, SEED).id_number(SIZE * 5)
    items = [
        _item("ok", known),
        _item("unknown", stranger),
        _item("status", known, HCZT="7"),
        _item("time", known, HCSJ="2026-13-01 00:00:00"),
        _item("short", known[:17]),
        {"AAC002": known},
    ]
    results = _submit(client, items)
    outcome = [(r["idempotencyKey"], r["status"], r.get("code")) for r in results]
    assert outcome == [
        ("ok", "accepted", None),
        ("unknown", "rejected", "E_UNKNOWN_PERSON"),
        ("status", "rejected", "E_INVALID_FIELD"),
        ("time", "rejected", "E_INVALID_FIELD"),
        ("short", "rejected", "E_INVALID_FIELD"),
        (None, "rejected", "E_INVALID_FIELD"),
    ]
    reasons = [r["reason"] for r in results[1:]]
    assert [reason.split(":")[0] for reason in reasons] == [
        "AAC002",
        "HCZT",
        "HCSJ",
        "AAC002",
        "idempotencyKey",
    ]
    assert not any(known[:10] in reason or stranger[:10] in reason for reason in reasons)
    stats = client.get("/_sim/stats").json()
    assert (stats["verifications_received"], stats["verifications_rejected"]) == (1, 4)


def test_receipts_resolve_known_keys(client: httpx.Client) -> None:
    """The receipts route answers the first answer for each known key and omits unknown ones."""
    population = Population(SIZE, SEED)
    numbers = [population.id_number(i) for i in _valid_indexes(population, 2)]
    sent = _submit(client, [_item("a", numbers[0]), _item("b", numbers[1], HCZT="9")])
    envelope = client.get("/api/v1/verifications/receipts", params={"keys": "b,zz,a"}).json()
    assert envelope["code"] == "0"
    assert envelope["data"]["results"] == [sent[1], sent[0]]


def test_an_answer_lost_to_a_timeout_is_applied_and_resolvable(server: RunningServer) -> None:
    """A push whose answer never arrives (timeout fault) was applied; receipts tell its fate."""
    population = Population(SIZE, SEED)
    number = population.id_number(_valid_indexes(population, 1)[0])
    with signed_client(server.url, KEY, SECRET.encode(), timeout=0.3) as impatient:
        impatient.post("/_sim/faults", json={"timeout_rate": 1.0, "slow_seconds": 1.0})
        with pytest.raises(httpx.ReadTimeout):
            impatient.post("/api/v1/verifications", json={"items": [_item("lost", number)]})
        impatient.post("/_sim/faults", json={})
        answer = impatient.get("/api/v1/verifications/receipts", params={"keys": "lost"}).json()
    assert [r["status"] for r in answer["data"]["results"]] == ["accepted"]


def test_a_busy_answer_applies_nothing(client: httpx.Client) -> None:
    """A push answered SYSTEM_BUSY was not processed: no receipt exists for it."""
    population = Population(SIZE, SEED)
    number = population.id_number(_valid_indexes(population, 1)[0])
    client.post("/_sim/faults", json={"busy_rate": 1.0})
    busy = client.post("/api/v1/verifications", json={"items": [_item("busy", number)]}).json()
    client.post("/_sim/faults", json={})
    assert busy["code"] == "SYSTEM_BUSY"
    answer = client.get("/api/v1/verifications/receipts", params={"keys": "busy"}).json()
    assert answer["data"]["results"] == []
    assert client.get("/_sim/stats").json()["verifications_received"] == 0


def test_malformed_batches_are_invalid_param(client: httpx.Client) -> None:
    """Not JSON, no items list, or more than 500 items: HTTP 400 INVALID_PARAM."""
    population = Population(SIZE, SEED)
    number = population.id_number(0)
    too_many = {"items": [_item(f"k{n}", number) for n in range(501)]}
    for body in (b"{not json", b'{"rows": []}', b'{"items": []}'):
        response = client.post("/api/v1/verifications", content=body)
        assert (response.status_code, response.json()["code"]) == (400, "INVALID_PARAM")
    response = client.post("/api/v1/verifications", json=too_many)
    assert (response.status_code, response.json()["code"]) == (400, "INVALID_PARAM")
