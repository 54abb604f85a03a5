"""Reading XLSX workbooks row by row (openpyxl read-only mode), cells turned into text.

Cells become the text a person sees in Excel, not Python's ``repr``: an ID number typed as a
number keeps every digit it was stored with (never ``5.20102e17``; Excel itself keeps only 15, so
the mapping's check-digit rule catches those), a date becomes ``YYYY-MM-DD`` and a date-time
``YYYY-MM-DD HH:MM:SS``. Rows are streamed; openpyxl does hold the workbook's table of distinct
texts in memory.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from adapters.files.errors import FileReadError
from adapters.files.rows import Row, Rows, header_names, shape

# What openpyxl raises on a file that is not a workbook or is a damaged one.
_BROKEN_WORKBOOK = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, ParseError)


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
    return str(value)


def read_xlsx(path: Path, *, sheet: str | None, skip: int) -> Rows:
    """Yield the data rows of ``sheet`` (default: the first) after the first ``skip``."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _BROKEN_WORKBOOK as exc:
        raise FileReadError("not a readable XLSX workbook") from exc
    try:
        worksheet = _worksheet(workbook, sheet)
        # Some writers record a wrong used range; read what is really there instead.
        worksheet.reset_dimensions()
        yield from _rows(iter(worksheet.values), skip)
    finally:
        workbook.close()


def _worksheet(workbook: Workbook, sheet: str | None) -> ReadOnlyWorksheet:
    if sheet is None:
        candidates = workbook.worksheets[:1]
    else:
        candidates = [ws for ws in workbook.worksheets if ws.title == sheet]
    if not candidates or not isinstance(candidates[0], ReadOnlyWorksheet):
        raise FileReadError("the workbook has no worksheet of that name", sheet=sheet)
    return candidates[0]


def _rows(source: Iterator[tuple[Any, ...]], skip: int) -> Rows:
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
