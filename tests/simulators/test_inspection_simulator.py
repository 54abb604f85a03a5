"""The simulated inspection platform over real HTTP: signing, validation, de-duplication, draw."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import simulators.inspection
from gateway.errors import ConfigError
from gateway.masking import mask_id_number, mask_name, mask_phone
from simulators.inspection.draw import draw_tasks
from simulators.inspection.simulator import build_app, main
from simulators.kit import openapi_text, run_in_thread, signed_client
from tests.helpers.inspection_platform import (
    APP_KEY,
    PLAN,
    SECRET,
    SEED,
    fill_directories,
    inspectors,
    items,
    keyed,
    push,
    settings,
    subjects,
)

OPENAPI_FILE = Path(simulators.inspection.__file__).parent / "openapi.json"


@pytest.fixture
def platform() -> Iterator[tuple[str, httpx.Client]]:
    """A fresh simulator on a free port and a client that signs like the gateway."""
    with (
        run_in_thread(build_app(settings())) as server,
        signed_client(server.url, APP_KEY, SECRET.encode()) as client,
    ):
        yield server.url, client


def stats(url: str) -> dict[str, Any]:
    figures: dict[str, Any] = httpx.get(f"{url}/_sim/stats").json()
    return figures


def tasks(client: httpx.Client, **params: str) -> dict[str, Any]:
    body = client.get("/api/v1/tasks", params=params).json()
    assert body["code"] == "0"
    page: dict[str, Any] = body["data"]
    return page


def test_unsigned_or_wrongly_signed_requests_are_refused(
    platform: tuple[str, httpx.Client],
) -> None:
    """No signature, or one made with another secret: HTTP 401 AUTH_FAILED, nothing kept."""
    url, _ = platform
    unsigned = httpx.post(f"{url}/api/v1/subjects", json={"items": keyed(subjects(1), "s")})
    with signed_client(url, APP_KEY, b"not-the-secret") as forger:
        forged = forger.post("/api/v1/subjects", json={"items": keyed(subjects(1), "s")})
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "AUTH_FAILED")
    assert (forged.status_code, forged.json()["code"]) == (401, "AUTH_FAILED")
    assert stats(url)["held"]["subjects"] == 0


def test_directories_keep_records_and_dedupe_by_idempotency_key(
    platform: tuple[str, httpx.Client],
) -> None:
    """A resend gets its first receipt and changes nothing; a new version updates the record."""
    url, client = platform
    three = subjects(3)
    first = push(client, "subjects", keyed(three, "s"))
    again = push(client, "subjects", keyed(three, "s"))
    renamed = {**three[0], "name": "更名后的单位有限公司"}
    update = push(client, "subjects", [{"idempotencyKey": "s-new", **renamed}])
    assert [a["status"] for a in first] == ["accepted"] * 3
    assert again == first
    assert update[0]["status"] == "accepted"
    assert update[0]["receiptNo"] not in {a["receiptNo"] for a in first}
    figures = stats(url)
    assert figures["held"]["subjects"] == 3
    assert figures["created"]["subjects"] == 3
    assert figures["duplicates"]["subjects"] == 3
    assert figures["updated"]["subjects"] == 1
    held = httpx.get(f"{url}/_sim/records/subjects").json()["items"]
    assert {r["uscc"]: r["name"] for r in held}[renamed["uscc"]] == "更名后的单位有限公司"


def test_invalid_directory_records_are_rejected_one_by_one(
    platform: tuple[str, httpx.Client],
) -> None:
    """A wrong USCC check character, ID number or item code rejects that record, not the batch."""
    url, client = platform
    good, bad = subjects(2)
    bad["uscc"] = bad["uscc"][:17] + ("0" if bad["uscc"][17] != "0" else "1")
    person = inspectors(1)[0]
    person["idNumber"] = person["idNumber"][:17] + ("0" if person["idNumber"][17] != "0" else "1")
    answers = push(client, "subjects", keyed([good, bad], "s"))
    assert [a["status"] for a in answers] == ["accepted", "rejected"]
    assert answers[1]["code"] == "INVALID_USCC"
    assert "GB 32100" in answers[1]["reason"]
    assert push(client, "inspectors", keyed([person], "p"))[0]["code"] == "INVALID_ID_NUMBER"
    item = {"itemCode": "x y", "itemName": "事项"}
    assert push(client, "check-items", keyed([item], "i"))[0]["code"] == "INVALID_FIELD"
    assert stats(url)["held"] == {"check_items": 0, "subjects": 1, "inspectors": 0, "results": 0}


def test_malformed_batches_are_refused_whole(platform: tuple[str, httpx.Client]) -> None:
    """Not JSON, an item without an idempotency key, or over 500 items: HTTP 400 INVALID_PARAM."""
    _, client = platform
    too_many = keyed(subjects(1) * 501, "s")
    for body in (b"{not json", b'{"items": [{"uscc": "x"}]}', None):
        response = (
            client.post("/api/v1/subjects", content=body)
            if body is not None
            else client.post("/api/v1/subjects", json={"items": too_many})
        )
        assert (response.status_code, response.json()["code"]) == (400, "INVALID_PARAM")


def test_tasks_are_drawn_once_the_directories_fill_the_plan(
    platform: tuple[str, httpx.Client],
) -> None:
    """Before the directories are pushed the platform waits; then it draws as draw_tasks does."""
    url, client = platform
    assert tasks(client)["items"] == []
    assert stats(url)["draw"].startswith("waiting: ")
    fill_directories(client)
    page = tasks(client, page_size="100")
    expected = draw_tasks(
        PLAN,
        SEED,
        [i["itemCode"] for i in items()],
        [s["uscc"] for s in subjects()],
        [p["certNo"] for p in inspectors()],
    )
    assert [(t["taskId"], t["subjects"], t["inspectors"]) for t in page["items"]] == [
        (t.task_id, list(t.subjects), list(t.inspectors)) for t in expected
    ]
    figures = stats(url)
    assert (figures["tasks"], figures["task_subjects"], figures["inspector_assignments"]) == (
        3,
        6,
        7,
    )
    push(client, "subjects", keyed(subjects(12), "more"))
    assert tasks(client)["items"] == page["items"]  # the year's draw stands


def test_tasks_page_by_update_time_and_key(platform: tuple[str, httpx.Client]) -> None:
    """Following ``next`` visits every task once, in (updatedAt, taskId) order, then nothing."""
    _, client = platform
    fill_directories(client)
    seen: list[dict[str, Any]] = []
    params: dict[str, str] = {"page_size": "2"}
    while True:
        page = tasks(client, **params)
        seen += page["items"]
        if not page["has_more"]:
            break
        params = {"page_size": "2", **page["next"]}
    assert len(seen) == 3
    assert [(t["updatedAt"], t["taskId"]) for t in seen] == sorted(
        (t["updatedAt"], t["taskId"]) for t in seen
    )
    last = seen[-1]
    after = tasks(client, updated_since=last["updatedAt"], after_key=last["taskId"])
    assert after == {"items": [], "has_more": False, "next": None}


def result_for(task: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {
        "taskId": task["taskId"],
        "uscc": task["subjects"][0],
        "itemCode": task["itemCode"],
        "checkDate": "2022-03-10",
        "resultCode": "01",
        "inspectors": task["inspectors"],
        "publishDate": "2022-03-20",
        **changes,
    }


def test_results_are_checked_against_tasks_and_directories(
    platform: tuple[str, httpx.Client],
) -> None:
    """Unknown task, item, inspector or code, a subject not drawn, a bad date: each rejected."""
    url, client = platform
    fill_directories(client)
    task = tasks(client)["items"][0]
    undrawn = next(s["uscc"] for s in subjects() if s["uscc"] not in task["subjects"])
    other_item = next(i["itemCode"] for i in items() if i["itemCode"] != task["itemCode"])
    cases = {
        "UNKNOWN_TASK": result_for(task, taskId="SJRW202299999"),
        "UNKNOWN_CHECK_ITEM": result_for(task, itemCode="RSJC000000999"),
        "SUBJECT_NOT_DRAWN": result_for(task, uscc=undrawn),
        "UNKNOWN_INSPECTOR": result_for(task, inspectors=["GZ00000099999"]),
        "INVALID_RESULT_CODE": result_for(task, resultCode="55"),
        "INVALID_DATE": result_for(task, publishDate="2022-03-01"),
        "INVALID_USCC": result_for(task, uscc=task["subjects"][0][:17] + "!"),
    }
    answers = push(client, "results", keyed(list(cases.values()), "r"))
    assert [a.get("code") for a in answers] == list(cases)
    mismatch = push(client, "results", keyed([result_for(task, itemCode=other_item)], "m"))
    assert mismatch[0]["code"] == "UNKNOWN_CHECK_ITEM"
    accepted = push(client, "results", keyed([result_for(task)], "ok"))
    assert accepted[0]["status"] == "accepted"
    assert stats(url)["held"]["results"] == 1


def test_receipts_answer_known_keys_only(platform: tuple[str, httpx.Client]) -> None:
    """The receipts route repeats the answers given, for the keys it has seen."""
    _, client = platform
    answers = push(client, "check-items", keyed(items(2), "i"))
    body = client.get("/api/v1/check-items/receipts", params={"keys": "i-1,i-0,never-sent"}).json()
    assert body["data"]["results"] == [answers[1], answers[0]]


def test_harness_masks_inspectors_personal_data(platform: tuple[str, httpx.Client]) -> None:
    """/_sim/records/inspectors shows ID numbers, names and phones masked, never in clear."""
    url, client = platform
    sent = inspectors(2)
    push(client, "inspectors", keyed(sent, "p"))
    held = httpx.get(f"{url}/_sim/records/inspectors").json()["items"]
    assert [(h["idNumber"], h["name"], h["mobile"]) for h in held] == [
        (mask_id_number(s["idNumber"]), mask_name(s["name"]), mask_phone(s["mobile"])) for s in sent
    ]


def test_committed_openapi_document_is_the_apps() -> None:
    """openapi.json equals what the app generates (regenerate with --openapi when it changes)."""
    generated = openapi_text(build_app(settings()).openapi())
    assert OPENAPI_FILE.read_text(encoding="utf-8") == generated
    assert "/api/v1/tasks" in generated


def test_openapi_documents_the_reconciliation_routes() -> None:
    """The tasks' holdings and range routes are in the document, signed like the others."""
    paths = json.loads(OPENAPI_FILE.read_text(encoding="utf-8"))["paths"]
    holdings = paths["/api/v1/tasks/holdings"]["post"]
    assert holdings["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/HoldingsRequest"
    )
    assert holdings["security"]
    listing = paths["/api/v1/tasks/range"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"low", "high", "after_key", "page_size"}
    assert listing["security"]


def test_cli_prints_the_openapi_document(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m simulators.inspection.simulator --openapi`` prints the committed document."""
    assert main(["--openapi"]) == 0
    assert capsys.readouterr().out == OPENAPI_FILE.read_text(encoding="utf-8")


def test_unknown_setting_is_a_configuration_error() -> None:
    """A misspelt simulator setting fails with the setting named, not silently ignored."""
    with pytest.raises(ConfigError, match="drow"):
        build_app(settings(drow={"tasks": 5}))
