"""The service network's demo flow end to end: catalogue file → platform, cases → handling →
events → platform, and the cases report recomputed independently of its own code. The cases
are the registrations and the human-resources-service licence applications."""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import holidays
import orjson
import pytest
import typer
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from adapters.service_network.model import (
    ITEM_TYPES,
    LICENCE_ITEM_CODE,
    ONLINE_DEPTHS,
    REGISTRATION_ITEM_CODE,
)
from adapters.service_network.report import build_report, cases
from gateway.clock import SHANGHAI
from gateway.mapping import load_mapping
from gateway.pipeline import RunSummary
from gateway.pipeline.context import content_hash
from gateway.store import schema
from gateway.store.records import RecordRow, upsert_records
from mappings import resolve_mapping
from simulators.demo.config import job_order
from simulators.demo.service_network import CATALOGUE_FILE, LICENCE_CASES, SHEET
from tests.helpers.service_network_env import ServiceNetworkEnv, service_network_env

REGISTRATIONS = 2551
CASES = REGISTRATIONS + LICENCE_CASES
AS_OF = datetime(2022, 12, 5, 9, 0, tzinfo=SHANGHAI)
OFFICE_HOURS = ((time(9), time(12)), (time(13), time(17)))
CHINA = holidays.country_holidays("CN", years=[2022, 2023])


@dataclass
class Flow:
    env: ServiceNetworkEnv
    runs: dict[str, RunSummary]


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flow]:
    """The demo part's jobs, each run once in dependency order against the simulator."""
    with service_network_env(tmp_path_factory.mktemp("service-network")) as env:
        runs = {job: env.run(job) for job in job_order(env.config)}
        yield Flow(env, runs)


def payloads(env: ServiceNetworkEnv, entity: str) -> list[dict[str, Any]]:
    table = schema.records
    with env.store.connect() as conn:
        rows = conn.execute(select(table.c.payload).where(table.c.entity == entity))
        return [orjson.loads(payload) for (payload,) in rows]


def catalogue_rows(env: ServiceNetworkEnv) -> list[dict[str, str]]:
    """The catalogue file as a person reads it in Excel (it was moved to processed/)."""
    workbook = load_workbook(env.directory / "inbox" / "processed" / CATALOGUE_FILE, read_only=True)
    rows = [[str(cell or "") for cell in row] for row in workbook[SHEET].values]
    workbook.close()
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def oracle_due(received: datetime) -> datetime:
    """Half a working day (3.5 office hours) after receipt, with the holidays package's own
    working-day test: written here again so the report is checked against other code."""
    remaining = timedelta(hours=3.5)
    moment = received
    while True:
        day = moment.date()
        if CHINA.is_working_day(day):
            for opens, closes in OFFICE_HOURS:
                start = max(moment, datetime.combine(day, opens, SHANGHAI))
                end = datetime.combine(day, closes, SHANGHAI)
                if start < end:
                    if remaining <= end - start:
                        return start + remaining
                    remaining -= end - start
        moment = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def test_every_job_of_the_flow_succeeds(flow: Flow) -> None:
    """Catalogue loaded and published, every case pulled, three events each handled and sent,
    the justice bureau's notice written."""
    counts = {job: (s.status, s.read, s.inserted, s.rejected) for job, s in flow.runs.items()}
    assert counts.pop("sn-justice-notice")[0] == "succeeded"
    assert counts == {
        "sn-items-load": ("succeeded", 206, 206, 0),
        "sn-items-push": ("succeeded", 206, 206, 0),
        "sn-cases": ("succeeded", CASES, CASES, 0),
        "sn-handling": ("succeeded", 3 * CASES, 3 * CASES, 0),
        "sn-case-events-push": ("succeeded", 3 * CASES, 3 * CASES, 0),
    }


def test_platform_catalogue_equals_the_catalogue_file(flow: Flow) -> None:
    """The platform holds the file's rows field for field: 76 power items, 125 online, 35 跨省."""
    rows = catalogue_rows(flow.env)
    type_codes = {label: code for code, label in ITEM_TYPES.items()}
    depth_codes = {label: code for code, label in ONLINE_DEPTHS.items()}
    expected = {
        row["事项编码"]: {
            "itemCode": row["事项编码"],
            "itemName": row["事项名称"],
            "itemType": type_codes[row["事项类型"]],
            "implementer": row["实施主体"],
            "legalBasis": row["设定依据"],
            "statutoryLimit": row["法定办结时限（工作日）"],
            "promisedLimit": row["承诺办结时限（工作日）"],
            "onlineDepth": depth_codes[row["网办深度"]],
            "crossProvince": "1" if row["是否跨省通办"] == "是" else "0",
            "serviceObject": row["服务对象"],
            "conditions": row["受理条件"],
            "materials": row["申请材料"],
            "procedure": row["办理流程"],
            "charge": row["收费标准"],
            "place": row["办理地点"],
            "consultPhone": row["咨询电话"],
        }
        for row in rows
    }
    with flow.env.client() as client:
        listed = client.get("/api/v1/items", params={"page_size": 1000}).json()["data"]
        stats = client.get("/_sim/stats").json()
    assert {item["itemCode"]: item for item in listed["items"]} == expected
    power = Counter(row["事项类型"] for row in rows if row["事项类型"] != "公共服务")
    assert power == {"行政许可": 6, "行政处罚": 61, "行政强制": 2, "行政检查": 5, "行政奖励": 2}
    assert sum(row["网办深度"] == "全程网办" for row in rows) == 125
    assert sum(row["是否跨省通办"] == "是" for row in rows) == 35
    assert (stats["items"], stats["items_fully_online"], stats["items_cross_province"]) == (
        len(rows),
        125,
        35,
    )
    assert sum(n for t, n in stats["items_by_type"].items() if t != "GG") == 76


def test_report_accounts_for_every_registration(flow: Flow) -> None:
    """Every case reported; the 2,551 registrations' on-time/overdue equal an independent
    recomputation; the licence cases (10 working days) are all on time."""
    env = flow.env
    report = build_report(
        env.config, env.store, since=date(2022, 1, 1), until=date(2022, 11, 30), as_of=AS_OF
    )
    totals = report.totals.as_dict()
    with env.client() as client:
        platform_cases = client.get("/_sim/stats").json()["cases"]
    assert totals["received"] == platform_cases == CASES
    assert totals["handled"] == totals["reported"] == CASES
    items = {row.item_code: row.as_dict() for row in report.items}
    registrations, licences = items[REGISTRATION_ITEM_CODE], items[LICENCE_ITEM_CODE]
    assert licences["received"] == licences["on_time"] == LICENCE_CASES
    completed = {
        e["case_no"]: datetime.fromisoformat(e["occurred_at"])
        for e in payloads(env, "case_event")
        if e["event"] == "completed"
    }
    late = {
        c["case_no"]
        for c in payloads(env, "service_case")
        if c["item_code"] == REGISTRATION_ITEM_CODE
        and completed[c["case_no"]] > oracle_due(datetime.fromisoformat(c["received_at"]))
    }
    assert 0 < len(late) < REGISTRATIONS // 10
    assert (registrations["on_time"], registrations["late"], registrations["overdue"]) == (
        REGISTRATIONS - len(late),
        len(late),
        len(late),
    )
    assert (totals["late"], totals["overdue"]) == (len(late), len(late))
    assert {o.case_no for o in report.outcomes if o.state == "late"} == late
    assert totals["approved"] + totals["rejected"] == CASES
    assert [(row.item_code, row.limit_days) for row in report.items] == [
        (REGISTRATION_ITEM_CODE, "0.5"),
        (LICENCE_ITEM_CODE, "10"),
    ]


def test_report_command_prints_json_and_writes_csv(flow: Flow, tmp_path: Path) -> None:
    """``gateway report cases --json --csv`` gives the same totals and one CSV row per case."""
    app = typer.Typer()
    app.command()(cases)
    out = tmp_path / "cases.csv"
    config = flow.env.directory / "gateway.yaml"
    args = ["--config", str(config), "--since", "2022-01-01", "--until", "2022-11-30"]
    result = CliRunner().invoke(app, [*args, "--json", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.output)
    assert shown["totals"]["received"] == CASES
    assert len(shown["overdue_cases"]) == shown["totals"]["overdue"]
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == CASES
    states = Counter(row["state"] for row in rows)
    assert (states["on_time"], states["late"]) == (
        shown["totals"]["on_time"],
        shown["totals"]["late"],
    )
    march_args = ["--config", str(config), "--since", "2022-03-01", "--until", "2022-03-31"]
    march = CliRunner().invoke(app, [*march_args, "--json"])
    assert 0 < orjson.loads(march.output)["totals"]["received"] < REGISTRATIONS // 5


def test_running_every_job_again_sends_nothing_twice(flow: Flow) -> None:
    """A second round re-reads the cases (their status changed) but derives and sends nothing."""
    again = {job: flow.env.run(job) for job in job_order(flow.env.config)}
    assert all(s.status == "succeeded" for s in again.values())
    assert again["sn-cases"].updated == CASES
    assert again["sn-handling"].read == 0
    assert again["sn-case-events-push"].read == again["sn-items-push"].read == 0
    with flow.env.client() as client:
        stats = client.get("/_sim/stats").json()
    assert stats["events_accepted"] == 3 * CASES
    assert stats["cases_by_status"] == {"已办结": CASES}


def test_event_out_of_order_lands_in_the_dead_letter_queue(tmp_path: Path) -> None:
    """办结 before 受理 is refused and dead-lettered with the platform's code and reason."""
    with service_network_env(tmp_path, cases=20) as env:
        assert env.run("sn-cases").inserted == 20
        case = min(payloads(env, "service_case"), key=lambda c: c["case_no"])
        mapping = load_mapping(resolve_mapping("service_network/handling.yaml"))
        when = "2022-12-01 10:00:00"
        raw = {"caseNo": case["case_no"], "event": "completed", "eventTime": when}
        result = mapping.map(raw)
        assert result.ok
        assert result.record is not None
        assert result.key is not None
        payload = orjson.dumps(result.record, option=orjson.OPT_SORT_KEYS)
        row = RecordRow(result.key, payload.decode(), content_hash(payload))
        with env.store.transaction() as conn:
            upsert_records(conn, mapping.entity, [row], "test")
        summary = env.run("sn-case-events-push")
        assert (summary.status, summary.rejected) == ("succeeded", 1)
        with env.store.connect() as conn:
            letters = conn.execute(select(schema.dead_letters)).all()
        assert len(letters) == 1
        (reason,) = orjson.loads(letters[0].reasons)
        assert reason["rule"] == "EVENT_OUT_OF_ORDER"
        assert "待受理" in reason["detail"]
        assert letters[0].record_key == f"{case['case_no']}|completed"
        env.run("sn-handling")
        assert env.run("sn-case-events-push").rejected == 0
        with env.client() as client:
            listed = client.get("/api/v1/cases", params={"page_size": 100}).json()["data"]
        statuses = {c["caseNo"]: c["caseStatus"] for c in listed["items"]}
        assert statuses[case["case_no"]] == "4"


def test_catalogue_report_counts_what_the_file_holds_and_the_platform_took(flow: Flow) -> None:
    """By kind, fully online, cross-province and high-frequency, against the file itself."""
    from adapters.service_network.catalogue_report import build_report as catalogue_report

    rows = catalogue_rows(flow.env)
    report = catalogue_report(flow.env.config, flow.env.store).as_dict()
    kinds = Counter(row["事项类型"] for row in rows)
    everything = {"held": len(rows), "accepted": len(rows)}
    assert report["items"] == everything
    power = sum(n for label, n in kinds.items() if label != "公共服务")
    assert report["power_items"] == {"held": power, "accepted": power}
    assert {v["label"]: v["held"] for v in report["by_type"].values()} == dict(kinds)
    online = sum(row["网办深度"] == "全程网办" for row in rows)
    assert report["fully_online"] == {"held": online, "accepted": online}
    cross = sum(row["是否跨省通办"] == "是" for row in rows)
    assert report["cross_province"] == {"held": cross, "accepted": cross}
    frequent = sorted(row["事项名称"] for row in rows if row["是否高频事项"] == "是")
    assert sorted(i["item_name"] for i in report["high_frequency"]) == frequent
    # The bureau's figures, which the demo catalogue follows.
    assert (power, online, cross, len(frequent)) == (76, 125, 35, 14)
    assert [kinds[k] for k in ("行政许可", "行政处罚", "行政强制", "行政检查", "行政奖励")] == [
        6, 61, 2, 5, 2,
    ]  # fmt: skip


def test_catalogue_report_command_prints_json_and_writes_csv(flow: Flow, tmp_path: Path) -> None:
    from adapters.service_network.catalogue_report import catalogue

    app = typer.Typer()
    app.command()(catalogue)
    out = tmp_path / "frequent.csv"
    config = str(flow.env.directory / "gateway.yaml")
    result = CliRunner().invoke(app, ["--json", "--csv", str(out), "--config", config])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.output)["power_items"]["held"] == 76
    with out.open(encoding="utf-8-sig") as handle:
        assert len(list(csv.DictReader(handle))) == 14
    table = CliRunner().invoke(app, ["--config", config])
    assert table.exit_code == 0, table.output
    assert "cross-province" in table.output
