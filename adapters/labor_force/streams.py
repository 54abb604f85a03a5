"""The labor-force platform's streams: ``persons`` (pull) and ``verifications`` (push)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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

PERSONS_PATH = "/api/v1/persons"
VERIFICATIONS_PATH = "/api/v1/verifications"
RECEIPTS_PATH = "/api/v1/verifications/receipts"
UPDATED_FIELD = "AAE036"
KEY_FIELD = "AAC002"


def next_cursor(
    data: dict[str, Any], items: list[Any], previous: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The (update time, key) position after this page, as the platform states it."""
    nxt = data.get("next")
    if isinstance(nxt, dict) and nxt.get("updated_since"):
        return {
            "v": CURSOR_VERSION,
            "updated_since": str(nxt["updated_since"]),
            "after_key": nxt.get("after_key"),
        }
    last = items[-1] if items else None
    if isinstance(last, dict) and last.get(UPDATED_FIELD) and last.get(KEY_FIELD):
        return {
            "v": CURSOR_VERSION,
            "updated_since": str(last[UPDATED_FIELD]),
            "after_key": str(last[KEY_FIELD]),
        }
    return previous


class PersonsStream(PullStream):
    """Persons read incrementally by (AAE036, AAC002), so a cursor resumes exactly."""

    name = "persons"

    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        if cursor is not None and cursor.get("v") != CURSOR_VERSION:
            raise StoreError("persons cursor has an unknown format version", job=ctx.job)
        page_size = str(int(ctx.options.get("page_size", 1000)))
        with open_client(ctx) as client:
            while not ctx.stop.is_set():
                params = {"page_size": page_size}
                if cursor:
                    params["updated_since"] = cursor["updated_since"]
                    if cursor.get("after_key"):
                        params["after_key"] = cursor["after_key"]
                envelope, exchange = client.call(
                    "GET",
                    PERSONS_PATH,
                    operation="persons.list",
                    direction=Direction.PULL,
                    params=params,
                )
                data = envelope.data if isinstance(envelope.data, dict) else {}
                items = require_list(data, "items", "persons.list")
                cursor = next_cursor(data, items, cursor)
                exchange.record_count = len(items)
                yield Page(
                    records=[
                        i if isinstance(i, dict) else {"__error__": "not an object"} for i in items
                    ],
                    cursor=cursor,
                    source=f"{ctx.platform_name}:persons",
                    exchange=exchange,
                )
                if not data.get("has_more"):
                    return


class VerificationsStream(PushStream):
    """The bureau's verification results, answered per record with a receipt or a reason."""

    name = "verifications"

    def __init__(self) -> None:
        self._clients = RunClients()

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        client = self._clients.get(ctx)
        items = [{"idempotencyKey": r.idempotency_key, **r.payload} for r in batch]
        envelope, exchange = client.call(
            "POST",
            VERIFICATIONS_PATH,
            operation="verifications.submit",
            direction=Direction.PUSH,
            body={"items": items},
        )
        exchange.record_keys = [r.key for r in batch]
        results = require_list(envelope.data, "results", "verifications.submit")
        outcomes = [o for o in map(push_outcome, results) if o is not None]
        if len(outcomes) != len(batch):
            raise PermanentError(
                "platform answered a different number of results",
                sent=len(batch),
                answered=len(outcomes),
            )
        return outcomes

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        client = self._clients.get(ctx)
        envelope, _ = client.call(
            "GET",
            RECEIPTS_PATH,
            operation="verifications.receipts",
            direction=Direction.PULL,
            params={"keys": ",".join(idempotency_keys)},
        )
        results = require_list(envelope.data, "results", "verifications.receipts")
        return [o for o in map(push_outcome, results) if o is not None]

    def close(self, ctx: StreamContext) -> None:
        self._clients.close(ctx)
