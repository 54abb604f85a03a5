"""``gateway report cases``: registrations received, handled, on time and overdue, per item.

Everything is computed from the store: the cases the ``cases`` pull stored, the events the
``case_events`` push reads (the desks' handling), and the catalogue the ``items`` push reads
(each item's time limit). The jobs are found in the configuration, so renamed entities in the
mapping files are followed. A case counts as *reported* once the platform accepted its 办结.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.service_network.casestats import CaseOutcome, ItemFigures, case_outcomes, summarize
from adapters.service_network.settings import calendar_for
from gateway.calendar_years import holiday_book
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.mapping import load_mapping
from gateway.reporting import ReportView, Text, ViewBars, ViewTable
from gateway.store import Store, outbox
from gateway.store.records import iter_payloads
from mappings import resolve_mapping

ADAPTER = "service_network"
STREAMS = {"cases": True, "case_events": False, "items": False}  # stream → is a pull
CSV_COLUMNS = (
    "case_no", "item_code", "received_at", "due_at", "completed_at", "decision", "state",
    "late_working_minutes", "reported", "due_provisional",
)  # fmt: skip
OVERDUE = ("late", "open_overdue")


@dataclass(frozen=True)
class CasesReport:
    platform: str
    since: date | None
    until: date | None
    as_of: datetime
    totals: ItemFigures
    items: list[ItemFigures]
    outcomes: list[CaseOutcome]

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "as_of": self.as_of.isoformat(),
            "totals": self.totals.as_dict(),
            "items": [row.as_dict() for row in self.items],
            "overdue_cases": [_case_row(o) for o in self.outcomes if o.state in OVERDUE],
        }


def _case_row(outcome: CaseOutcome) -> dict[str, Any]:
    return {
        "case_no": outcome.case_no,
        "item_code": outcome.item_code,
        "received_at": outcome.received_at.isoformat(),
        "due_at": outcome.due_at.isoformat() if outcome.due_at else None,
        "completed_at": outcome.completed_at.isoformat() if outcome.completed_at else None,
        "decision": outcome.decision,
        "state": outcome.state,
        "late_working_minutes": outcome.late_working_seconds // 60,
        "reported": outcome.reported,
        "due_provisional": outcome.due_provisional,
    }


def _platform(config: GatewayConfig, name: str | None) -> str:
    found = [n for n, p in config.platforms.items() if p.adapter == ADAPTER]
    if name is not None:
        if name not in found:
            raise ConfigError("not a service network platform", platform=name)
        return name
    if len(found) != 1:
        raise ConfigError(
            "name the service network platform with --platform", found=", ".join(found) or "none"
        )
    return found[0]


def _jobs(config: GatewayConfig, platform: str) -> dict[str, tuple[list[str], str]]:
    """Per stream: the jobs that move it and the entity their mapping stores it as."""
    found: dict[str, tuple[list[str], str]] = {}
    for name, job in config.jobs.items():
        if job.platform != platform or STREAMS.get(job.stream) is not job.is_pull:
            continue
        entity = load_mapping(resolve_mapping(job.mapping, config.base_dir)).entity
        jobs, _ = found.get(job.stream, ([], entity))
        found[job.stream] = ([*jobs, name], entity)
    missing = [s for s in STREAMS if s not in found]
    if missing:
        raise ConfigError(
            "no job moves these streams", platform=platform, streams=", ".join(missing)
        )
    return found


def _payloads(store: Store, entity: str) -> list[dict[str, Any]]:
    with store.connect() as conn:
        return [payload for _key, payload in iter_payloads(conn, entity)]


def _reported(store: Store, jobs: list[str]) -> frozenset[str]:
    """Case numbers whose completion (``case_no|completed``) the platform accepted."""
    with store.connect() as conn:
        keys = outbox.accepted_keys(conn, jobs)
    return frozenset(k.rsplit("|", 1)[0] for k in keys if k.endswith("|completed"))


def build_report(
    config: GatewayConfig,
    store: Store,
    *,
    platform: str | None = None,
    since: date | None = None,
    until: date | None = None,
    as_of: datetime | None = None,
) -> CasesReport:
    name = _platform(config, platform)
    calendar = calendar_for(config.platforms[name], holiday_book(config))
    jobs = _jobs(config, name)
    items = {str(i["item_code"]): i for i in _payloads(store, jobs["items"][1])}

    def in_range(case: dict[str, Any]) -> bool:
        received = datetime.fromisoformat(case["received_at"]).astimezone(calendar.zone).date()
        return (since is None or received >= since) and (until is None or received <= until)

    cases = [c for c in _payloads(store, jobs["cases"][1]) if c.get("received_at") and in_range(c)]
    moment = as_of or datetime.now(calendar.zone)
    outcomes = case_outcomes(
        cases,
        _payloads(store, jobs["case_events"][1]),
        items,
        calendar,
        moment,
        _reported(store, jobs["case_events"][0]),
    )
    totals, rows = summarize(outcomes, items)
    return CasesReport(name, since, until, moment, totals, rows, outcomes)


def report_table(report: CasesReport) -> Table:
    table = Table(title=f"Cases on {report.platform}, received {report.since or '…'} – "
                  f"{report.until or '…'} (as of {report.as_of:%Y-%m-%d %H:%M})")  # fmt: skip
    columns = ("received", "handled", "on_time", "late", "open", "open_overdue", "reported")
    table.add_column("item")
    table.add_column("limit (working days)", justify="right")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    table.add_column("late by (working h, mean / max)", justify="right")
    for row in [*report.items, report.totals]:
        figures = row.as_dict()
        late = (
            f"{figures['late_working_hours_mean']} / {figures['late_working_hours_max']}"
            if row.late_hours
            else "–"
        )
        table.add_row(
            f"{row.item_code} {row.item_name}",
            row.limit_days or "",
            *(f"{figures[c]:,}" for c in columns),
            late,
        )
    return table


def write_csv(path: Path, outcomes: list[CaseOutcome]) -> None:
    """One row per case; UTF-8 with BOM, so office software shows the Chinese text."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(_case_row(o) for o in outcomes)


def cases(
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First day of receipt.")
    ] = None,
    until: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last day of receipt.")
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="The service network platform (if more than one).")
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write one row per case to this file.")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Cases received, handled, on time and overdue against each item's working-day limit."""
    cfg = setup(config)
    store = open_store(cfg)
    try:
        report = build_report(
            cfg,
            store,
            platform=platform,
            since=since.date() if since else None,
            until=until.date() if until else None,
        )
    finally:
        store.close()
    if csv_path is not None:
        write_csv(csv_path, report.outcomes)
    if json:
        print_json(report.as_dict())
    else:
        console.print(report_table(report))
        if report.totals.provisional:
            console.print(
                f"[yellow]![/yellow] {report.totals.provisional:,} due time(s) provisional: "
                "counted through a year without a holiday notice (gateway calendar show YEAR)",
                highlight=False,
            )


def headline(config: GatewayConfig, store: Store, on: date) -> str:
    report = build_report(config, store, until=on)
    totals = report.totals
    # Each item's own count: the bureau's report names the registrations' alone (2,551).
    items = ", ".join(f"{r.received:,} {r.item_name}" for r in report.items)
    return (
        f"{totals.received:,} cases received to {on} ({items}), {totals.handled:,} handled "
        f"({totals.on_time:,} on time, {totals.late:,} late), {totals.open:,} open "
        f"({totals.open_overdue:,} overdue), {totals.reported:,} reported to the platform"
    )


_STATES = ("on_time", "late", "open")


def view(config: GatewayConfig, store: Store) -> ReportView:
    """What the web console shows: the totals, each item, and cases by month and outcome."""
    report = build_report(config, store)
    totals = report.totals.as_dict()
    months: dict[str, list[int]] = {}
    for outcome in report.outcomes:
        counts = months.setdefault(outcome.received_at.strftime("%Y-%m"), [0, 0, 0])
        state = outcome.state
        counts[_STATES.index(state if state in _STATES else "open")] += 1
    rate = totals["on_time_rate"]
    return ReportView(
        title=Text("政务服务办件", "Service cases"),
        figures=[
            (Text("收件数", "cases received"), totals["received"]),
            (Text("办结数", "cases handled"), totals["handled"]),
            (Text("按时办结", "on time"), totals["on_time"]),
            (Text("超期办结", "late"), totals["late"]),
            (Text("未办结", "open"), totals["open"]),
            (Text("按时办结率", "on-time rate"), "–" if rate is None else f"{rate:.2%}"),
            (Text("已报送平台", "reported to the platform"), totals["reported"]),
        ],
        tables=[
            ViewTable(
                Text("按事项", "By item"),
                [
                    Text("事项", "item"),
                    Text("收件", "received"),
                    Text("办结", "handled"),
                    Text("按时", "on time"),
                    Text("超期", "late"),
                    Text("未办结", "open"),
                ],
                [
                    [
                        f"{r.item_code} {r.item_name}",
                        r.received,
                        r.handled,
                        r.on_time,
                        r.late,
                        r.open,
                    ]
                    for r in report.items
                ],
            )
        ],
        charts=[
            ViewBars(
                Text("按月收件与办结情况", "Cases by month and outcome"),
                [Text("按时办结", "on time"), Text("超期办结", "late"), Text("未办结", "open")],
                sorted(months.items()),
            )
        ],
    )
