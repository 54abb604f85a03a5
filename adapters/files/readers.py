"""Reading one inbox file as a stream of rows, whatever its format.

Nothing here loads a file whole: CSV goes through the ``csv`` module over an incremental text
reader, JSONL line by line, XLSX through openpyxl's read-only mode. A file that cannot be read
raises :class:`FileReadError`; a malformed row is not a file failure and comes out as a record
``{"__error__": reason, ...}`` that keeps what was read of it (reasons never quote a cell, which
may hold personal data). Bytes that are not text in the file's encoding cost their row only:
text is decoded with ``surrogateescape``, so such bytes survive as stand-in characters that mark
the row, and reading goes on at the next one.
"""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from adapters.files.encoding import TextEncoding, detect_encoding, sniff
from adapters.files.errors import FileReadError
from adapters.files.options import ReadOptions
from adapters.files.rows import (
    CELLS_FIELD,
    ERROR_FIELD,
    Row,
    Rows,
    header_names,
    malformed,
    shape,
)
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


_DELIMITERS = ",;\t|"
# What surrogateescape turns an undecodable byte into.
_UNDECODED = re.compile("[\udc80-\udcff]")
BYTES_FIELD = "__bytes__"


def read_rows(
    path: Path,
    options: ReadOptions,
    skip: int = 0,
    expected: frozenset[str] = frozenset(),
    dialect: dict[str, str] | None = None,
) -> Rows:
    """Yield the records of ``path`` after its first ``skip`` data rows.

    ``expected`` are the fields the mapping reads: a workbook's sheet is found by them, and
    its name is added to ``dialect`` (what the file's audit entry records it was read as).
    """
    fmt = file_format(path, options.format)
    if fmt == "xlsx":
        return read_xlsx(
            path,
            sheet=options.sheet,
            skip=skip,
            expected=expected,
            fill_merged=options.merged_cells == "fill",
            dialect=dialect,
        )
    head = sniff(path)
    encoding = detect_encoding(head, options.encoding)
    if fmt == "jsonl":
        return _read_jsonl(path, encoding, skip)
    delimiter = options.delimiter or detect_delimiter(head, encoding)
    return _read_csv(path, encoding, delimiter, skip)


def text_dialect(path: Path, options: ReadOptions) -> dict[str, str]:
    """The encoding and delimiter a text file is read with, for its audit entry."""
    fmt = file_format(path, options.format)
    if fmt == "xlsx":
        return {}
    head = sniff(path)
    encoding = detect_encoding(head, options.encoding)
    found = {"encoding": encoding.label}
    if fmt == "csv":
        found["delimiter"] = options.delimiter or detect_delimiter(head, encoding)
    return found


def detect_delimiter(head: bytes, encoding: TextEncoding) -> str:
    """Comma, semicolon, tab or ``|``, as the standard library's sniffer reads the first lines."""
    text = head[encoding.bom :].decode(encoding.codec, errors="replace")
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _open_text(path: Path, encoding: TextEncoding) -> IO[str]:
    raw = path.open("rb")
    raw.seek(encoding.bom)
    # newline="" lets the csv module see line breaks quoted inside a cell as they are.
    return io.TextIOWrapper(raw, encoding=encoding.codec, errors="surrogateescape", newline="")


def _undecodable(header: Sequence[str], cells: Sequence[str], codec: str) -> dict[str, Any] | None:
    """The error record of a row with bytes that are not ``codec`` text, or ``None``."""
    bad = [i for i, cell in enumerate(cells) if _UNDECODED.search(cell)]
    if not bad:
        return None
    names = [header[i] if i < len(header) else f"column {i + 1}" for i in bad]
    # Shown escaped (\xNN) and masked; the exact bytes of each bad cell are kept for a fix.
    record = malformed(
        header,
        [_escaped(cell, codec) for cell in cells],
        f"bytes that are not {codec} text in column {bad[0] + 1}",
    )
    record[BYTES_FIELD] = {
        name: base64.b64encode(cells[i].encode(codec, "surrogateescape")).decode()
        for name, i in zip(names, bad, strict=True)
    }
    return record


def _escaped(cell: str, codec: str) -> str:
    return cell.encode(codec, "surrogateescape").decode(codec, "backslashreplace")


# Text is decoded a chunk ahead of the parser, so a decoding error is only known to lie after
# the last row read whole; the errors say so instead of naming a row that may be wrong.


def _read_csv(path: Path, encoding: TextEncoding, delimiter: str, skip: int) -> Rows:
    number = 0
    codec = encoding.codec
    try:
        with _open_text(path, encoding) as text:
            reader = csv.reader(text, delimiter=delimiter)
            first = next(reader, None)
            if first is not None and any(_UNDECODED.search(cell) for cell in first):
                raise FileReadError(f"the header is not {codec} text", row=1)
            header = header_names(first)
            for number, cells in enumerate(reader, start=2):
                if number - 1 > skip and any(cells):
                    record = _undecodable(header, cells, codec)
                    yield Row(number, number - 1, record or shape(header, cells, pad_short=False))
    except UnicodeDecodeError as exc:
        raise FileReadError(f"not valid {codec} text", after_row=number) from exc
    except csv.Error as exc:
        raise FileReadError("malformed CSV", after_row=number) from exc


def _read_jsonl(path: Path, encoding: TextEncoding, skip: int) -> Rows:
    number = 0
    codec = encoding.codec
    try:
        with _open_text(path, encoding) as text:
            for number, line in enumerate(text, start=1):
                if number > skip and line.strip():
                    if _UNDECODED.search(line):
                        yield Row(number, number, _bad_line(line, codec))
                    else:
                        yield Row(number, number, _json_record(line))
    except UnicodeDecodeError as exc:
        raise FileReadError(f"not valid {codec} text", after_row=number) from exc


def _bad_line(line: str, codec: str) -> dict[str, Any]:
    return {
        ERROR_FIELD: f"bytes that are not {codec} text",
        CELLS_FIELD: [_escaped(line.rstrip("\r\n"), codec)],
        BYTES_FIELD: {"line": base64.b64encode(line.encode(codec, "surrogateescape")).decode()},
    }


_JSON_TYPE = {list: "an array", str: "a string", int: "a number", float: "a number"}


def _json_record(line: str) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {ERROR_FIELD: f"invalid JSON: {exc.msg} at column {exc.colno}", CELLS_FIELD: [line]}
    if not isinstance(value, dict):
        kind = _JSON_TYPE.get(type(value), "a literal")
        return {ERROR_FIELD: f"line is {kind}, not a JSON object", CELLS_FIELD: [line]}
    return value
