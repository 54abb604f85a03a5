"""``gateway report catalogue``: the bureau's items by kind, online depth and reach, from the store.

Two columns for every figure: the items the store **holds** (loaded from the item-management
system's export) and those the service network **accepted** (its receipt for the items push).
A difference between them is the work still to do, not a rounding.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from adapters.service_network.model import ITEM_TYPES, ONLINE_DEPTHS
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.reporting import (
    ReportView,
    Text,
    ViewBars,
    ViewTable,
    accepted_keys,
    report_platform,
    stream_jobs,
)
from gateway.store import Store
from gateway.store.records import iter_payloads

ADAPTER = "service_network"
STREAM = "items"
PUBLIC_SERVICE = "GG"
FULLY_ONLINE = "4"


@dataclass
class Count:
    held: int = 0
    accepted: int = 0

    def add(self, accepted: bool) -> None:
        self.held += 1
        self.accepted += accepted

    def as_dict(self) -> dict[str, int]:
        return {"held": self.held, "accepted": self.accepted}


@dataclass
class CatalogueReport:
    platform: str
    items: Count = field(default_factory=Count)
    power_items: Count = field(default_factory=Count)
    by_type: dict[str, Count] = field(default_factory=dict)
    fully_online: Count = field(default_factory=Count)
    cross_province: Count = field(default_factory=Count)
    high_frequency: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "items": self.items.as_dict(),
            "power_items": self.power_items.as_dict(),
            "by_type": {
                code: {"label": ITEM_TYPES.get(code, code), **count.as_dict()}
                for code, count in self.by_type.items()
            },
            "fully_online": self.fully_online.as_dict(),
            "cross_province": self.cross_province.as_dict(),
            "high_frequency": self.high_frequency,
        }


def build_report(
    config: GatewayConfig, store: Store, *, platform: str | None = None
) -> CatalogueReport:
    name = report_platform(config, ADAPTER, platform)
    jobs, entity = stream_jobs(config, name, STREAM, pull=False)
    if not jobs:
        raise ConfigError("no job pushes the items", platform=name)
    accepted = accepted_keys(store, jobs)
    report = CatalogueReport(name)
    with store.connect() as conn:
        items = sorted(iter_payloads(conn, entity), key=lambda pair: pair[0])
    for key, item in items:
        took = key in accepted
        kind = str(item.get("item_type") or "")
        report.items.add(took)
        report.by_type.setdefault(kind, Count()).add(took)
        if kind != PUBLIC_SERVICE:
            report.power_items.add(took)
        if str(item.get("online_depth")) == FULLY_ONLINE:
            report.fully_online.add(took)
        if item.get("cross_province") is True:
            report.cross_province.add(took)
        if item.get("high_frequency") is True:
            report.high_frequency.append(
                {"item_code": key, "item_name": item.get("item_name"), "accepted": took}
            )
    return report


def report_table(report: CatalogueReport) -> Table:
    table = Table(title=f"Item catalogue on {report.platform} (事项目录)")
    table.add_column("figure")
    table.add_column("held", justify="right")
    table.add_column("accepted", justify="right")
    rows: list[tuple[str, Count]] = [("items (事项)", report.items)]
    rows.append(("power items (行政权力事项)", report.power_items))
    rows += [
        (f"  {ITEM_TYPES.get(code, code)} ({code})", count)
        for code, count in sorted(report.by_type.items())
        if code != PUBLIC_SERVICE
    ]
    if PUBLIC_SERVICE in report.by_type:
        label = f"public service ({ITEM_TYPES[PUBLIC_SERVICE]})"
        rows.append((label, report.by_type[PUBLIC_SERVICE]))
    rows.append((f"fully online ({ONLINE_DEPTHS[FULLY_ONLINE]})", report.fully_online))
    rows.append(("cross-province (跨省通办)", report.cross_province))
    frequent = Count(len(report.high_frequency), sum(i["accepted"] for i in report.high_frequency))
    rows.append(("high-frequency (高频事项)", frequent))
    for label, count in rows:
        table.add_row(label, f"{count.held:,}", f"{count.accepted:,}")
    return table


def write_csv(path: Path, report: CatalogueReport) -> None:
    """The high-frequency list; UTF-8 with BOM, so office software shows the Chinese text."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=("item_code", "item_name", "accepted"))
        writer.writeheader()
        writer.writerows(report.high_frequency)


def catalogue(
    platform: Annotated[
        str | None, typer.Option(help="The service network platform (if more than one).")
    ] = None,
    csv_path: Annotated[
        Path | None,
        typer.Option("--csv", help="Also write the high-frequency items to this CSV file."),
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Items by kind, fully online and cross-province, and the high-frequency list: held in the
    store and accepted by the service network."""
    cfg = setup(config)
    store = open_store(cfg)
    try:
        report = build_report(cfg, store, platform=platform)
    finally:
        store.close()
    if csv_path is not None:
        write_csv(csv_path, report)
    if json:
        print_json(report.as_dict())
        return
    console.print(report_table(report))
    names = ", ".join(str(i["item_name"]) for i in report.high_frequency)
    if names:
        console.print(f"high-frequency items: {names}", highlight=False)


def headline(config: GatewayConfig, store: Store, on: date) -> str:
    report = build_report(config, store)
    kinds = ", ".join(
        f"{ITEM_TYPES.get(code, code)} {count.held}"
        for code, count in sorted(report.by_type.items())
        if code != PUBLIC_SERVICE
    )
    return (
        f"{report.items.held:,} items, {report.power_items.held} power items ({kinds}), "
        f"{report.fully_online.held} fully online, {report.cross_province.held} cross-province, "
        f"{len(report.high_frequency)} high-frequency; {report.items.accepted:,} accepted"
    )


def view(config: GatewayConfig, store: Store) -> ReportView:
    """What the web console shows: the catalogue's counts, by item type."""
    report = build_report(config, store)
    types = sorted(report.by_type.items())
    return ReportView(
        title=Text("政务服务事项目录", "Service catalogue"),
        figures=[
            (Text("事项数", "items"), report.items.held),
            (Text("权力事项", "power items"), report.power_items.held),
            (Text("全程网办", "fully online"), report.fully_online.held),
            (Text("跨省通办", "cross-province"), report.cross_province.held),
            (Text("高频事项", "high-frequency"), len(report.high_frequency)),
            (Text("平台已接收", "accepted by the platform"), report.items.accepted),
        ],
        tables=[
            ViewTable(
                Text("按事项类型", "By item type"),
                [Text("类型", "type"), Text("事项数", "items"), Text("已接收", "accepted")],
                [[f"{code} {ITEM_TYPES.get(code, code)}", c.held, c.accepted] for code, c in types],
            )
        ],
        charts=[
            ViewBars(
                Text("按事项类型", "Items by type"),
                [Text("事项数", "items")],
                [(ITEM_TYPES.get(code, code), [c.held]) for code, c in types],
            )
        ],
    )
