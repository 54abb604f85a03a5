"""The simulated inspection platform as tests fill it: its settings, directory records, pushes."""

from __future__ import annotations

from typing import Any

import httpx

from simulators.demo.inspection import data as demodata
from simulators.inspection.draw import DrawPlan

APP_KEY = "bureau-test"
SECRET = "test-secret-inspection"
SEED = 7
PLAN = DrawPlan(year=2022, tasks=3, subjects=6, inspector_assignments=7)


def settings(**extra: Any) -> dict[str, Any]:
    return {"app_key": APP_KEY, "secret": SECRET, "seed": SEED, "draw": PLAN.model_dump(), **extra}


def items(count: int = 2) -> list[dict[str, Any]]:
    return [
        {"itemCode": r["事项编码"], "itemName": r["事项名称"], "department": r["实施主体"]}
        for r in demodata.check_items(count)
    ]


def subjects(count: int = 10) -> list[dict[str, Any]]:
    return [
        {"uscc": r["统一社会信用代码"], "name": r["单位名称"], "regionCode": r["所在地区划代码"]}
        for r in demodata.subjects(count, SEED)
    ]


def inspectors(count: int = 4) -> list[dict[str, Any]]:
    return [
        {
            "certNo": r["执法证号"],
            "name": r["姓名"],
            "idNumber": r["身份证号"],
            "mobile": r["手机号码"],
        }
        for r in demodata.inspectors(count, SEED)
    ]


def keyed(records: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{"idempotencyKey": f"{prefix}-{n}", **r} for n, r in enumerate(records)]


def push(client: httpx.Client, path: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = client.post(f"/api/v1/{path}", json={"items": records})
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "0"
    answers: list[dict[str, Any]] = body["data"]["results"]
    return answers


def fill_directories(client: httpx.Client) -> None:
    push(client, "check-items", keyed(items(), "i"))
    push(client, "subjects", keyed(subjects(), "s"))
    push(client, "inspectors", keyed(inspectors(), "p"))
