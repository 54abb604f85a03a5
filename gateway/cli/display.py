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


def _longest_word(values: Sequence[str], cap: int = 16) -> int:
    return min(cap, max((len(word) for value in values for word in value.split()), default=1))


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = "text"


def _widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Column widths that fit ``width``: key and number columns as wide as their widest value,
    text columns from their longest word up, the room left shared by what each could use."""
    gaps = 2 * (len(columns) - 1)
    lows: list[int] = []
    highs: list[int] = []
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        widest = max([*(len(v) for v in values), *(len(w) for w in column.name.split())], default=1)
        if column.kind == "key":
            widest = max(widest, len(column.name))
        lows.append(widest if column.kind != "text" else _longest_word([*values, column.name]))
        highs.append(widest)
    room = width - gaps - sum(lows)
    found = list(lows)
    # First let each text column hold its longest word (a stream, a code table name) whole,
    # then share what is left.
    for i, column in enumerate(columns):
        if column.kind == "text" and room > 0:
            values = [row[i] for row in rows]
            word = min(highs[i], _longest_word(values, cap=40))
            extra = min(max(0, word - found[i]), room)
            found[i] += extra
            room -= extra
    wanting = [i for i, c in enumerate(columns) if c.kind == "text" and highs[i] > found[i]]
    while room > 0 and wanting:
        share = max(1, room // len(wanting))
        for i in list(wanting):
            extra = min(share, highs[i] - found[i], room)
            found[i] += extra
            room -= extra
            if found[i] >= highs[i]:
                wanting.remove(i)
            if room <= 0:
                break
    return found


def table(
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    width: int | None = None,
) -> Table:
    """A table whose key columns keep their whole width and whose text columns wrap; with
    ``width`` (the console's), column widths are chosen so the table fits it."""
    out = Table(title=title, box=None, pad_edge=False, header_style="bold underline")
    sized = _widths(columns, rows, width) if width else None
    for index, column in enumerate(columns):
        values = [row[index] for row in rows]
        fixed = sized[index] if sized else None
        if column.kind == "key":
            widest = max([len(column.name), *map(len, values)])
            out.add_column(column.name, no_wrap=True, min_width=widest)
        elif column.kind == "number":
            narrowest = _longest_word([*values, column.name])
            out.add_column(column.name, justify="right", min_width=narrowest, max_width=narrowest)
        else:
            # Wrapped at spaces, never narrower than its longest word (a date, a stream).
            out.add_column(
                column.name, overflow="fold", min_width=_longest_word(values), width=fixed
            )
    for row in rows:
        out.add_row(*row)
    return out
