"""The journal beside an unfinished outbox file: what of it was acknowledged.

A run acknowledges records before its file is published (on close). If the process dies in
between, the next run of the job finds ``.NAME.journal`` and finishes what it describes: the file
is cut back to the last acknowledged batch and published, and that batch's receipts answer the
runtime's question "what became of the records I was not sure about?". Only the last batch can
be in doubt, since the runtime commits each batch before it sends the next one.

Format, one JSON object a line, synced before the batch is acknowledged::

    {"v": 1, "job": ..., "stream": ..., "run_id": ..., "format": "csv"}          header
    {"size": 1234, "rows": 20, "keys": {sha256(idempotency key): receipt}}       per batch

Idempotency keys are kept as digests: they often embed an ID number.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

JOURNAL_VERSION = 1
SUFFIX = ".journal"


def key_digest(idempotency_key: str) -> str:
    return hashlib.sha256(idempotency_key.encode()).hexdigest()


def journal_path(final: Path) -> Path:
    return final.with_name(f".{final.name}{SUFFIX}")


def final_path(journal: Path) -> Path:
    return journal.with_name(journal.name[1 : -len(SUFFIX)])


@dataclass
class JournalState:
    """What a journal says: whose file it is and how much of it was acknowledged."""

    header: dict[str, Any]
    size: int = 0
    rows: int = 0
    last_keys: dict[str, str] = field(default_factory=dict)


class Journal:
    """Appends one line per acknowledged batch and syncs it."""

    def __init__(self, final: Path, header: dict[str, Any]) -> None:
        self.path = journal_path(final)
        self._header = {"v": JOURNAL_VERSION, **header}
        self._handle: IO[bytes] | None = None

    def append(self, size: int, rows: int, receipts: dict[str, str]) -> None:
        """Note a batch: the file's size and record count after it, and its receipts."""
        keys = {key_digest(k): receipt for k, receipt in receipts.items()}
        if self._handle is None:
            self._handle = self.path.open("xb")
            self._handle.write(orjson.dumps(self._header) + b"\n")
        self._handle.write(orjson.dumps({"size": size, "rows": rows, "keys": keys}) + b"\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def remove(self) -> None:
        if self._handle is not None:
            self._handle.close()
        self.path.unlink(missing_ok=True)


def read_journal(path: Path) -> JournalState | None:
    """The state a journal records, or ``None`` if it is not one this version understands.

    A torn last line (a crash while appending) is ignored: that batch was never acknowledged.
    """
    state: JournalState | None = None
    with path.open("rb") as handle:
        for line in handle:
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                break
            if state is None:
                if not isinstance(entry, dict) or entry.get("v") != JOURNAL_VERSION:
                    return None
                state = JournalState(header=entry)
                continue
            try:
                size, rows, keys = int(entry["size"]), int(entry["rows"]), dict(entry["keys"])
            except (KeyError, TypeError, ValueError):
                break
            state.size, state.rows, state.last_keys = size, rows, keys
    return state
