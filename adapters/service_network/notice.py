"""The monthly notice to the prefecture's justice bureau: 告知承诺制 办件情况通报.

The bureau handles the human-resources-service licence under the notification-and-commitment
system: an applicant may replace two proofs by a signed commitment, and "办件情况每月向州司法局
进行通报". This stream builds one month's notice from the store alone: every case the ``cases``
pull stored with ``notify_commit`` set and received in that month (Asia/Shanghai), with the
decision and its dates from the events the ``case_events`` push reads (the desks' handling),
ordered by case number. A case not yet decided shows 办理中.

The cover sheet counts the same rows: cases, by item, by decision and by commitment (a case
with both commitments counts once under each). The job's push mapping
(``service_network/justice_notice.push.yaml``) names the columns and masks the contact person;
:mod:`gateway.pipeline.export` writes, audits and guards the file.
"""

from __future__ import annotations

from calendar import monthrange
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from adapters.service_network.model import COMMITMENTS
from gateway.adapter import ExportDocument, ExportStream, StreamContext, StreamOptions
from gateway.clock import SHANGHAI
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.reporting import stream_jobs
from gateway.store import Store
from gateway.store.records import iter_payloads

DECISIONS = {"approved": "准予", "rejected": "不予"}
UNDECIDED = "办理中"
SHEET = "办件明细"
COVER_SHEET = "汇总"


class NoticeOptions(StreamOptions):
    """Job options of a ``justice_notice`` job (``outbox`` and ``month``: docs/operations.md)."""

    outbox: str
    month: str | None = None
    recipient: str = "黔东南州司法局"
    sender: str = "黔东南州人力资源和社会保障局"


def _entity(config: GatewayConfig, platform: str, stream: str, *, pull: bool) -> str:
    jobs, entity = stream_jobs(config, platform, stream, pull=pull)
    if not jobs:
        raise ConfigError("the notice needs a job that moves this stream", stream=stream)
    return entity


def _local(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(SHANGHAI) if value else None


def _events(payloads: Iterable[dict[str, Any]], wanted: set[str]) -> dict[str, dict[str, Any]]:
    """Per case number: its decision, when it was decided and when it was completed."""
    found: dict[str, dict[str, Any]] = {}
    for event in payloads:
        case_no = str(event.get("case_no"))
        if case_no not in wanted:
            continue
        entry = found.setdefault(case_no, {})
        if event.get("event") in DECISIONS:
            entry["decision"] = DECISIONS[str(event["event"])]
            entry["decided_at"] = event.get("occurred_at")
        elif event.get("event") == "completed":
            entry["completed_at"] = event.get("occurred_at")
    return found


def notice_rows(
    cases: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]], month: date
) -> list[dict[str, Any]]:
    """The month's 告知承诺 cases in canonical fields, by case number."""
    last = month.replace(day=monthrange(month.year, month.month)[1])
    chosen = {}
    for case in cases:
        received = _local(case.get("received_at"))
        if case.get("notify_commit") is True and received and month <= received.date() <= last:
            chosen[str(case["case_no"])] = case
    handled = _events(events, set(chosen))
    rows = []
    for case_no in sorted(chosen):
        case, done = chosen[case_no], handled.get(case_no, {})
        codes = case.get("commitments") or []
        rows.append(
            {
                "case_no": case_no,
                "item_code": case.get("item_code"),
                "item_name": case.get("item_name"),
                "applicant": case.get("enterprise_name"),
                "applicant_uscc": case.get("enterprise_uscc"),
                "contact_name": case.get("contact_name"),
                "commitments": "、".join(COMMITMENTS.get(c, c) for c in codes),
                "received_at": case.get("received_at"),
                "decision": done.get("decision", UNDECIDED),
                "decided_at": done.get("decided_at"),
                "completed_at": done.get("completed_at"),
            }
        )
    return rows


def cover(rows: list[dict[str, Any]], month: date, options: NoticeOptions) -> list[list[Any]]:
    """The cover sheet: who tells whom about which month, and the totals over ``rows``."""
    last = month.replace(day=monthrange(month.year, month.month)[1])
    items = Counter(f"{r['item_code']} {r['item_name']}" for r in rows)
    decisions = Counter(str(r["decision"]) for r in rows)
    commitments = Counter(c for r in rows for c in str(r["commitments"]).split("、") if c)
    table: list[list[Any]] = [
        [f"证明事项告知承诺制办件情况通报（{month.year}年{month.month}月）", "", ""],
        ["报送单位", options.sender, ""],
        ["通报对象", options.recipient, ""],
        ["统计期间", f"{month.isoformat()} 至 {last.isoformat()}", ""],
        ["类别", "项目", "件数"],
        ["办件总数", "合计", len(rows)],
    ]
    table += [["按事项", name, n] for name, n in sorted(items.items())]
    table += [["按办理结果", label, decisions[label]] for label in (*DECISIONS.values(), UNDECIDED)]
    table += [["按承诺事项", label, commitments[label]] for label in COMMITMENTS.values()]
    return table


class JusticeNoticeStream(ExportStream):
    """The month's 告知承诺 licence cases, as an XLSX for the justice bureau."""

    name = "justice_notice"
    options_model = NoticeOptions

    def build(
        self, ctx: StreamContext, config: GatewayConfig, store: Store, month: date
    ) -> ExportDocument:
        options = ctx.options_as(NoticeOptions)
        cases_entity = _entity(config, ctx.platform_name, "cases", pull=True)
        events_entity = _entity(config, ctx.platform_name, "case_events", pull=False)
        with store.connect() as conn:
            cases = [payload for _key, payload in iter_payloads(conn, cases_entity)]
            events = [payload for _key, payload in iter_payloads(conn, events_entity)]
        rows = notice_rows(cases, events, month)
        return ExportDocument(
            file_name=f"告知承诺制办件情况通报-{month:%Y-%m}.xlsx",
            sheet=SHEET,
            rows=rows,
            cover_sheet=COVER_SHEET,
            cover=cover(rows, month, options),
        )
