"""``gateway report inspection``: the double-random figures of a period, from the synced data."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.inspection.figures import Period, compute
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.reporting import ReportView, Text, ViewBars, ViewTable
from gateway.store import Store

DAY = ["%Y-%m-%d"]


def _period(since: datetime | None, until: datetime | None) -> Period:
    start = since.date() if since else None
    end = until.date() if until else None
    if start and end and end < start:
        raise ConfigError("--until is before --since", since=start, until=end)
    return Period(start, end)


def _describe(period: dict[str, Any]) -> str:
    since, until = period["since"], period["until"]
    if since is None and until is None:
        return "all synced data"
    return f"{since or '…'} to {until or '…'}"


def render(figures: dict[str, Any]) -> None:
    summary = Table(title=f"Double-random inspection, {_describe(figures['period'])}")
    summary.add_column("figure")
    summary.add_column("count", justify="right")
    rows = (
        ("tasks drawn (抽查次数)", figures["tasks_drawn"]),
        ("subjects checked (抽查企业户数)", figures["subjects_checked"]),
        ("inspector assignments (抽取执法人员人次)", figures["inspector_assignments"]),
        ("results published (结果公开次数)", figures["results_published"]),
        (f"  published later than {figures['publish_rule_working_days']} working days after "
         "the check", figures["published_late"]),
        ("results loaded but not accepted by the platform", figures["results_not_accepted"]),
        ("subjects drawn without a published result", figures["awaiting_results"]),
        (f"  of which past due on {figures['as_of']}", figures["awaiting_past_due"]),
        ("due days provisional (a year without a holiday notice)",
         figures["provisional_deadlines"]),
    )  # fmt: skip
    for label, count in rows:
        summary.add_row(label, f"{count:,}")
    console.print(summary)
    categories = Table(title="Results published by category (检查结果)")
    categories.add_column("code")
    categories.add_column("category")
    categories.add_column("count", justify="right")
    for entry in figures["by_category"]:
        categories.add_row(entry["code"], entry["label"], f"{entry['count']:,}")
    console.print(categories)


def inspection(
    config: ConfigOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(formats=DAY, help="First day (YYYY-MM-DD).", show_default=False),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(formats=DAY, help="Last day (YYYY-MM-DD).", show_default=False),
    ] = None,
    json: JsonOption = False,
) -> None:
    """Tasks drawn, subjects checked, inspector assignments, results published by category and
    results overdue against the 20-working-day rule, for a period, from the synced data."""
    period = _period(since, until)
    cfg = setup(config)
    store = open_store(cfg)
    try:
        figures = compute(store, cfg, period).as_dict()
    finally:
        store.close()
    if json:
        print_json(figures)
    else:
        render(figures)


def headline(config: GatewayConfig, store: Store, on: date) -> str:
    figures = compute(store, config, Period(None, on), as_of=on)
    return (
        f"{figures.tasks_drawn:,} checks drawn, {figures.subjects_checked:,} subjects checked, "
        f"{figures.inspector_assignments:,} inspector assignments, "
        f"{figures.results_published:,} results published ({figures.published_late:,} late)"
    )


def view(config: GatewayConfig, store: Store) -> ReportView:
    """What the web console shows: the same figures, with the bureau's terms."""
    figures = compute(store, config, Period(None, None)).as_dict()
    categories = [(f"{e['code']} {e['label']}", int(e["count"])) for e in figures["by_category"]]
    return ReportView(
        title=Text("双随机抽查", "Double-random inspection"),
        figures=[
            (Text("抽查次数", "tasks drawn"), figures["tasks_drawn"]),
            (Text("抽查企业户数", "subjects checked"), figures["subjects_checked"]),
            (Text("抽取执法人员人次", "inspector assignments"), figures["inspector_assignments"]),
            (Text("结果公开次数", "results published"), figures["results_published"]),
            (Text("逾期公开", "published late"), figures["published_late"]),
            (Text("待公开结果", "awaiting results"), figures["awaiting_results"]),
        ],
        tables=[
            ViewTable(
                Text("检查结果分类", "Results published by category"),
                [Text("检查结果", "category"), Text("次数", "count")],
                [[label, count] for label, count in categories],
            )
        ],
        charts=[
            ViewBars(
                Text("检查结果分类", "Results by category"),
                [Text("次数", "count")],
                [(label, [count]) for label, count in categories],
            )
        ],
    )
