"""The simulated service network over real HTTP: SM3 signing, catalogue rules, cases, events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

import simulators.service_network
from gateway.codes.idnumber import is_valid_id_number
from gateway.codes.uscc import is_valid_uscc
from gateway.errors import ConfigError
from gateway.http.signing import SignatureAlgorithm
from simulators.kit import openapi_text, run_in_thread, signed_client
from simulators.service_network.simulator import build_app

APP_KEY = "bureau-test"
SECRET = "test-secret-service-network"
OPENAPI_FILE = Path(simulators.service_network.__file__).parent / "openapi.json"
SM3 = SignatureAlgorithm.HMAC_SM3
CASES = 40


def settings(**extra: Any) -> dict[str, Any]:
    return {"app_key": APP_KEY, "secret": SECRET, "seed": 11, "cases": CASES, **extra}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    """A fresh simulator on a free port and a client that signs with HMAC-SM3."""
    with (
        run_in_thread(build_app(settings())) as server,
        signed_client(server.url, APP_KEY, SECRET.encode(), SM3) as signed,
    ):
        yield signed


def data(response: httpx.Response) -> Any:
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "0"
    return body["data"]


def item(code: str = "XK00001000", **changes: Any) -> dict[str, Any]:
    record = {
        "idempotencyKey": f"k-{code}",
        "itemCode": code,
        "itemName": "劳务派遣经营许可",
        "itemType": code[:2],
        "implementer": "黔东南州人力资源和社会保障局",
        "legalBasis": "《中华人民共和国劳动合同法》第五十七条",
        "statutoryLimit": "20",
        "promisedLimit": "10",
        "onlineDepth": "4",
        "crossProvince": "0",
    }
    return {**record, **changes}


def submit(client: httpx.Client, path: str, *records: dict[str, Any]) -> list[dict[str, Any]]:
    answered = data(client.post(path, json={"items": list(records)}))
    results: list[dict[str, Any]] = answered["results"]
    return results


def all_cases(client: httpx.Client, page_size: int = 7) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"page_size": page_size}
    while True:
        page = data(client.get("/api/v1/cases", params=params))
        found += page["items"]
        if not page["has_more"]:
            return found
        params = {"page_size": page_size, **page["next"]}


def fingerprint(records: list[dict[str, Any]]) -> str:
    return hashlib.sha256(orjson.dumps(records, option=orjson.OPT_SORT_KEYS)).hexdigest()


def event(case_no: str, code: str, when: str, key: str, **extra: Any) -> dict[str, Any]:
    return {"idempotencyKey": key, "caseNo": case_no, "eventType": code, "eventTime": when, **extra}


def test_committed_openapi_document_is_the_apps() -> None:
    """simulators/service_network/openapi.json is exactly what the simulator app generates."""
    generated = openapi_text(build_app(settings(cases=0)).openapi())
    assert OPENAPI_FILE.read_text(encoding="utf-8") == generated


def test_openapi_documents_the_reconciliation_routes() -> None:
    """The cases' holdings and range routes are in the document, signed like the others."""
    paths = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))["paths"]
    holdings = paths["/api/v1/cases/holdings"]["post"]
    assert holdings["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/HoldingsRequest"
    )
    assert holdings["security"]
    listing = paths["/api/v1/cases/range"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"low", "high", "after_key", "page_size"}
    assert listing["security"]


def test_holdings_refused_unsigned_and_answered_signed(client: httpx.Client) -> None:
    """An unsigned holdings request is refused; a signed one counts the cases received."""
    refused = httpx.post(f"{client.base_url}/api/v1/cases/holdings", json={"ranges": [{}]})
    assert refused.status_code == 401
    answer = client.post("/api/v1/cases/holdings", json={"ranges": [{}, {"low": "9"}]}).json()
    ranges = answer["data"]["ranges"]
    assert ranges[1]["count"] == 0
    assert ranges[1]["digest"] == "0" * 32


def test_requests_must_be_signed_with_sm3(client: httpx.Client) -> None:
    """The same request signed with HMAC-SHA256 is refused; signed with HMAC-SM3 it passes."""
    base = str(client.base_url)
    with signed_client(base, APP_KEY, SECRET.encode(), SignatureAlgorithm.HMAC_SHA256) as sha:
        refused = sha.get("/api/v1/items")
    assert refused.status_code == 401
    assert refused.json()["code"] == "AUTH_FAILED"
    assert data(client.get("/api/v1/items"))["total"] == 0


def test_catalogue_entries_are_kept_and_listed_by_code(client: httpx.Client) -> None:
    """Accepted entries get receipts and are listed in code order, without idempotency keys."""
    answers = submit(client, "/api/v1/items", item("XK00002000"), item("CF00001000"))
    assert [a["status"] for a in answers] == ["accepted", "accepted"]
    assert all(a["receiptNo"] for a in answers)
    listed = data(client.get("/api/v1/items", params={"page_size": 1, "page_no": 2}))
    assert listed["total"] == 2
    assert [i["itemCode"] for i in listed["items"]] == ["XK00002000"]
    assert "idempotencyKey" not in listed["items"][0]


INVALID_ITEMS = (
    ({"itemCode": "XK0001000"}, "INVALID_ITEM_CODE"),
    ({"itemCode": "xk00001000"}, "INVALID_ITEM_CODE"),
    ({"itemType": "XX"}, "INVALID_ITEM_TYPE"),
    ({"itemType": "CF"}, "ITEM_TYPE_MISMATCH"),
    ({"legalBasis": " "}, "MISSING_FIELD"),
    ({"statutoryLimit": "0"}, "INVALID_TIME_LIMIT"),
    ({"promisedLimit": "25"}, "INVALID_TIME_LIMIT"),
    ({"promisedLimit": "soon"}, "INVALID_TIME_LIMIT"),
    ({"onlineDepth": "5"}, "INVALID_ONLINE_DEPTH"),
    ({"crossProvince": "是"}, "INVALID_FLAG"),
)


def test_invalid_catalogue_entries_are_rejected(client: httpx.Client) -> None:
    """Code pattern, item type, legal basis, time limits and flags are checked per entry."""
    records = [
        item(**{"idempotencyKey": f"bad-{n}", **changes})
        for n, (changes, _) in enumerate(INVALID_ITEMS)
    ]
    answers = submit(client, "/api/v1/items", *records)
    assert [(a["status"], a["code"]) for a in answers] == [
        ("rejected", code) for _, code in INVALID_ITEMS
    ]
    assert all(a["reason"] for a in answers)
    assert data(client.get("/api/v1/items"))["total"] == 0


def test_item_code_pattern_is_a_setting() -> None:
    """Another province's coding rule: its pattern, and codes that do not start with the type."""
    app = build_app(settings(item_code_pattern=r"[0-9]{6}-[0-9]{4}", item_code_has_type=False))
    with (
        run_in_thread(app) as server,
        signed_client(server.url, APP_KEY, SECRET.encode(), SM3) as signed,
    ):
        answers = submit(
            signed, "/api/v1/items", item("440300-0001", itemType="XK"), item("XK00001000")
        )
    assert [a["status"] for a in answers] == ["accepted", "rejected"]
    assert answers[1]["code"] == "INVALID_ITEM_CODE"


def test_a_resend_with_the_same_key_is_answered_once(client: httpx.Client) -> None:
    """The same idempotency key gets the first answer again; receipts answer known keys only."""
    first = submit(client, "/api/v1/items", item())
    again = submit(client, "/api/v1/items", item(itemName="changed meanwhile"))
    assert first == again
    listed = data(client.get("/api/v1/items"))["items"]
    assert listed[0]["itemName"] == "劳务派遣经营许可"
    receipts = data(client.get("/api/v1/items/receipts", params={"keys": "k-XK00001000,nope"}))
    assert receipts["results"] == first
    stats = client.get("/_sim/stats").json()
    assert (stats["items_accepted"], stats["items_duplicate"]) == (1, 1)


def test_cases_are_valid_deterministic_and_paged_once_each(client: httpx.Client) -> None:
    """Valid USCCs and ID numbers; each case paged once in (updateTime, caseNo) order; seeded."""
    cases = all_cases(client)
    assert len(cases) == CASES
    assert len({c["caseNo"] for c in cases}) == CASES
    assert all(is_valid_uscc(c["entUscc"]) for c in cases)
    assert all(is_valid_id_number(c["contactIdNo"]) for c in cases)
    positions = [(c["updateTime"], c["caseNo"]) for c in cases]
    assert positions == sorted(positions)
    assert all("2022-01-01" <= c["receiveTime"] <= "2022-11-30 23:59:59" for c in cases)
    with (
        run_in_thread(build_app(settings())) as twin,
        signed_client(twin.url, APP_KEY, SECRET.encode(), SM3) as other,
    ):
        # Compared by digest: a failing comparison must not print the applicants' data.
        assert fingerprint(all_cases(other, page_size=100)) == fingerprint(cases)


def test_cases_appear_as_the_simulated_clock_passes_them(client: httpx.Client) -> None:
    """Only cases the clock has passed are listed; moving it on lists the rest after the cursor."""
    client.post("/_sim/clock", json={"now": "2022-06-01T00:00:00+08:00", "running": False})
    early = all_cases(client, page_size=100)
    assert 0 < len(early) < CASES
    assert all(c["receiveTime"] < "2022-06-01" for c in early)
    cursor = {"updated_since": early[-1]["updateTime"], "after_key": early[-1]["caseNo"]}
    client.post("/_sim/clock", json={"now": "2022-12-05T09:00:00+08:00", "running": False})
    later = data(client.get("/api/v1/cases", params={"page_size": 100, **cursor}))["items"]
    assert len(early) + len(later) == CASES
    assert all(c["receiveTime"] >= "2022-06-01" for c in later)


def test_completed_before_accepted_is_refused_with_a_reason(client: httpx.Client) -> None:
    """办结 on a case nobody accepted is refused: EVENT_OUT_OF_ORDER, naming both steps."""
    case = all_cases(client, page_size=100)[0]
    completed = event(case["caseNo"], "4", "2022-12-01 10:00:00", "e1")
    (answer,) = submit(client, "/api/v1/case-events", completed)
    assert (answer["status"], answer["code"]) == ("rejected", "EVENT_OUT_OF_ORDER")
    assert "待受理" in answer["reason"]
    assert "办结" in answer["reason"]


def test_a_valid_sequence_moves_the_case_along(client: httpx.Client) -> None:
    """受理 → 准予 → 办结 in order are accepted; the case's status and update time follow."""
    first, *rest = all_cases(client, page_size=100)
    no, received = first["caseNo"], first["receiveTime"]
    answers = submit(
        client,
        "/api/v1/case-events",
        event(no, "1", received, "a"),
        event(no, "2", received, "b"),
        event(no, "4", "2022-12-01 10:00:00", "c"),
    )
    assert [a["status"] for a in answers] == ["accepted"] * 3
    relisted = all_cases(client, page_size=100)
    assert relisted[-1]["caseNo"] == no
    assert relisted[-1]["caseStatus"] == "4"
    assert relisted[-1]["updateTime"] > max(c["updateTime"] for c in rest)


def test_event_checks(client: httpx.Client) -> None:
    """Unknown case, bad time, no reason, changed replay, second decision are refused."""
    cases = all_cases(client, page_size=100)
    no, later = cases[0]["caseNo"], "2022-12-01 09:30:00"
    answers = submit(
        client,
        "/api/v1/case-events",
        event("52260020990101000001", "1", later, "x1"),
        event(no, "1", "2021-12-31 23:59:59", "x2"),
        event(no, "1", later, "x3"),
        event(no, "1", later, "x4"),
        event(no, "1", "2022-12-01 09:31:00", "x5"),
        event(no, "3", later, "x6"),
        event(no, "3", later, "x7", opinion="缺少营业执照副本"),
        event(no, "2", later, "x8"),
        event(no, "9", later, "x9"),
        event(cases[1]["caseNo"], "1", "2030-01-01 09:00:00", "x10"),
    )
    codes = [a.get("code") or a["status"] for a in answers]
    assert codes == [
        "CASE_NOT_FOUND",
        "INVALID_TIME",
        "accepted",
        "accepted",
        "EVENT_CONFLICT",
        "MISSING_OPINION",
        "accepted",
        "EVENT_OUT_OF_ORDER",
        "INVALID_EVENT",
        "INVALID_TIME",
    ]
    assert answers[2]["receiptNo"] == answers[3]["receiptNo"]


def test_duplicate_page_fault_repeats_records_from_before_the_cursor() -> None:
    """With duplicate pages on, the second page starts with records the first already had."""
    app = build_app(settings(faults={"duplicate_rate": 1.0}))
    with (
        run_in_thread(app) as server,
        signed_client(server.url, APP_KEY, SECRET.encode(), SM3) as signed,
    ):
        first = data(signed.get("/api/v1/cases", params={"page_size": 5}))
        second = data(signed.get("/api/v1/cases", params={"page_size": 5, **first["next"]}))
    assert [c["caseNo"] for c in second["items"][:2]] == [c["caseNo"] for c in first["items"][3:]]
    assert len(second["items"]) == 7


@pytest.mark.parametrize(
    ("extra", "where"),
    [({"colour": "red"}, "colour"), ({"item_code_pattern": "(["}, "item_code_pattern")],
)
def test_bad_settings_are_configuration_errors(extra: dict[str, Any], where: str) -> None:
    """An unknown setting or a broken pattern fails with the setting named."""
    with pytest.raises(ConfigError, match=where):
        build_app(settings(**extra))
