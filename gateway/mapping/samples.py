"""Sample records for trying a mapping by hand: JSONL, CSV (UTF-8 or GB18030) or XLSX.

This is the small reader behind ``gateway mappings test``; sync jobs read files through the
files adapter, which streams and journals them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import orjson

from gateway.errors import ConfigError

SAMPLE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".xlsx")


def read_samples(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """The records in ``path``; a JSONL line that is not an object is kept as it is, so the
    mapping reports it like any other bad input."""
    suffix = path.suffix.lower()
    if suffix not in SAMPLE_SUFFIXES:
        raise ConfigError(
            "unsupported sample file", file=str(path), allowed=", ".join(SAMPLE_SUFFIXES)
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError("cannot read the sample file", file=str(path)) from exc
    if suffix == ".csv":
        records = _csv(data)
    elif suffix == ".xlsx":
        records = _xlsx(path)
    else:
        records = _jsonl(data, path)
    return records[:limit] if limit is not None else records


def _jsonl(data: bytes, path: Path) -> list[Any]:
    stripped = data.strip()
    if path.suffix.lower() == ".json" and stripped.startswith(b"["):
        try:
            loaded = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            raise ConfigError("sample is not valid JSON", file=str(path)) from exc
        return list(loaded)
    records: list[Any] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise ConfigError("sample line is not valid JSON", file=str(path), line=number) from exc
    return records


def _csv(data: bytes) -> list[dict[str, Any]]:
    # Files from the bureau's own systems are often GB18030 (a superset of GBK).
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]


def _xlsx(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return []
        names = [
            str(h).strip() if h is not None else f"column{i + 1}" for i, h in enumerate(header)
        ]
        return [
            dict(zip(names, row, strict=False))
            for row in rows
            if any(cell is not None for cell in row)
        ]
    finally:
        workbook.close()
