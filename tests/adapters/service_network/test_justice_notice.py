"""The monthly notice to the justice bureau: the file checked row by row against the store, its
cover sheet against its rows, its audit entry, and a second run for the same month."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner, Result

from adapters.service_network.model import COMMITMENTS
from gateway.cli.jobs import exit_code
from gateway.clock import SHANGHAI
from gateway.errors import ConfigError
from gateway.pipeline import RunSummary
from gateway.pipeline.context import content_hash
from gateway.store import schema
from gateway.store.records import RecordRow, upsert_records
from simulators.demo.config import job_order
from simulators.demo.service_network import NOTICE_MONTH
from tests.helpers.service_network_env import ServiceNetworkEnv, service_network_env

JOB = "sn-justice-notice"
OUTBOX = Path("outbox") / "justice"
DECISION_LABELS = {"approved": "准予", "rejected": "不予"}


@dataclass
class Notice:
    env: ServiceNetworkEnv
    runs: dict[str, RunSummary]

    def path(self, month: str) -> Path:
        return self.env.directory / OUTBOX / f"告知承诺制办件情况通报-{month}.xlsx"


@pytest.fixture(scope="module")
def notice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Notice]:
    """The service network's demo jobs (the notice last), each run once."""
    with service_network_env(tmp_path_factory.mktemp("notice")) as env:
        runs = {job: env.run(job) for job in job_order(env.config)}
        yield Notice(env, runs)


def payloads(env: ServiceNetworkEnv, entity: str) -> list[dict[str, Any]]:
    table = schema.records
    with env.store.connect() as conn:
        rows = conn.execute(select(table.c.payload).where(table.c.entity == entity))
        return [orjson.loads(payload) for (payload,) in rows]


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    workbook = load_workbook(path, read_only=True)
    try:
        return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in workbook}
    finally:
        workbook.close()


def local_text(value: str | None) -> str | None:
    if value is None:
        return None
    return datetime.fromisoformat(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def expected_rows(env: ServiceNetworkEnv, month: date) -> dict[str, dict[str, Any]]:
    """The month's 告知承诺 cases as the notice must show them, computed here from the store."""
    events: dict[str, dict[str, str]] = {}
    for event in payloads(env, "case_event"):
        events.setdefault(event["case_no"], {})[event["event"]] = event["occurred_at"]
    rows = {}
    for case in payloads(env, "service_case"):
        received = datetime.fromisoformat(case["received_at"]).astimezone(SHANGHAI)
        if not case.get("notify_commit") or (received.year, received.month) != (
            month.year,
            month.month,
        ):
            continue
        handled = events.get(case["case_no"], {})
        decision = next((d for d in DECISION_LABELS if d in handled), None)
        name = case["contact_name"]
        rows[case["case_no"]] = {
            "办件编号": case["case_no"],
            "事项编码": case["item_code"],
            "事项名称": case["item_name"],
            "申请单位": case["enterprise_name"],
            "统一社会信用代码": case["enterprise_uscc"],
            "经办人": name[0] + "*" * (len(name) - 1),
            "承诺事项": "、".join(COMMITMENTS[c] for c in case["commitments"]),
            "收件时间": local_text(case["received_at"]),
            "办理结果": DECISION_LABELS[decision] if decision else "办理中",
            "决定时间": local_text(handled.get(decision)) if decision else None,
            "办结时间": local_text(handled.get("completed")),
        }
    return rows


def test_the_notice_job_succeeds_with_every_case_of_the_month(notice: Notice) -> None:
    """The notice run reads the month's committed cases and writes them all."""
    summary = notice.runs[JOB]
    expected = expected_rows(notice.env, date(2022, 10, 1))
    assert summary.status == "succeeded"
    assert exit_code(summary.status, []) == 0
    assert summary.read == summary.inserted == len(expected) > 0
    assert notice.path(NOTICE_MONTH).exists()


def test_every_row_equals_the_store(notice: Notice) -> None:
    """Each 告知承诺 case of October once, field for field as the store holds it, masked."""
    detail = sheets(notice.path(NOTICE_MONTH))["办件明细"]
    header, rows = detail[0], detail[1:]
    shown = [dict(zip(header, row, strict=True)) for row in rows]
    numbers = [row["办件编号"] for row in shown]
    assert len(numbers) == len(set(numbers))
    expected = expected_rows(notice.env, date(2022, 10, 1))
    assert {row["办件编号"]: row for row in shown} == expected
    assert numbers == sorted(numbers)
    # Both commitments and both decisions occur, so the comparison covers them.
    assert {row["承诺事项"] for row in shown} >= {"场所使用权证明、专职工作人员证明"}
    assert all(row["事项编码"] == "XK00002000" for row in shown)


def test_no_personal_data_in_clear(notice: Notice) -> None:
    """No contact name, ID number or phone of any case appears whole anywhere in the file."""
    cells = {
        str(cell)
        for sheet in sheets(notice.path(NOTICE_MONTH)).values()
        for row in sheet
        for cell in row
        if cell is not None
    }
    text = "\n".join(cells)
    for case in payloads(notice.env, "service_case"):
        if not case.get("notify_commit"):
            continue
        assert case["contact_id_number"] not in text
        assert case["contact_phone"] not in text
        assert len(case["contact_name"]) < 2 or case["contact_name"] not in cells


def test_cover_totals_equal_counts_over_the_rows(notice: Notice) -> None:
    """Cases, by item, by decision and by commitment: each total counted again from the rows."""
    book = sheets(notice.path(NOTICE_MONTH))
    detail = book["办件明细"]
    rows = [dict(zip(detail[0], row, strict=True)) for row in detail[1:]]
    cover = book["汇总"]
    assert cover[0][0] == "证明事项告知承诺制办件情况通报（2022年10月）"
    totals = {(row[0], row[1]): row[2] for row in cover if isinstance(row[2], int)}
    assert totals[("办件总数", "合计")] == len(rows)
    items = Counter(f"{r['事项编码']} {r['事项名称']}" for r in rows)
    assert {k[1]: v for k, v in totals.items() if k[0] == "按事项"} == items
    decisions = Counter(r["办理结果"] for r in rows)
    assert {k[1]: v for k, v in totals.items() if k[0] == "按办理结果"} == {
        label: decisions[label] for label in ("准予", "不予", "办理中")
    }
    commitments = Counter(c for r in rows for c in r["承诺事项"].split("、"))
    assert {k[1]: v for k, v in totals.items() if k[0] == "按承诺事项"} == {
        label: commitments[label] for label in COMMITMENTS.values()
    }


def test_the_file_is_audited_with_its_digest_count_and_keys(notice: Notice) -> None:
    """One exchange entry: the file's name, its SHA-256, the row count and the case numbers."""
    path = notice.path(NOTICE_MONTH)
    log = schema.audit_log
    with notice.env.store.connect() as conn:
        entries = conn.execute(
            select(log).where(log.c.run_id == notice.runs[JOB].run_id, log.c.kind == "exchange")
        ).all()
    assert len(entries) == 1
    entry = entries[0]._mapping
    detail = sheets(path)["办件明细"]
    assert entry["endpoint"] == f"file:{path.name}"
    assert entry["request_digest"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["record_count"] == len(detail) - 1
    assert orjson.loads(entry["record_keys"]) == [row[0] for row in detail[1:]]
    assert entry["detail"] == f"month {NOTICE_MONTH}"


def run_gateway(args: list[str]) -> Result:
    from gateway.cli.root import app

    try:
        return CliRunner().invoke(app, args)
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        structlog.reset_defaults()


def test_sync_names_the_month_and_audit_verifies(notice: Notice) -> None:
    """``gateway sync JOB --month 2022-11`` writes November's notice; the chain verifies."""
    config = str(notice.env.directory / "gateway.yaml")
    result = run_gateway(["sync", JOB, "--month", "2022-11", "--config", config, "--json"])
    assert result.exit_code == 0, result.output
    november = expected_rows(notice.env, date(2022, 11, 1))
    assert orjson.loads(result.output)["read"] == len(november)
    detail = sheets(notice.path("2022-11"))["办件明细"]
    assert {row[0] for row in detail[1:]} == set(november)
    verified = run_gateway(["audit", "verify", "--config", config])
    assert verified.exit_code == 0, verified.output
    # In process, the error reaches the caller; ``gateway`` prints it in one line, exit 2.
    bad = run_gateway(["sync", JOB, "--month", "2022-13", "--config", config])
    assert isinstance(bad.exception, ConfigError)
    assert (bad.exception.exit_code, "YYYY-MM" in str(bad.exception)) == (2, True)
    other = run_gateway(["sync", "sn-cases", "--month", "2022-11", "--config", config])
    assert isinstance(other.exception, ConfigError)
    assert "monthly file job" in str(other.exception)


def test_a_second_run_rewrites_the_same_bytes_or_refuses(notice: Notice) -> None:
    """Same store: the same file again, byte for byte. A changed case: refused, file kept."""
    env, path = notice.env, notice.path(NOTICE_MONTH)
    before = path.read_bytes()
    again = env.run(JOB)
    assert (again.status, again.read, again.inserted, again.unchanged) == (
        "succeeded",
        notice.runs[JOB].read,
        0,
        notice.runs[JOB].read,
    )
    assert path.read_bytes() == before
    detail = sheets(path)["办件明细"]
    case_no = detail[1][0]
    case = next(c for c in payloads(env, "service_case") if c["case_no"] == case_no)
    store_case(env, {**case, "enterprise_name": case["enterprise_name"] + "（更名）"})
    try:
        refused = env.run(JOB)
    finally:
        store_case(env, case)
    assert refused.status == "failed"
    assert exit_code(refused.status, []) == 1
    assert refused.error is not None
    assert "issued with other content" in refused.error
    assert NOTICE_MONTH in refused.error
    assert path.read_bytes() == before
    assert env.run(JOB).status == "succeeded"


def store_case(env: ServiceNetworkEnv, case: dict[str, Any]) -> None:
    body = orjson.dumps(case, option=orjson.OPT_SORT_KEYS)
    row = RecordRow(case["case_no"], body.decode(), content_hash(body))
    with env.store.transaction() as conn:
        upsert_records(conn, "service_case", [row], "test")


def test_dry_run_and_reconcile_refuse_and_state_shows_the_issued_months(notice: Notice) -> None:
    """A monthly file job has no dry run and no reconciliation; its state lists each month
    issued with the file's name, row count and SHA-256."""
    config = str(notice.env.directory / "gateway.yaml")
    dry = run_gateway(["sync", JOB, "--dry-run", "--config", config])
    assert isinstance(dry.exception, ConfigError)
    assert "no dry run" in str(dry.exception)
    reconciled = run_gateway(["reconcile", JOB, "--config", config])
    assert isinstance(reconciled.exception, ConfigError)
    assert "not reconciled" in str(reconciled.exception)
    shown = run_gateway(["state", "show", JOB, "--config", config, "--json"])
    assert shown.exit_code == 0, shown.output
    issued = orjson.loads(shown.output)["cursor"]["issued"][NOTICE_MONTH]
    path = notice.path(NOTICE_MONTH)
    assert issued == {
        "file": path.name,
        "rows": notice.runs[JOB].read,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }
