"""The labor-force platform's streams: ``persons`` (pull) and ``verifications`` (push)."""

from __future__ import annotations

from gateway.adapter import (
    Direction,
    OutgoingRecord,
    PushOutcome,
    PushStream,
    StreamContext,
)
from gateway.errors import PermanentError
from gateway.http.streams import IncrementalPullStream, RunClients, push_outcome, require_list

PERSONS_PATH = "/api/v1/persons"
VERIFICATIONS_PATH = "/api/v1/verifications"
RECEIPTS_PATH = "/api/v1/verifications/receipts"


class PersonsStream(IncrementalPullStream):
    """Persons read incrementally by (AAE036, AAC002), so a cursor resumes exactly."""

    name = "persons"
    path = PERSONS_PATH
    operation = "persons.list"
    updated_field = "AAE036"
    key_field = "AAC002"
    max_page_size = 5000


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
