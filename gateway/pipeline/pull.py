"""A pull run: pages from a source stream, mapped, written to the store with their cursor.

Three threads work on consecutive pages: a reader fetches and parses page n+1, the run's own
thread maps page n, and a writer commits page n-1. The writer's statements run inside the
database driver without the interpreter lock, so on a machine with two cores writing overlaps
mapping instead of following it (decision 0008). Pages still commit one at a time, in order,
each in one transaction with its cursor.
"""

from __future__ import annotations

import contextvars
import queue
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gateway.adapter import MALFORMED, Exchange, Page, PullStream, UnreadableInput
from gateway.mapping.result import FieldIssue
from gateway.pipeline.context import RunContext, content_hash, key_masker
from gateway.reconcile.digest import record_digest
from gateway.store.dlq import DeadLetter, add_dead_letters
from gateway.store.holdings import Rejected, note_rejected
from gateway.store.records import RecordRow, refresh_statistics, upsert_records

# The raw input of a whole-input letter: what a replay recognises as "read this file again".
UNREADABLE = "__unreadable__"


@dataclass
class SplitPage:
    rows: list[RecordRow]
    letters: list[DeadLetter]
    keys: list[str]
    # Keyed records the mapping rejected, with their source digest (for reconciliation).
    rejected: list[Rejected]


def split_page(run: RunContext, page: Page) -> SplitPage:
    """Map every record of a page into store rows and dead letters; also the keys it carried.

    Input the source could not read at all comes first, as letters of their own. Every record
    keeps the digest of the platform record it came from (:mod:`gateway.reconcile.digest`).
    """
    mapping = run.mapping
    masker = key_masker(mapping)
    rows: list[RecordRow] = []
    letters = [unreadable_letter(item) for item in page.unreadable]
    keys: list[str] = []
    rejected: list[Rejected] = []
    refs = page.refs
    origins = page.origins
    records = page.records
    # Keys and canonical JSON for the whole page at once (the columnar engine when it has
    # the mapping); only the rejects carry a MapResult with their issues.
    mapped = mapping.map_page(records, engine=run.job.mapping_engine)
    for index, (raw, key, payload) in enumerate(
        zip(records, mapped.keys, mapped.payloads, strict=True)
    ):
        if key is not None:
            keys.append(key)
        malformed = MALFORMED in raw
        if not malformed and payload is not None and key is not None:
            body = payload.encode()
            rows.append(RecordRow(key, payload, content_hash(body), record_digest(raw)))
            continue
        result = mapped.row_results.get(index)
        errors = result.errors if result is not None else []
        reject_key = (
            key
            if key is not None
            else (run.raw_key(raw) if run.raw_key and not malformed else None)
        )
        if not malformed and reject_key:
            rejected.append(Rejected(reject_key, record_digest(raw)))
        reasons = (
            [FieldIssue("(record)", "malformed", None, str(raw[MALFORMED]))]
            if MALFORMED in raw
            else errors or [FieldIssue("(record)", "no_key")]
        )
        letters.append(
            DeadLetter(
                source=refs[index] if refs else f"{page.source} [{index + 1}]",
                raw=raw,
                reasons=reasons,
                record_key=masker(key) if key is not None else None,
                key_digest=run.audit.key_digest(key) if key is not None else None,
                origin=origins[index] if origins else "",
            )
        )
    return SplitPage(rows, letters, keys, rejected)


def unreadable_letter(item: UnreadableInput) -> DeadLetter:
    return DeadLetter(
        source=item.source,
        raw={UNREADABLE: dict(item.detail)},
        reasons=[FieldIssue("(file)", "unreadable", None, item.reason)],
        origin=item.origin,
    )


def unreadable_count(page: Page) -> int:
    """Whole inputs refused plus records the source could not parse: what makes a run partial."""
    return len(page.unreadable) + sum(1 for raw in page.records if MALFORMED in raw)


@dataclass
class PreparedPage:
    """A page mapped and its audit entries composed: everything but the transaction."""

    page: Page
    rows: list[RecordRow]
    letters: list[DeadLetter]
    audit_bodies: list[dict[str, Any]]
    retried: int
    rejected: list[Rejected]


def prepare_page(run: RunContext, page: Page, exchanges: list[Exchange]) -> PreparedPage:
    split = split_page(run, page)
    if page.exchange is not None:
        page.exchange.record_keys = split.keys
    bodies = run.audit.prepare(run.exchange_events(exchanges))
    retried = sum(1 for ex in exchanges if ex.outcome == "retry")
    return PreparedPage(page, split.rows, split.letters, bodies, retried, split.rejected)


def commit_page(run: RunContext, prepared: PreparedPage) -> None:
    """The page's records, rejects, cursor, counts and exchanges: one transaction."""
    page = prepared.page
    counts = {
        "read": len(page.records),
        "rejected": len(prepared.letters) - len(page.unreadable),
        "retried": prepared.retried,
        "unreadable": unreadable_count(page),
    }
    if page.total is not None:
        run.expected = max(run.counts["read"] + page.total, run.counts["read"] + len(page.records))
    with run.store.transaction() as conn:
        upserted = upsert_records(conn, run.mapping.entity, prepared.rows, run.job_name)
        add_dead_letters(conn, run.job_name, run.run_id, run.mapping.entity, prepared.letters)
        if run.store.sealer is None:
            # Kept by clear key for reconciliation, which a sealed store does not offer yet.
            note_rejected(conn, run.mapping.entity, run.job_name, prepared.rejected)
        run.store.save_checkpoint(conn, run.cursor_key, page.cursor, run.run_id)
        run.audit.write(conn, prepared.audit_bodies)
        counts.update(
            inserted=upserted.inserted, updated=upserted.updated, unchanged=upserted.unchanged
        )
        run.commit_counts(conn, counts)
    run.counted(counts)
    if page.on_commit is not None:
        page.on_commit()
    run.checkpoint_if_due()
    run.report()


_DONE = object()


def _thread(target: Any, name: str) -> threading.Thread:
    """A daemon thread that runs in a copy of this context (the run's log bindings)."""
    context = contextvars.copy_context()
    return threading.Thread(target=lambda: context.run(target), name=name, daemon=True)


class PageWriter:
    """Commits prepared pages on its own thread, in the order they were submitted.

    After a failed commit it commits nothing more (a later page's cursor would skip the failed
    one); the error is raised in the run's thread by the next :meth:`submit` or by :meth:`close`.
    Once the run is asked to stop, pages still waiting are dropped: the one being committed
    finishes, the others are read again by the next run, as their cursor was never saved.
    """

    # Statistics are refreshed each time a run has doubled what it had inserted at the last
    # refresh, from this many on: a handful of ANALYZEs for a pull of millions.
    _ANALYZE_FROM = 10_000

    def __init__(self, run: RunContext, depth: int = 1) -> None:
        self._run = run
        self._analyzed_at = self._ANALYZE_FROM // 2
        self._pages: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = _thread(self._work, f"write-{run.job_name}")
        self._thread.start()

    def _work(self) -> None:
        while (item := self._pages.get()) is not _DONE:
            if self._error is not None or self._run.stop.is_set():
                continue
            try:
                commit_page(self._run, item)
                self._keep_statistics_current()
            except BaseException as exc:  # handed to the run's thread, which re-raises it
                self._error = exc

    def _keep_statistics_current(self) -> None:
        inserted = self._run.counts["inserted"]
        if self._run.store.dialect == "postgresql" and inserted >= 2 * self._analyzed_at:
            with self._run.store.transaction() as conn:
                refresh_statistics(conn)
            self._analyzed_at = inserted

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def submit(self, prepared: PreparedPage) -> None:
        self._raise()
        self._pages.put(prepared)

    def close(self, *, raise_error: bool = True) -> None:
        """Wait until every submitted page is committed (or skipped after a failure)."""
        self._pages.put(_DONE)
        self._thread.join()
        if raise_error:
            self._raise()


def prefetched(
    run: RunContext, stream: PullStream, depth: int = 2
) -> Iterator[tuple[Page, list[Exchange]]]:
    """Read the next page while this one is mapped and written.

    The reader thread drains the exchange recorder right after each page, so every page is
    paired with exactly the exchanges (retries included) that fetched it.
    """
    pages: queue.Queue[Any] = queue.Queue(maxsize=depth)
    cancel = threading.Event()

    def produce() -> None:
        try:
            cursor = run.store.load_checkpoint(run.cursor_key)
            for page in stream.read(run.stream_ctx, cursor):
                pages.put((page, run.recorder.drain()))
                if cancel.is_set():
                    break
            pages.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            pages.put(exc)

    reader = _thread(produce, f"read-{run.job_name}")
    reader.start()
    try:
        while True:
            item = pages.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        cancel.set()
        while reader.is_alive():
            try:
                pages.get(timeout=0.1)
            except queue.Empty:
                continue
        reader.join()


# While a pull runs, threads that come back from the network or the database take the
# interpreter lock back within 0.5 ms instead of Python's default 5 ms: each page's reads and
# writes are a dozen such returns, and at 5 ms each they cost a page of 1,000 records ~60 ms.
_PULL_SWITCH_INTERVAL = 0.0005
_switch_lock = threading.Lock()
_pulls_running = 0
_default_switch_interval = sys.getswitchinterval()


@contextmanager
def _responsive_threads() -> Iterator[None]:
    """The shorter switch interval while at least one pull of this process runs."""
    global _pulls_running, _default_switch_interval
    with _switch_lock:
        if _pulls_running == 0:
            _default_switch_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_default_switch_interval, _PULL_SWITCH_INTERVAL))
        _pulls_running += 1
    try:
        yield
    finally:
        with _switch_lock:
            _pulls_running -= 1
            if _pulls_running == 0:
                sys.setswitchinterval(_default_switch_interval)


def run_pull(run: RunContext, stream: PullStream) -> None:
    run.raw_key = stream.record_key
    with _responsive_threads():
        _pipeline(run, stream)


def _pipeline(run: RunContext, stream: PullStream) -> None:
    writer = PageWriter(run)
    try:
        for page, exchanges in prefetched(run, stream):
            writer.submit(prepare_page(run, page, exchanges))
            if run.stop.is_set():
                break
    except BaseException:
        writer.close(raise_error=False)  # the pages read before the failure still commit
        raise
    writer.close()
