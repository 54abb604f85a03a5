"""The inspection platform's streams: four directories pushed, the drawn tasks pulled.

Every push stream is the same declaration with another path: records go out as
``{"items": [...]}`` with their idempotency keys, each comes back accepted (with a receipt) or
rejected (with the platform's code and reason), and ``lookup`` asks the receipts route what
became of a send whose answer was lost.
"""

from __future__ import annotations

from adapters.inspection.models import PUSH_PATHS, TASKS_PATH
from gateway.adapter import (
    Direction,
    OutgoingRecord,
    PushOutcome,
    PushStream,
    StreamContext,
)
from gateway.errors import PermanentError
from gateway.http.streams import (
    IncrementalPullStream,
    RunClients,
    push_outcome,
    require_list,
)

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


class TasksStream(IncrementalPullStream):
    """The tasks the platform drew, read incrementally by (updatedAt, taskId)."""

    name = "tasks"
    path = TASKS_PATH
    operation = "tasks.list"
    updated_field = "updatedAt"
    key_field = "taskId"
    default_page_size = 100
    max_page_size = MAX_PAGE_SIZE
