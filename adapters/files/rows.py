"""What every tabular reader shares: the row it yields, the header rules, record shaping."""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any, NamedTuple, TypeAlias

from adapters.files.errors import FileReadError

ERROR_FIELD = "__error__"
# A malformed row keeps every cell: those under a column name by that name (so they are masked
# by the mapping's PII classes wherever shown), the cells past the header in this list.
CELLS_FIELD = "__cells__"


class Row(NamedTuple):
    """One record with where it came from.

    ``number`` is the row as a person counts it (CSV/XLSX header is row 1, JSONL lines count
    from 1); ``position`` is how many data rows, blank ones included, are consumed with it —
    what the cursor saves so that resuming skips by position.
    """

    number: int
    position: int
    record: dict[str, Any]


Rows: TypeAlias = Generator[Row, None, None]


def header_names(cells: Sequence[str] | None) -> list[str]:
    """Column names from the first row; trailing empty cells are a spreadsheet artefact."""
    names = [cell.strip() for cell in cells or ()]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise FileReadError("missing header", row=1)
    seen: set[str] = set()
    for column, name in enumerate(names, start=1):
        if not name:
            raise FileReadError("empty column name in the header", row=1, column=column)
        if name in seen:
            raise FileReadError("duplicate column name in the header", row=1, column=column)
        seen.add(name)
    return names


def shape(header: list[str], cells: Sequence[str], *, pad_short: bool) -> dict[str, Any]:
    """Pair cells with column names, or an error record saying why they do not fit.

    Extra cells that are empty are tolerated (a trailing delimiter); a short row is padded only
    where the format drops trailing empty cells (XLSX), and is malformed otherwise (CSV).
    """
    width = len(header)
    if len(cells) == width:
        return dict(zip(header, cells, strict=True))
    extra = any(cells[width:])
    if extra or (len(cells) < width and not pad_short):
        return malformed(header, cells, f"expected {width} columns, found {len(cells)}")
    record = dict(zip(header, cells, strict=False))
    for name in header[len(cells) :]:
        record[name] = ""
    return record


def malformed(header: Sequence[str], cells: Sequence[str], reason: str) -> dict[str, Any]:
    """The error record of a row: its reason, and every cell it had."""
    record: dict[str, Any] = dict(zip(header, cells, strict=False))
    record[ERROR_FIELD] = reason
    if len(cells) > len(header):
        record[CELLS_FIELD] = list(cells[len(header) :])
    return record
