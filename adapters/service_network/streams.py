"""The service network's streams: ``items`` and ``case_events`` (push), ``cases`` (pull).

Every request is signed with HMAC-SM3 by :class:`~gateway.http.client.PlatformClient` (the
platform's ``signature: hmac-sm3`` setting). Pushes carry each record's idempotency key, so a
resend after a lost answer is recognised by the platform, and the receipts routes answer what
became of earlier sends.
"""

from __future__ import annotations

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


class CasesStream(IncrementalPullStream):
    """Applications from the one-stop portal, read incrementally by (updateTime, caseNo)."""

    name = "cases"
    path = CASES_PATH
    operation = "cases.list"
    updated_field = "updateTime"
    key_field = "caseNo"
    default_page_size = MAX_PAGE
    max_page_size = MAX_PAGE


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
