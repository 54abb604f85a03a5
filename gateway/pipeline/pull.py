"""A pull run: pages from a source stream, mapped, written to the store with their cursor."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import orjson

from gateway.adapter import MALFORMED, Exchange, Page, PullStream
from gateway.mapping.result import FieldIssue
from gateway.pipeline.context import RunContext, content_hash, key_masker
from gateway.store.deadletters import DeadLetter, add_dead_letters
from gateway.store.records import RecordRow, upsert_records


def _sorted_json(record: dict[str, Any]) -> bytes:
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


def split_page(run: RunContext, page: Page) -> tuple[list[RecordRow], list[DeadLetter], list[str]]:
    """Map every record of a page into store rows and dead letters; also the keys it carried."""
    mapping = run.mapping
    masker = key_masker(mapping)
    rows: list[RecordRow] = []
    letters: list[DeadLetter] = []
    keys: list[str] = []
    refs = page.refs
    for index, (raw, result) in enumerate(
        zip(page.records, mapping.map_many(page.records), strict=True)
    ):
        if result.key:
            keys.append(result.key)
        if MALFORMED not in raw and result.ok and result.record is not None and result.key:
            payload = _sorted_json(result.record)
            rows.append(RecordRow(result.key, payload.decode(), content_hash(payload)))
            continue
        reasons = (
            [FieldIssue("(record)", "malformed", None, str(raw[MALFORMED]))]
            if MALFORMED in raw
            else result.errors or [FieldIssue("(record)", "no_key")]
        )
        letters.append(
            DeadLetter(
                source=refs[index] if refs else f"{page.source} [{index + 1}]",
                raw=raw,
                reasons=reasons,
                record_key=masker(result.key) if result.key else None,
                key_digest=run.audit.key_digest(result.key) if result.key else None,
            )
        )
    return rows, letters, keys


def commit_page(run: RunContext, page: Page, exchanges: list[Exchange]) -> None:
    """The page's records, rejects, cursor, counts and exchanges: one transaction."""
    rows, letters, keys = split_page(run, page)
    if page.exchange is not None:
        page.exchange.record_keys = keys
    with run.store.transaction() as conn:
        upserted = upsert_records(conn, run.mapping.entity, rows, run.job_name)
        add_dead_letters(conn, run.job_name, run.run_id, run.mapping.entity, letters)
        run.store.save_checkpoint(conn, run.job_name, page.cursor, run.run_id)
        run.audit.append(conn, run.exchange_events(exchanges))
        run.commit_counts(
            conn,
            {
                "read": len(page.records),
                "inserted": upserted.inserted,
                "updated": upserted.updated,
                "unchanged": upserted.unchanged,
                "rejected": len(letters),
                "retried": sum(1 for ex in exchanges if ex.outcome == "retry"),
            },
        )
    if page.on_commit is not None:
        page.on_commit()
    run.report()


_DONE = object()


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
            cursor = run.store.load_checkpoint(run.job_name)
            for page in stream.read(run.stream_ctx, cursor):
                pages.put((page, run.recorder.drain()))
                if cancel.is_set():
                    break
            pages.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            pages.put(exc)

    reader = threading.Thread(target=produce, name=f"read-{run.job_name}", daemon=True)
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


def run_pull(run: RunContext, stream: PullStream) -> None:
    for page, exchanges in prefetched(run, stream):
        commit_page(run, page, exchanges)
        if run.stop.is_set():
            return
