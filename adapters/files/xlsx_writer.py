"""Writing an XLSX outbox file: rows are staged as JSON lines, the workbook is built at the end.

A workbook is a zip that only exists once it is saved, so it cannot grow batch by batch the way a
CSV does. Staging each row as a JSON line (dates tagged so they come back as dates) makes every
batch durable before it is acknowledged; :meth:`XlsxWriter.finish` (or recovery after a crash)
streams the stage into an openpyxl write-only workbook, so memory stays flat either way.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import orjson
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from adapters.files.writer import OutboxWriter, plain_text
from gateway.clock import SHANGHAI
from gateway.errors import ConfigError, PermanentError

XLSX_MAX_ROWS = 1_048_576
# Excel keeps 15 significant digits: a longer integer (an ID number) must stay text.
_EXCEL_DIGITS = 10**15
_SHEET_FORBIDDEN = set("[]:*?/\\")


class XlsxWriter(OutboxWriter):
    first_row = 2

    def __init__(self, final: Path, journal_header: dict[str, Any], sheet: str) -> None:
        super().__init__(final, journal_header)
        if not 0 < len(sheet) <= 31 or _SHEET_FORBIDDEN & set(sheet):
            raise ConfigError("invalid xlsx sheet name", sheet=sheet)
        self._sheet_name = sheet

    def _problem(self, payload: dict[str, Any]) -> str | None:
        if self.admitted + self.first_row > XLSX_MAX_ROWS:
            return "the xlsx sheet is full"
        bad = [
            k for k, v in payload.items() if isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v)
        ]
        if bad:
            return f"control characters in fields: {', '.join(map(str, bad[:5]))}"
        return super()._problem(payload)

    def encode(self, payloads: list[dict[str, Any]]) -> bytes:
        assert self.columns is not None
        lines = [[_stage(p.get(c)) for c in self.columns] for p in payloads]
        if self.rows == 0:
            lines.insert(0, list(self.columns))
        return b"".join(orjson.dumps(line) + b"\n" for line in lines)

    def _complete(self) -> None:
        build = self.final.with_name(f".{self.final.name}.build")
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet(title=self._sheet_name)
        try:
            with self.temp.open("rb") as stage:
                for line in stage:
                    sheet.append([_unstage(v) for v in orjson.loads(line)])
            book.save(build)
        except OSError as exc:
            raise PermanentError(
                "cannot write the outbox file", file=build.name, reason=exc.strerror
            ) from exc
        self._publish(build)
        self.temp.unlink()


def _stage(value: Any) -> Any:
    """A JSON form of the cell that :func:`_unstage` turns back into the same cell value."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            # Excel has no time zones; the bureau reads Beijing time.
            value = value.astimezone(SHANGHAI).replace(tzinfo=None)
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return value if abs(value) < _EXCEL_DIGITS else str(value)
    return plain_text(value)


def _unstage(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    if "date" in value:
        return date.fromisoformat(value["date"])
    return Decimal(value["decimal"])
