"""How commands show times and tables to people.

Human-facing times are in one zone, the configured ``display.timezone``, and the table says
which (with its UTC offset); JSON carries UTC ISO strings. Tables fit 80 columns by wrapping
the free-text columns, while names and outcomes (``key`` columns) are never cut or folded:
``inspection-inspectors-load`` and ``-push`` must stay tellable apart in a piped log.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from rich.table import Table

from gateway.clock import parse_iso, to_iso
from gateway.config import GatewayConfig

Kind = Literal["key", "number", "text"]


def zone(config: GatewayConfig) -> ZoneInfo:
    return ZoneInfo(config.display.timezone)


def zone_note(config: GatewayConfig, now: datetime | None = None) -> str:
    """``times in Asia/Shanghai (UTC+08:00)``: printed once under a table of times."""
    moment = (now or datetime.now(UTC)).astimezone(zone(config))
    offset = moment.strftime("%z")
    return f"times in {config.display.timezone} (UTC{offset[:3]}:{offset[3:]})"


def local(value: str | datetime | None, tz: ZoneInfo) -> str:
    """A stored UTC time as people read it: ``2026-12-03 22:25`` in ``tz``; empty when none."""
    if value is None or value == "":
        return ""
    moment = parse_iso(value) if isinstance(value, str) else value
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def utc(value: str | datetime | None) -> str | None:
    """A time as JSON carries it: ISO 8601 UTC with ``Z``."""
    if value is None or value == "":
        return None
    moment = parse_iso(value) if isinstance(value, str) else value
    return to_iso(moment)


def seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((parse_iso(end) - parse_iso(start)).total_seconds(), 3)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def _longest_word(values: Sequence[str], cap: int = 30) -> int:
    return min(cap, max((len(word) for value in values for word in value.split()), default=1))


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "text"


def table(title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> Table:
    """A table whose key columns keep their whole width and whose text columns wrap."""
    out = Table(title=title, box=None, pad_edge=False, header_style="bold underline")
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        if column.kind == "key":
            widest = max([len(column.name), *map(len, values)])
            out.add_column(column.name, no_wrap=True, min_width=widest)
        elif column.kind == "number":
            narrowest = _longest_word([*values, column.name])
            out.add_column(column.name, justify="right", min_width=narrowest, max_width=narrowest)
        else:
            # Wrapped at spaces, never narrower than its longest word (a date, a stream).
            out.add_column(column.name, overflow="fold", min_width=_longest_word(values))
    for row in rows:
        out.add_row(*row)
    return out
