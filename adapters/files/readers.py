"""Reading one inbox file as a stream of rows, whatever its format.

Nothing here loads a file whole: CSV goes through the ``csv`` module over an incremental text
reader, JSONL line by line, XLSX through openpyxl's read-only mode. A file that cannot be read
raises :class:`FileReadError`; a malformed row is not a file failure and comes out as a record
``{"__error__": reason}`` (reasons never quote a cell, which may hold personal data).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import orjson

from adapters.files.encoding import detect_encoding, sniff
from adapters.files.errors import FileReadError
from adapters.files.options import ReadOptions
from adapters.files.rows import ERROR_FIELD, Row, Rows, header_names, shape
from adapters.files.xlsx import read_xlsx

_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}


def file_format(path: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise FileReadError("legacy .xls workbooks are not supported; save as .xlsx")
    if suffix not in _BY_SUFFIX:
        raise FileReadError("unknown file type; set the job's format option", suffix=suffix)
    return _BY_SUFFIX[suffix]


def read_rows(path: Path, options: ReadOptions, skip: int = 0) -> Rows:
    """Yield the records of ``path`` after its first ``skip`` data rows."""
    fmt = file_format(path, options.format)
    if fmt == "xlsx":
        return read_xlsx(path, sheet=options.sheet, skip=skip)
    codec = detect_encoding(sniff(path), options.encoding)
    if fmt == "jsonl":
        return _read_jsonl(path, codec, skip)
    delimiter = options.delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    return _read_csv(path, codec, delimiter, skip)


# Text is decoded a chunk ahead of the parser, so a decoding error is only known to lie after
# the last row read whole; the errors say so instead of naming a row that may be wrong.


def _read_csv(path: Path, codec: str, delimiter: str, skip: int) -> Rows:
    number = 0
    try:
        # newline="" lets the csv module see line breaks quoted inside a cell as they are.
        with open(path, encoding=codec, errors="strict", newline="") as text:
            reader = csv.reader(text, delimiter=delimiter)
            header = header_names(next(reader, None))
            for number, cells in enumerate(reader, start=2):
                if number - 1 > skip and any(cells):
                    yield Row(number, number - 1, shape(header, cells, pad_short=False))
    except UnicodeDecodeError as exc:
        raise FileReadError(f"not valid {codec} text", after_row=number) from exc
    except csv.Error as exc:
        raise FileReadError("malformed CSV", after_row=number) from exc


def _read_jsonl(path: Path, codec: str, skip: int) -> Rows:
    number = 0
    try:
        with open(path, encoding=codec, errors="strict") as text:
            for number, line in enumerate(text, start=1):
                if number > skip and line.strip():
                    yield Row(number, number, _json_record(line))
    except UnicodeDecodeError as exc:
        raise FileReadError(f"not valid {codec} text", after_row=number) from exc


_JSON_TYPE = {list: "an array", str: "a string", int: "a number", float: "a number"}


def _json_record(line: str) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {ERROR_FIELD: f"invalid JSON: {exc.msg} at column {exc.colno}"}
    if not isinstance(value, dict):
        kind = _JSON_TYPE.get(type(value), "a literal")
        return {ERROR_FIELD: f"line is {kind}, not a JSON object"}
    return value
