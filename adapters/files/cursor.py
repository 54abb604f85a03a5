"""The inbox cursor: which files are finished, and how far the current one got.

Saved form, versioned so an upgrade never misreads old state::

    {"v": 1, "done": [sha256 hex, ...], "file": sha256 hex | null, "row": int}

Files are known by their content digest, not their name: the same content dropped again under
another name is recognised as finished. ``row`` counts the data rows of ``file`` already committed
(blank rows included, so resuming skips by position).
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

    def finish(self, digest: str) -> None:
        self.done.append(digest)
        del self.done[:-DONE_LIMIT]
        self.file, self.row = None, 0
