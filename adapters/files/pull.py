"""Pull stream: read the files waiting in the inbox, page by page.

One file after the other (the one the cursor left half-read first, then by name): each is read in
pages of ``page_size`` records; the page that finishes a file marks its digest done in the cursor
and, once committed, moves it to ``processed/``. A file that cannot be read (or whose rest
cannot) is reported as an ``error`` exchange and as a whole-file dead letter saying where
reading stopped, and moves to ``failed/`` with a reason file beside it; the next file goes on.
A file is marked done only by the page that puts its last row in the store or the queue; a
failed one is not, so dropping it again (or ``dlq replay`` of its letter) reads it again.

Every page carries its own ``file.read`` exchange (endpoint ``file:NAME#sha256=DIGEST``), as an
HTTP page does: the runtime fills in the keys of the records it carried, so the audit log can
answer "was this ID number ever received?" for every row of a large file, and each entry is
written in the same transaction as the page and cursor it describes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from functools import partial
from pathlib import Path
from typing import Any

import structlog

from adapters.files.cursor import InboxCursor
from adapters.files.errors import FileReadError
from adapters.files.inbox import (
    FAILED,
    PROCESSED,
    InboxFile,
    fail_file,
    inbox_file,
    move_file,
    readmit_file,
    waiting_paths,
)
from adapters.files.options import ReadOptions, inbox_dir
from adapters.files.readers import read_rows, text_dialect
from adapters.files.readiness import Settling, marker_of, ready_paths
from gateway.adapter import (
    Direction,
    Exchange,
    Page,
    PullStream,
    StreamContext,
    UnreadableInput,
)
from gateway.errors import PermanentError

log = structlog.get_logger(__name__)


class FilesPullStream(PullStream):
    """Records from inbox files; ``name`` is only a label (the job's options pick the files)."""

    options_model = ReadOptions

    def __init__(self, name: str) -> None:
        self.name = name
        self._settling = Settling()

    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        options = ctx.options_as(ReadOptions)
        inbox = inbox_dir(ctx)
        state = InboxCursor.load(cursor)
        paths = waiting_paths(inbox, options.pattern, options.markers)
        ready = ready_paths(paths, options, self._settling, ctx.stop)
        files = [inbox_file(inbox, path) for path in ready]
        # The half-read file goes first: starting another would lose its place in the cursor.
        files.sort(key=lambda f: f.digest != state.file)
        for file in files:
            if ctx.stop.is_set():
                return
            if state.is_done(file.digest):
                # Committed earlier (a crash before the move, or the same content sent again).
                log.info("files.already_processed", file=file.name)
                settle_file(inbox, file, PROCESSED, options)
                continue
            yield from _read_file(ctx, inbox, file, options, state)

    def readmit(
        self,
        ctx: StreamContext,
        cursor: dict[str, Any] | None,
        source: str,
        detail: Mapping[str, Any],
    ) -> dict[str, Any]:
        """Put the file back in the inbox (the operator may have fixed it in ``failed/``)."""
        options = ctx.options_as(ReadOptions)
        state = InboxCursor.load(cursor)
        marker = options.markers[0] if options.ready == "marker" and options.markers else None
        file = readmit_file(inbox_dir(ctx), source, marker)
        state.forget(file.digest, str(detail.get("sha256", "")))
        return state.dump()

    def still_waiting(self, ctx: StreamContext, source: str) -> bool:
        """Not yet settled, or its marker not yet seen: the file is still in the inbox."""
        return (inbox_dir(ctx) / source).is_file()


def _read_file(
    ctx: StreamContext, inbox: Path, file: InboxFile, options: ReadOptions, state: InboxCursor
) -> Iterator[Page]:
    page = _PageBuilder(ctx, file)
    skip = state.start(file.digest)
    try:
        page.dialect = text_dialect(file.path, options)
        rows_of_file = read_rows(file.path, options, skip, ctx.expected_fields, page.dialect)
        with closing(rows_of_file) as rows:
            # One row of look-ahead: the page that ends the file must know it does.
            row = next(rows, None)
            while row is not None:
                page.add(row.number, row.record)
                following = next(rows, None)
                if following is not None and len(page.records) == options.page_size:
                    state.row = row.position
                    yield page.build(state.dump())
                    if ctx.stop.is_set():
                        return
                row = following
    except FileReadError as exc:
        log.warning("files.unreadable", file=file.name, reason=str(exc))
        state.abandon(file.digest)
        lost = UnreadableInput(
            source=file.name,
            origin=f"sha256:{file.digest}",
            reason=str(exc),
            # Not the name: the same content dropped again under another is the same letter.
            detail={"sha256": file.digest, **exc.context},
        )
        yield page.build(
            state.dump(),
            partial(settle_file, inbox, file, FAILED, options, str(exc)),
            error=str(exc),
            unreadable=[lost],
        )
        return
    except FileNotFoundError:
        log.warning("files.vanished", file=file.name)
        return
    except OSError as exc:
        # The disk, not the file, is at fault: fail the run and keep the file for the next one.
        raise PermanentError(
            "cannot read an inbox file", file=file.name, reason=exc.strerror
        ) from exc
    state.finish(file.digest)
    yield page.build(state.dump(), partial(settle_file, inbox, file, PROCESSED, options))


def settle_file(
    inbox: Path, file: InboxFile, folder: str, options: ReadOptions, reason: str | None = None
) -> None:
    """Move a finished file to ``folder`` (with its reason file), and drop its marker."""
    if reason is None:
        move_file(inbox, file, folder)
    else:
        fail_file(inbox, file, reason)
    marker = marker_of(file.path, options.markers)
    if marker is not None:
        marker.unlink(missing_ok=True)


class _PageBuilder:
    """Collects one page of a file and records the ``file.read`` exchange that delivers it."""

    def __init__(self, ctx: StreamContext, file: InboxFile) -> None:
        self.ctx = ctx
        self.file = file
        self.records: list[dict[str, Any]] = []
        self.refs: list[str] = []
        self.origins: list[str] = []
        # What the file is read as (encoding, delimiter, sheet), for its audit entries.
        self.dialect: dict[str, str] = {}
        self.started = time.monotonic()

    def add(self, number: int, record: dict[str, Any]) -> None:
        self.records.append(record)
        self.refs.append(f"{self.file.name}#{number}")
        self.origins.append(f"sha256:{self.file.digest}#{number}")

    def build(
        self,
        cursor: dict[str, Any],
        on_commit: Callable[[], None] | None = None,
        error: str | None = None,
        unreadable: list[UnreadableInput] | None = None,
    ) -> Page:
        exchange = Exchange(
            platform=self.ctx.platform_name,
            direction=Direction.PULL,
            operation="file.read",
            endpoint=f"file:{self.file.name}#sha256={self.file.digest}",
            duration_ms=(time.monotonic() - self.started) * 1000,
            outcome="ok" if error is None else "error",
            error=error,
            record_count=len(self.records),
            detail="; ".join(f"{k}={v!r}" for k, v in self.dialect.items()) or None,
        )
        self.ctx.exchanges.record(exchange)
        page = Page(
            self.records,
            cursor,
            self.refs,
            self.file.name,
            on_commit,
            exchange,
            origins=self.origins,
            unreadable=unreadable or [],
        )
        self.records, self.refs, self.origins = [], [], []
        self.started = time.monotonic()
        return page
