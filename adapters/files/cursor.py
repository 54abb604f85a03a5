"""The inbox cursor: which files are finished, and how far the current one got.

Saved form, versioned so an upgrade never misreads old state::

    {"v": 1, "done": [sha256 hex, ...], "file": sha256 hex | null, "row": int}

Files are known by their content digest, not their name: the same content dropped again under
another name is recognised as finished. A file that could not be read is not finished: dropped
again (or re-read by ``dlq replay``) it is read again, and its dead letter counts the attempt.
``row`` counts the data rows of ``file`` already committed (blank rows included, so resuming
skips by position).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.adapter import CURSOR_VERSION
from gateway.errors import StoreError

# Recognises a re-dropped file across years of daily hand-overs; small enough to save per page.
DONE_LIMIT = 10_000


@dataclass
class InboxCursor:
    done: list[str] = field(default_factory=list)
    file: str | None = None
    row: int = 0

    @classmethod
    def load(cls, saved: dict[str, Any] | None) -> InboxCursor:
        if saved is None:
            return cls()
        if saved.get("v") != CURSOR_VERSION:
            raise StoreError("files cursor has an unsupported version", version=saved.get("v"))
        done, file, row = saved.get("done"), saved.get("file"), saved.get("row")
        if (
            not isinstance(done, list)
            or not all(isinstance(d, str) for d in done)
            or not (file is None or isinstance(file, str))
            or not isinstance(row, int)
            or row < 0
        ):
            raise StoreError("files cursor is malformed", version=CURSOR_VERSION)
        return cls(done=done[-DONE_LIMIT:], file=file, row=row)

    def dump(self) -> dict[str, Any]:
        return {"v": CURSOR_VERSION, "done": list(self.done), "file": self.file, "row": self.row}

    def is_done(self, digest: str) -> bool:
        return digest in self.done

    def start(self, digest: str) -> int:
        """Begin (or resume) ``digest``; answer how many data rows to skip."""
        skip = self.row if self.file == digest else 0
        self.file, self.row = digest, skip
        return skip

    def abandon(self, digest: str) -> None:
        """Stop reading ``digest`` without counting it finished: a later drop reads it again."""
        if self.file == digest:
            self.file, self.row = None, 0

    def forget(self, *digests: str) -> None:
        """Read these again when they are dropped (an operator admits a file on purpose)."""
        self.done = [d for d in self.done if d not in digests]
        if self.file in digests:
            self.file, self.row = None, 0

    def finish(self, digest: str) -> None:
        self.done.append(digest)
        del self.done[:-DONE_LIMIT]
        self.file, self.row = None, 0
