"""Reading XLSX workbooks row by row (python-calamine), cells turned into text.

Cells become the text a person sees in Excel, not Python's ``repr``: an ID number typed as a
number keeps every digit it was stored with (never ``5.20102e17``; Excel itself keeps only 15, so
the mapping's check-digit rule catches those), a date becomes ``YYYY-MM-DD`` and a date-time
``YYYY-MM-DD HH:MM:SS``. calamine reads a sheet some twenty times faster than openpyxl's
read-only mode (measured by ``make bench``); openpyxl stays for writing.

Which sheet: the job's ``sheet:``; else the only sheet; else the one sheet whose header has the
fields the mapping reads. A workbook where that is ambiguous is refused naming its sheets, and
so are merged cells (with their range), unless ``merged_cells: fill`` copies the merged value
into every cell of the range.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from python_calamine import CalamineError, CalamineSheet, CalamineWorkbook

from adapters.files.errors import FileReadError
from adapters.files.rows import Row, Rows, header_names, shape

_BROKEN_WORKBOOK = (CalamineError, ValueError, OSError)
MergedRange = tuple[tuple[int, int], tuple[int, int]]


def _number_text(value: float) -> str:
    # Decimal(repr(...)) keeps the shortest exact digits; "f" never switches to exponent form.
    exact = Decimal(repr(value))
    if value.is_integer():
        exact = exact.to_integral_value()
    return format(exact, "f")


def _round_to_second(moment: datetime) -> datetime:
    # Excel stores times as fractions of a day; 10:30:00 may come back as 10:29:59.999999.
    if moment.microsecond >= 500_000:
        moment += timedelta(seconds=1)
    return moment.replace(microsecond=0)


def cell_text(value: Any) -> str:
    """The text a person sees in the cell (empty cells are ``""``, as in CSV)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    if isinstance(value, datetime):
        moment = _round_to_second(value)
        if moment.time() == time(0):
            return moment.strftime("%Y-%m-%d")
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, time):
        return value.replace(microsecond=0).strftime("%H:%M:%S")
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def range_name(merged: MergedRange) -> str:
    (r0, c0), (r1, c1) = merged
    return f"{column_letters(c0)}{r0 + 1}:{column_letters(c1)}{r1 + 1}"


def choose_sheet(
    workbook: CalamineWorkbook, sheet: str | None, expected: frozenset[str]
) -> CalamineSheet:
    names: list[str] = list(workbook.sheet_names)
    if sheet is not None:
        if sheet not in names:
            raise FileReadError("the workbook has no worksheet of that name", sheet=sheet)
        return workbook.get_sheet_by_name(sheet)
    if len(names) == 1:
        return workbook.get_sheet_by_index(0)
    matching = [name for name in names if expected and expected <= _header(workbook, name)]
    if len(matching) == 1:
        return workbook.get_sheet_by_name(matching[0])
    raise FileReadError(
        "the workbook has several sheets and none or more than one has the mapped header; "
        "set the job's sheet option",
        sheets=", ".join(names),
    )


def _header(workbook: CalamineWorkbook, name: str) -> set[str]:
    for values in workbook.get_sheet_by_name(name).iter_rows():
        cells = {cell_text(v).strip() for v in values} - {""}
        if cells:
            return cells
    return set()


def read_xlsx(
    path: Path,
    *,
    sheet: str | None,
    skip: int,
    expected: frozenset[str] = frozenset(),
    fill_merged: bool = False,
    dialect: dict[str, str] | None = None,
) -> Rows:
    """Yield the data rows of the chosen sheet after the first ``skip``; its name goes into
    ``dialect``."""
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except _BROKEN_WORKBOOK as exc:
        raise FileReadError("not a readable XLSX workbook") from exc
    try:
        try:
            worksheet = choose_sheet(workbook, sheet, expected)
            if dialect is not None:
                dialect["sheet"] = worksheet.name
            merged: list[MergedRange] = list(worksheet.merged_cell_ranges or [])
        except _BROKEN_WORKBOOK as exc:
            raise FileReadError("damaged XLSX worksheet") from exc
        if merged and not fill_merged:
            raise FileReadError(
                "merged cells (unmerge them, or set merged_cells: fill)",
                sheet=worksheet.name,
                ranges=", ".join(range_name(m) for m in merged[:5]),
            )
        source = iter(worksheet.iter_rows())
        if merged:
            source = _filled(source, merged)
        yield from _rows(source, skip)
    finally:
        workbook.close()


def _filled(source: Iterator[list[Any]], merged: Sequence[MergedRange]) -> Iterator[list[Any]]:
    """Rows with each merged range's value (its top-left cell) copied into all its cells."""
    values: dict[tuple[int, int], Any] = {}
    for number, row in enumerate(source):
        row = list(row)
        for (r0, c0), (r1, c1) in merged:
            if not r0 <= number <= r1:
                continue
            if number == r0:
                values[(r0, c0)] = row[c0] if c0 < len(row) else None
            row.extend([None] * (c1 + 1 - len(row)))
            for column in range(c0, c1 + 1):
                row[column] = values[(r0, c0)]
        yield row


def _rows(source: Iterator[Sequence[Any]], skip: int) -> Rows:
    number = 1  # the row being read, for the error message
    try:
        header = header_names([cell_text(v) for v in next(source, ())])
        while True:
            number += 1
            values = next(source, None)
            if values is None:
                return
            if number - 1 <= skip:
                continue
            cells = [cell_text(v) for v in values]
            if any(cells):
                yield Row(number, number - 1, shape(header, cells, pad_short=True))
    except _BROKEN_WORKBOOK as exc:
        raise FileReadError("damaged XLSX worksheet", row=number) from exc
