"""The inspection platform's streams: four directories pushed, the drawn tasks pulled.

Every push stream is the same declaration with another path: records go out as
``{"items": [...]}`` with their idempotency keys, each comes back accepted (with a receipt) or
rejected (with the platform's code and reason), and ``lookup`` asks the receipts route what
became of a send whose answer was lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.inspection.models import PUSH_PATHS, TASKS_PATH
from gateway.adapter import (
    CURSOR_VERSION,
    Direction,
    OutgoingRecord,
    Page,
    PullStream,
    PushOutcome,
    PushStream,
    StreamContext,
)
from gateway.errors import PermanentError, StoreError
from gateway.http.streams import RunClients, open_client, push_outcome, require_list

# Keys per receipts query: 100 keys of 32 characters keep the request line well under the
# 16 KiB that HTTP servers commonly accept.
RECEIPT_KEYS_PER_CALL = 100
MAX_PAGE_SIZE = 1000


class RecordsPushStream(PushStream):
    """One directory (or the results) pushed to the platform, answered record by record."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.path = PUSH_PATHS[name]
        self._clients = RunClients()

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        client = self._clients.get(ctx)
        operation = f"{self.name}.submit"
        envelope, exchange = client.call(
            "POST",
            self.path,
            operation=operation,
            direction=Direction.PUSH,
            body={"items": [{"idempotencyKey": r.idempotency_key, **r.payload} for r in batch]},
        )
        exchange.record_keys = [r.key for r in batch]
        exchange.record_count = len(batch)
        outcomes = [
            o for o in map(push_outcome, require_list(envelope.data, "results", operation)) if o
        ]
        if {o.idempotency_key for o in outcomes} != {r.idempotency_key for r in batch}:
            raise PermanentError(
                "platform did not answer exactly the records sent",
                operation=operation,
                sent=len(batch),
                answered=len(outcomes),
            )
        return outcomes

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        client = self._clients.get(ctx)
        operation = f"{self.name}.receipts"
        found: list[PushOutcome] = []
        for start in range(0, len(idempotency_keys), RECEIPT_KEYS_PER_CALL):
            keys = idempotency_keys[start : start + RECEIPT_KEYS_PER_CALL]
            envelope, _ = client.call(
                "GET",
                f"{self.path}/receipts",
                operation=operation,
                direction=Direction.PULL,
                params={"keys": ",".join(keys)},
            )
            found += [
                o for o in map(push_outcome, require_list(envelope.data, "results", operation)) if o
            ]
        return found

    def close(self, ctx: StreamContext) -> None:
        self._clients.close(ctx)


def next_cursor(
    data: Any, items: list[Any], previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The (updatedAt, taskId) position after a page: the platform's ``next``, else the last
    task's own fields, else where we were."""
    nxt = data.get("next") if isinstance(data, dict) else None
    if isinstance(nxt, dict) and nxt.get("updated_since") and nxt.get("after_key"):
        return {
            "v": CURSOR_VERSION,
            "updated_since": str(nxt["updated_since"]),
            "after_key": str(nxt["after_key"]),
        }
    last = items[-1] if items else None
    if isinstance(last, dict) and last.get("updatedAt") and last.get("taskId"):
        return {
            "v": CURSOR_VERSION,
            "updated_since": str(last["updatedAt"]),
            "after_key": str(last["taskId"]),
        }
    return previous


class TasksStream(PullStream):
    """The tasks the platform drew, read incrementally by (updatedAt, taskId)."""

    name = "tasks"

    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if cursor is not None and cursor.get("v") != CURSOR_VERSION:
            raise StoreError("tasks cursor has an unknown format version", job=ctx.job)
        page_size = min(int(ctx.options.get("page_size", 100)), MAX_PAGE_SIZE)
        with open_client(ctx) as client:
            while not ctx.stop.is_set():
                params = {"page_size": str(page_size)}
                if cursor:
                    params["updated_since"] = cursor["updated_since"]
                    params["after_key"] = cursor["after_key"]
                envelope, exchange = client.call(
                    "GET",
                    TASKS_PATH,
                    operation="tasks.list",
                    direction=Direction.PULL,
                    params=params,
                )
                items = require_list(envelope.data, "items", "tasks.list")
                cursor = next_cursor(envelope.data, items, cursor)
                exchange.record_count = len(items)
                yield Page(
                    records=[
                        i if isinstance(i, dict) else {"__error__": "not an object"} for i in items
                    ],
                    cursor=cursor,
                    source=f"{ctx.platform_name}:tasks",
                    exchange=exchange,
                )
                if not (isinstance(envelope.data, dict) and envelope.data.get("has_more")):
                    return
