"""How entries and reports look on a terminal (Rich) and to a script (JSON-ready dicts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from rich.table import Table

from gateway.audit.hashing import ALL_COLUMNS
from gateway.audit.verify import VerifyReport

_OUTCOME_STYLE = {"ok": "green", "succeeded": "green", "started": "cyan", "failed": "red"}


def entry_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """An entry for JSON output: masked keys and digests as lists, not JSON strings."""
    out = {name: row.get(name) for name in ALL_COLUMNS}
    out["record_keys"] = orjson.loads(row.get("record_keys") or "[]")
    out["key_digests"] = orjson.loads(row.get("key_digests") or "[]")
    return out


def _status(row: Mapping[str, Any]) -> str:
    """HTTP status, business code and attempt in one short cell: ``200 0``, ``503 try 3``."""
    parts = [
        "" if row.get("http_status") is None else str(row["http_status"]),
        row.get("business_code") or "",
        f"try {row['attempt']}" if (row.get("attempt") or 1) > 1 else "",
    ]
    return " ".join(part for part in parts if part)


def entries_table(rows: Iterable[Mapping[str, Any]], title: str) -> Table:
    table = Table(title=title)
    table.add_column("seq", justify="right", no_wrap=True)
    table.add_column("time (UTC)", no_wrap=True)
    for name in ("kind", "job", "platform", "dir", "operation", "status"):
        table.add_column(name)
    table.add_column("records", justify="right")
    table.add_column("ms", justify="right")
    table.add_column("outcome")
    for row in rows:
        outcome = str(row["outcome"])
        style = _OUTCOME_STYLE.get(outcome, "yellow")
        duration = row.get("duration_ms")
        table.add_row(
            str(row["seq"]),
            str(row["ts"])[:19].replace("T", " "),
            str(row["kind"]),
            row.get("job") or "",
            row.get("platform") or "",
            row.get("direction") or "",
            row.get("operation") or "",
            _status(row),
            f"{row['record_count']:,}",
            "" if duration is None else f"{duration:,.1f}",
            f"[{style}]{outcome}[/]",
        )
    return table


def entry_table(row: Mapping[str, Any]) -> Table:
    """One entry, every column, keys masked as stored."""
    table = Table(title=f"Audit entry {row['seq']}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    data = entry_dict(row)
    for name in ALL_COLUMNS:
        value = data[name]
        if name in ("record_keys", "key_digests"):
            shown = ", ".join(value[:20]) + (f" … ({len(value)} in all)" if len(value) > 20 else "")
        else:
            shown = "" if value is None else str(value)
        table.add_row(name, shown)
    return table


def report_table(report: VerifyReport, title: str) -> Table:
    table = Table(title=title, show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    status = "[green]intact[/]" if report.ok else "[red]BROKEN[/]"
    table.add_row("chain", status)
    table.add_row("entries", f"{report.count:,}")
    if report.first_seq is not None:
        table.add_row("seq range", f"{report.first_seq} .. {report.last_seq}")
    table.add_row("head hash", report.head_hash or "(empty log)")
    table.add_row("seals", "checked" if report.seals_checked else "not checked (no audit.key)")
    if report.starts_from is not None:
        table.add_row("chains from", report.starts_from)
    for seen in report.witnessed:
        table.add_row("witness", f"{seen['witness']}: seq {seen['seq']}, head {seen['head_hash']}")
    first = report.first_problem
    if first is not None:
        table.add_row("first bad seq", "" if first.seq is None else str(first.seq))
    for problem in report.problems:
        table.add_row(f"[red]{problem.what.value}[/]", problem.message)
    for warning in report.warnings:
        table.add_row("[yellow]warning[/]", warning)
    return table
