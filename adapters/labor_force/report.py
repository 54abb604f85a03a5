"""``gateway report labor``: persons received, stored, rejected and verified, and the job
postings entered and valid, from the store.

The bureau's figure is the verification rate (核查更新率): persons whose record the platform
marks verified, over persons held. Two rates are shown, so that persons the gateway rejected
never silently drop out of the figure: over the persons **stored** (valid records), and over the
persons **received** (stored, plus those whose only version the dead-letter queue holds; their
status is read from the input the platform sent, as the job's mapping reads it) — the latter
is the platform's own figure.

Everything is read from the store in one pass over the persons' payloads, streamed, so memory
stays flat at millions of persons; the dead letters are counted by their keyed digest against
the stored keys, so a person with a stored record and a rejected newer version counts once.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal, cast

import typer
from rich.table import Table

from gateway.audit.settings import key_digester
from gateway.calendar_years import today
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.codes.regions import region_name
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.mapping import CompiledMapping, load_mapping
from gateway.mapping.steps import FieldReject
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
from gateway.store.dlq import OPEN, Letter, list_letters
from gateway.store.records import iter_payloads
from mappings import resolve_mapping

ADAPTER = "labor_force"
STREAM = "persons"
POSTINGS_STREAM = "jobs"
VERIFIED = "verified"
STATUS_FIELD = "verification_status"
TOP_REASONS = 5
Grouping = Literal["county", "status"]


@dataclass
class Figures:
    """One row of the report: the whole prefecture, a county or an employment status."""

    label: str
    stored: int = 0
    verified: int = 0
    rejected: int = 0
    rejected_verified: int = 0

    @property
    def received(self) -> int:
        return self.stored + self.rejected

    @property
    def verified_received(self) -> int:
        return self.verified + self.rejected_verified

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "received": self.received,
            "stored": self.stored,
            "rejected": self.rejected,
            "verified": self.verified,
            "verified_received": self.verified_received,
            "rate_of_stored": _rate(self.verified, self.stored),
            "rate_of_received": _rate(self.verified_received, self.received),
        }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 6) if whole else None


@dataclass
class Postings:
    """Job postings (岗位信息) held in the store and accepted by the platform, and those valid
    on the report's day (from its AAE030 to its AAE031, both included)."""

    on: date
    entered: int = 0
    entered_accepted: int = 0
    valid: int = 0
    valid_accepted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "on": self.on.isoformat(),
            "entered": {"held": self.entered, "accepted": self.entered_accepted},
            "valid": {"held": self.valid, "accepted": self.valid_accepted},
        }


@dataclass
class LaborReport:
    platform: str
    jobs: list[str]
    by: Grouping | None
    totals: Figures
    groups: list[Figures] = field(default_factory=list)
    reasons: list[tuple[str, int]] = field(default_factory=list)
    postings: Postings | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "jobs": self.jobs,
            "by": self.by,
            "totals": self.totals.as_dict(),
            "groups": [g.as_dict() for g in self.groups],
            "top_rejection_reasons": [{"rule": r, "persons": n} for r, n in self.reasons],
            "postings": self.postings.as_dict() if self.postings else None,
        }


def _postings(store: Store, jobs: list[str], entity: str, on: date) -> Postings:
    accepted = accepted_keys(store, jobs)
    figures = Postings(on)
    for key, posting in _payloads(store, entity):
        took = key in accepted
        figures.entered += 1
        figures.entered_accepted += took
        start, end = posting.get("valid_from"), posting.get("valid_until")
        if start and end and date.fromisoformat(start) <= on <= date.fromisoformat(end):
            figures.valid += 1
            figures.valid_accepted += took
    return figures


def _payloads(store: Store, entity: str) -> Iterator[tuple[str, dict[str, Any]]]:
    with store.connect() as conn:
        yield from iter_payloads(conn, entity)


def _open_letters(store: Store, jobs: list[str]) -> dict[str, Letter]:
    """Open letters of the persons jobs, by key digest (or letter id, for a keyless one)."""
    with store.connect() as conn:
        letters = [x for job in jobs for x in list_letters(conn, job=job, status=OPEN)]
    return {letter.key_digest or f"letter:{letter.id}": letter for letter in letters}


def _status_reader(mapping: CompiledMapping) -> Callable[[dict[str, Any]], str | None]:
    """The status field's value in a rejected person's input, as the mapping reads it."""
    plans = [fp for fp in mapping.plan.fields if fp.name == STATUS_FIELD and fp.spec.sources]
    if not plans or plans[0].code_map is None:
        return lambda _raw: None
    source, translate = plans[0].spec.sources[0], plans[0].code_map

    def read(raw: dict[str, Any]) -> str | None:
        value = raw.get(source)
        if not isinstance(value, str):
            return None
        try:
            return str(translate(value.strip()))
        except FieldReject:
            return None

    return read


def _group_label(by: Grouping | None, person: dict[str, Any]) -> str | None:
    if by == "county":
        code = str(person.get("household_region") or "")
        name = region_name(code) if code else None
        return f"{code} {name}" if name else code or "(none)"
    if by == "status":
        return str(person.get("employment_status") or "(none)")
    return None


def build_report(
    config: GatewayConfig,
    store: Store,
    *,
    by: Grouping | None = None,
    platform: str | None = None,
    on: date | None = None,
) -> LaborReport:
    name = report_platform(config, ADAPTER, platform)
    jobs, entity = stream_jobs(config, name, STREAM, pull=True)
    if not jobs:
        raise ConfigError("no job pulls the persons", platform=name)
    status_of = _status_reader(load_mapping(resolve_mapping(config.jobs[jobs[0]].mapping,
                                                            config.base_dir)))  # fmt: skip
    posting_jobs, posting_entity = stream_jobs(config, name, POSTINGS_STREAM, pull=False)
    letters = _open_letters(store, jobs)
    digest = key_digester(config).digest
    totals = Figures("total")
    groups: dict[str, Figures] = {}
    for key, person in _payloads(store, entity):
        # A person stored counts once, even when a newer version of it was rejected.
        letters.pop(digest(key), None)
        verified = person.get(STATUS_FIELD) == VERIFIED
        totals.stored += 1
        totals.verified += verified
        label = _group_label(by, person)
        if label is not None:
            row = groups.setdefault(label, Figures(label))
            row.stored += 1
            row.verified += verified
    totals.rejected = len(letters)
    totals.rejected_verified = sum(status_of(x.raw) == VERIFIED for x in letters.values())
    reasons = Counter(rule for letter in letters.values() for rule in letter.rules)
    return LaborReport(
        platform=name,
        jobs=jobs,
        by=by,
        totals=totals,
        groups=sorted(groups.values(), key=lambda g: g.label),
        reasons=reasons.most_common(TOP_REASONS),
        postings=_postings(store, posting_jobs, posting_entity, on or today())
        if posting_jobs
        else None,
    )


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.2%}"


def report_table(report: LaborReport) -> Table:
    table = Table(title=f"Labor force on {report.platform} (核查更新率)")
    table.add_column("persons" if report.by is None else report.by)
    columns = ("received", "stored", "rejected", "verified (stored)", "of stored",
               "verified (received)", "of received")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="right")
    for row in [*report.groups, report.totals]:
        figures = row.as_dict()
        table.add_row(
            row.label,
            f"{row.received:,}",
            f"{row.stored:,}",
            f"{row.rejected:,}" if row is report.totals else "",
            f"{row.verified:,}",
            _percent(figures["rate_of_stored"]),
            f"{row.verified_received:,}",
            _percent(figures["rate_of_received"]),
        )
    return table


def write_csv(path: Path, report: LaborReport) -> None:
    """One row per group and the total; UTF-8 with BOM, so office software shows the text."""
    columns = ("label", "received", "stored", "rejected", "verified", "verified_received",
               "rate_of_stored", "rate_of_received")  # fmt: skip
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(row.as_dict() for row in [*report.groups, report.totals])


def labor(
    by: Annotated[
        str | None, typer.Option("--by", help="Also per county or per employment status.")
    ] = None,
    platform: Annotated[
        str | None, typer.Option(help="The labor-force platform (if more than one).")
    ] = None,
    on: Annotated[
        datetime | None,
        typer.Option("--as-of", formats=["%Y-%m-%d"], help="The day postings are valid on."),
    ] = None,
    csv_path: Annotated[
        Path | None, typer.Option("--csv", help="Also write the rows to this CSV file.")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Persons received, stored, rejected and verified, the verification rate over the stored
    and over the received persons, and the job postings entered and valid on a day."""
    if by not in (None, "county", "status"):
        raise typer.BadParameter("must be county or status", param_hint="--by")
    cfg = setup(config)
    store = open_store(cfg)
    try:
        report = build_report(
            cfg,
            store,
            by=cast(Grouping | None, by),
            platform=platform,
            on=on.date() if on else None,
        )
    finally:
        store.close()
    if csv_path is not None:
        write_csv(csv_path, report)
    if json:
        print_json(report.as_dict())
        return
    console.print(report_table(report))
    if report.postings is not None:
        posted = report.postings
        console.print(
            f"job postings (岗位): {posted.entered:,} entered ({posted.entered_accepted:,} "
            f"accepted by the platform), {posted.valid:,} valid on {posted.on} "
            f"({posted.valid_accepted:,} accepted)",
            highlight=False,
        )
    if report.reasons:
        reasons = ", ".join(f"{rule} ({count:,})" for rule, count in report.reasons)
        console.print(f"persons rejected, by reason: {reasons}", highlight=False)


def headline(config: GatewayConfig, store: Store, on: date) -> str:
    report = build_report(config, store, on=on)
    totals = report.totals.as_dict()
    text = (
        f"{totals['received']:,} persons received, {totals['stored']:,} stored, "
        f"{totals['rejected']:,} rejected; verified {_percent(totals['rate_of_stored'])} of "
        f"stored, {_percent(totals['rate_of_received'])} of received"
    )
    if report.postings is not None:
        text += (
            f"; job postings {report.postings.entered:,} entered, "
            f"{report.postings.valid:,} valid on {on}"
        )
    return text


def view(config: GatewayConfig, store: Store) -> ReportView:
    """What the web console shows: the totals, the verification rate and why persons failed."""
    report = build_report(config, store)
    totals = report.totals.as_dict()
    reasons = [(rule, count) for rule, count in report.reasons]
    figures: list[tuple[Text, Any]] = [
        (Text("接收人数", "persons received"), totals["received"]),
        (Text("入库人数", "persons stored"), totals["stored"]),
        (Text("拒收人数", "persons rejected"), totals["rejected"]),
        (Text("已核查人数", "persons verified"), totals["verified"]),
        (Text("核查率（入库）", "verification rate (stored)"), _percent(totals["rate_of_stored"])),
        (Text("核查率（接收）", "verification rate (received)"),
         _percent(totals["rate_of_received"])),
    ]  # fmt: skip
    if report.postings is not None:
        figures.append((Text("岗位信息", "job postings entered"), report.postings.entered))
    return ReportView(
        title=Text("劳动力资源", "Labor force"),
        figures=figures,
        tables=[
            ViewTable(
                Text("拒收原因", "Persons rejected, by reason"),
                [Text("规则", "rule"), Text("人数", "persons")],
                [[rule, count] for rule, count in reasons],
            )
        ],
        charts=[
            ViewBars(
                Text("拒收原因", "Rejections by reason"),
                [Text("人数", "persons")],
                [(rule, [count]) for rule, count in reasons],
            )
        ],
    )
