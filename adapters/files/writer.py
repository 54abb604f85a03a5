"""Writing one outbox file batch by batch under a hidden name, and publishing it when done.

A writer appends each batch to ``.NAME.part``, syncs it, notes it in the journal, and only then
are its records acknowledged; :meth:`OutboxWriter.finish` renames the file to ``NAME``, so
whoever collects the outbox never sees a half-written file. A batch that fails half-way is cut
off again, so the file only ever holds acknowledged records. :meth:`OutboxWriter.recover`
finishes the file of a run that died before it could.
"""

from __future__ import annotations

import csv
import io
import os
from abc import ABC, abstractmethod
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson

from adapters.files.journal import Journal
from gateway.errors import PermanentError


class OutboxWriter(ABC):
    """One outbox file being written; ``first_row`` is the row number of the first record."""

    first_row: int

    def __init__(self, final: Path, journal_header: dict[str, Any]) -> None:
        self.final = final
        self.temp = final.with_name(f".{final.name}.part")
        self.journal = Journal(final, journal_header)
        self.columns: list[str] | None = None
        self.admitted = 0  # records accepted, written or about to be
        self.rows = 0  # records written and acknowledged
        self._handle: IO[bytes] | None = None
        self._broken = False

    def claim(self) -> None:
        """Make sure the file is new: an earlier file of that name is never overwritten."""
        if any(p.exists() for p in (self.final, self.temp, self.journal.path)):
            raise PermanentError("the outbox file already exists", file=self.final.name)

    def admit(self, payload: dict[str, Any]) -> str | None:
        """Accept ``payload`` for the next write, or say why it cannot go into this file.

        The first payload admitted sets the columns of a tabular file.
        """
        reason = self._problem(payload)
        if reason is None:
            if self.columns is None:
                self.columns = list(payload)
            self.admitted += 1
        return reason

    def _problem(self, payload: dict[str, Any]) -> str | None:
        if self.columns is None:
            return None
        unknown = [key for key in payload if key not in self.columns]
        if unknown:
            return f"fields not in the file's header: {', '.join(map(str, unknown[:5]))}"
        return None

    @abstractmethod
    def encode(self, payloads: list[dict[str, Any]]) -> bytes:
        """The bytes that append ``payloads`` to the file (with the header, if it is the first)."""

    @abstractmethod
    def _complete(self) -> None:
        """Turn the synced temporary file into the published one."""

    def write(self, payloads: list[dict[str, Any]], receipts: dict[str, str]) -> bytes:
        """Append ``payloads`` durably and journal their receipts; answer the bytes written."""
        if self._broken:
            raise PermanentError("the outbox file was damaged earlier", file=self.temp.name)
        data = self.encode(payloads)
        size = self._append(data)
        try:
            self.journal.append(size + len(data), self.rows + len(payloads), receipts)
        except OSError as exc:
            # The journal may or may not hold this batch now; the next run's recovery reads it
            # and publishes the file with or without the batch, as the journal says.
            self._broken = True
            raise PermanentError(
                "cannot write the outbox journal", file=self.journal.path.name, reason=exc.strerror
            ) from exc
        self.rows += len(payloads)
        return data

    def _append(self, data: bytes) -> int:
        """Append and sync ``data``; answer the size before it."""
        size = 0
        try:
            if self._handle is None:
                self._handle = self.temp.open("xb")
            size = self._handle.tell()
            self._handle.write(data)
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            self._cut(size)
            raise PermanentError(
                "cannot write the outbox file", file=self.temp.name, reason=exc.strerror
            ) from exc
        return size

    def _cut(self, size: int) -> None:
        """Cut a half-written batch off, so the file holds only acknowledged records."""
        if self._handle is None:
            return
        try:
            self._handle.truncate(size)
            self._handle.seek(size)
        except OSError:
            self._broken = True

    def finish(self) -> None:
        """Publish the file under its final name (nothing to do if nothing was written)."""
        if self._handle is None:
            return
        self._handle.close()
        if self._broken:
            raise PermanentError("the outbox file was left unfinished", file=self.temp.name)
        self._complete()
        self.journal.remove()

    def recover(self, size: int, rows: int) -> None:
        """Publish what a dead run acknowledged (``size`` bytes, ``rows`` records) of its file."""
        if self.temp.exists():
            if self.temp.stat().st_size < size:
                raise PermanentError(
                    "an unfinished outbox file is shorter than its journal", file=self.temp.name
                )
            if rows == 0:
                self.temp.unlink()
            else:
                with self.temp.open("r+b") as handle:
                    handle.truncate(size)
                self.rows = rows
                self._complete()
        self.journal.remove()

    def _publish(self, source: Path) -> None:
        if self.final.exists():
            raise PermanentError("the outbox file already exists", file=self.final.name)
        try:
            os.replace(source, self.final)
        except OSError as exc:
            raise PermanentError(
                "cannot publish the outbox file", file=self.final.name, reason=exc.strerror
            ) from exc


def plain_text(value: Any) -> str:
    """A cell of a text file: dates as a person writes them, structures as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dict | list | tuple):
        return orjson.dumps(value, default=str).decode()
    return str(value)


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError


class JsonlWriter(OutboxWriter):
    first_row = 1

    def _problem(self, payload: dict[str, Any]) -> str | None:
        # JSON lines need no common columns; each only has to be representable.
        try:
            orjson.dumps(payload, default=json_default)
        except orjson.JSONEncodeError:
            return "a value cannot be written as JSON"
        return None

    def encode(self, payloads: list[dict[str, Any]]) -> bytes:
        return b"".join(orjson.dumps(p, default=json_default) + b"\n" for p in payloads)

    def _complete(self) -> None:
        self._publish(self.temp)


class CsvWriter(OutboxWriter):
    first_row = 2

    def __init__(
        self, final: Path, journal_header: dict[str, Any], encoding: str, delimiter: str
    ) -> None:
        super().__init__(final, journal_header)
        # The BOM belongs to the file, not to each batch: it goes before the header only.
        self._bom = b"\xef\xbb\xbf" if encoding == "utf-8-sig" else b""
        self._encoding = "utf-8" if self._bom else encoding
        self._delimiter = delimiter

    def encode(self, payloads: list[dict[str, Any]]) -> bytes:
        assert self.columns is not None
        text = io.StringIO()
        out = csv.writer(text, delimiter=self._delimiter, lineterminator="\r\n")
        # rows == 0 also after a first batch that failed and was cut off again.
        first = self.rows == 0
        if first:
            out.writerow(self.columns)
        out.writerows([plain_text(p.get(c)) for c in self.columns] for p in payloads)
        return (self._bom if first else b"") + text.getvalue().encode(self._encoding)

    def _complete(self) -> None:
        self._publish(self.temp)
