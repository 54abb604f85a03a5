"""The service network's streams: ``items`` and ``case_events`` (push), ``cases`` (pull).

Every request is signed with HMAC-SM3 by :class:`~gateway.http.client.PlatformClient` (the
platform's ``signature: hmac-sm3`` setting). Pushes carry each record's idempotency key, so a
resend after a lost answer is recognised by the platform, and the receipts routes answer what
became of earlier sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from adapters.service_network.api import (
    CASES_PATH,
    EVENT_RECEIPTS_PATH,
    EVENTS_PATH,
    ITEM_RECEIPTS_PATH,
    ITEMS_PATH,
    MAX_BATCH,
    MAX_PAGE,
)
from gateway.adapter import (
    CURSOR_VERSION,
    Direction,
    Exchange,
    OutgoingRecord,
    Page,
    PullStream,
    PushOutcome,
    PushStream,
    StreamContext,
)
from gateway.errors import PermanentError, StoreError
from gateway.http.streams import RunClients, open_client, push_outcome, require_list

MALFORMED = "__error__"


def check_cursor(ctx: StreamContext, cursor: dict[str, Any] | None) -> None:
    if cursor is not None and cursor.get("v") != CURSOR_VERSION:
        raise StoreError("cases cursor has an unknown format version", job=ctx.job)


def case_pages(
    ctx: StreamContext, cursor: dict[str, Any] | None
) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any] | None, Exchange]]:
    """Pages of cases after ``cursor`` by (updateTime, caseNo), each with the position after
    it; a non-object item is passed on as a malformed record for the dead-letter queue."""
    check_cursor(ctx, cursor)
    page_size = str(min(int(ctx.options.get("page_size", MAX_PAGE)), MAX_PAGE))
    with open_client(ctx) as client:
        while not ctx.stop.is_set():
            params = {"page_size": page_size}
            if cursor:
                params["updated_since"] = str(cursor["updated_since"])
                params["after_key"] = str(cursor["after_key"])
            envelope, exchange = client.call(
                "GET", CASES_PATH, operation="cases.list", direction=Direction.PULL, params=params
            )
            data = envelope.data if isinstance(envelope.data, dict) else {}
            items = require_list(data, "items", "cases.list")
            position = data.get("next")
            if isinstance(position, dict) and position.get("updated_since"):
                cursor = {
                    "v": CURSOR_VERSION,
                    "updated_since": str(position["updated_since"]),
                    "after_key": str(position.get("after_key") or ""),
                }
            exchange.record_count = len(items)
            records = [i if isinstance(i, dict) else {MALFORMED: "not an object"} for i in items]
            yield records, cursor, exchange
            if not data.get("has_more"):
                return


class CasesStream(PullStream):
    """Applications from the one-stop portal, read incrementally so a cursor resumes exactly."""

    name = "cases"

    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        for records, position, exchange in case_pages(ctx, cursor):
            yield Page(
                records=records,
                cursor=position,
                source=f"{ctx.platform_name}:cases",
                exchange=exchange,
            )


class ReceiptPushStream(PushStream):
    """A push answered per record with a receipt or a reason; subclasses declare the routes."""

    path: str
    receipts_path: str

    def __init__(self) -> None:
        self._clients = RunClients()

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        client = self._clients.get(ctx)
        outcomes: list[PushOutcome] = []
        # The platform takes at most MAX_BATCH records a request, whatever the job's batch size.
        for start in range(0, len(batch), MAX_BATCH):
            chunk = batch[start : start + MAX_BATCH]
            envelope, exchange = client.call(
                "POST",
                self.path,
                operation=f"{self.name}.submit",
                direction=Direction.PUSH,
                body={"items": [{"idempotencyKey": r.idempotency_key, **r.payload} for r in chunk]},
            )
            exchange.record_keys = [r.key for r in chunk]
            exchange.record_count = len(chunk)
            answers = require_list(envelope.data, "results", f"{self.name}.submit")
            found = [o for o in map(push_outcome, answers) if o is not None]
            if len(found) != len(chunk):
                raise PermanentError(
                    "platform answered a different number of results",
                    sent=len(chunk),
                    answered=len(found),
                )
            outcomes += found
        return outcomes

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        client = self._clients.get(ctx)
        outcomes: list[PushOutcome] = []
        for start in range(0, len(idempotency_keys), MAX_BATCH):
            envelope, _ = client.call(
                "GET",
                self.receipts_path,
                operation=f"{self.name}.receipts",
                direction=Direction.PULL,
                params={"keys": ",".join(idempotency_keys[start : start + MAX_BATCH])},
            )
            answers = require_list(envelope.data, "results", f"{self.name}.receipts")
            outcomes += [o for o in map(push_outcome, answers) if o is not None]
        return outcomes

    def close(self, ctx: StreamContext) -> None:
        self._clients.close(ctx)


class ItemsStream(ReceiptPushStream):
    """The bureau's catalogue of power and public-service items, with their guides."""

    name = "items"
    path = ITEMS_PATH
    receipts_path = ITEM_RECEIPTS_PATH


class CaseEventsStream(ReceiptPushStream):
    """What the bureau did with each case: accepted, approved or rejected, completed."""

    name = "case_events"
    path = EVENTS_PATH
    receipts_path = EVENT_RECEIPTS_PATH
