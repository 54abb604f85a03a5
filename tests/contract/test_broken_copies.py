"""Deliberately broken copies of built-in streams fail the very checks the suite runs, each
with a message naming the contract it breaks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from adapters.labor_force.streams import PersonsStream, VerificationsStream
from gateway.adapter import (
    CURSOR_VERSION,
    Direction,
    Exchange,
    ExchangeRecorder,
    OutgoingRecord,
    Page,
    PushOutcome,
    StreamContext,
    UnreadableInput,
)
from gateway.audit import AuditLog
from gateway.errors import RetryableError
from gateway.http.client import Envelope, PlatformClient, ResponseClassifier
from gateway.http.streams import Position, RunClients, push_outcome, require_list
from gateway.store import Store
from gateway.testing import checks
from gateway.testing.checks import ContractBroken
from tests.contract.conftest import Rigs
from tests.contract.platforms import StreamCase
from tests.contract.test_contracts import run_contract

PERSONS = StreamCase("labor_force", Direction.PULL, "persons")
VERIFICATIONS = StreamCase("labor_force", Direction.PUSH, "verifications")

Counted = tuple[list[dict[str, Any]], Position | None, Exchange, int | None]


class DropsLastPage(PersonsStream):
    """Its pagination loses the last page: the platform's last records never arrive."""

    def counted_pages(self, ctx: StreamContext, cursor: Position | None) -> Iterator[Counted]:
        held: Counted | None = None
        for page in super().counted_pages(ctx, cursor):
            if held is not None:
                yield held
            held = page


class CursorRunsAhead(PersonsStream):
    """Gives each page the cursor of the page after it: a run that dies loses a page."""

    def counted_pages(self, ctx: StreamContext, cursor: Position | None) -> Iterator[Counted]:
        held: Counted | None = None
        for page in super().counted_pages(ctx, cursor):
            if held is not None:
                yield held[0], page[1], held[2], held[3]
            held = page
        if held is not None:
            yield held


class CursorLagsBehind(PersonsStream):
    """Gives each page the cursor from before it: a resumed run reads a page again."""

    def counted_pages(self, ctx: StreamContext, cursor: Position | None) -> Iterator[Counted]:
        before = cursor
        for records, after, exchange, total in super().counted_pages(ctx, cursor):
            yield records, before, exchange, total
            before = after


_REFUSED = UnreadableInput("contract.xlsx", "sha256:" + "0" * 64, "not a workbook", {})


class RefusesItsInputAgain(PersonsStream):
    """Reports an input it cannot read on every run's first page, whatever its cursor says was
    reported: a resumed run files it twice."""

    def read(self, ctx: StreamContext, cursor: Any) -> Iterator[Page]:
        for n, page in enumerate(super().read(ctx, cursor)):
            if n == 0:
                page.unreadable = [_REFUSED]
            yield page


class ForgetsItsInput(PersonsStream):
    """Reports an input it cannot read on a run's third page, but only on a run from the start:
    a resumed run never files it."""

    def read(self, ctx: StreamContext, cursor: Any) -> Iterator[Page]:
        for n, page in enumerate(super().read(ctx, cursor)):
            if n == 2 and cursor is None:
                page.unreadable = [_REFUSED]
            yield page


class ReadsAnyVersion(PersonsStream):
    """Reads a cursor of any version as if it were its own."""

    def counted_pages(self, ctx: StreamContext, cursor: Position | None) -> Iterator[Counted]:
        own = {**cursor, "v": CURSOR_VERSION} if cursor is not None else None
        yield from super().counted_pages(ctx, own)

    def check_cursor(self, cursor: Any) -> None:
        return


class RetriesClientErrors(ResponseClassifier):
    """Takes a refusal (HTTP 4xx) for a passing accident."""

    def classify(self, response: httpx.Response) -> Envelope:
        if 400 <= response.status_code < 500:
            raise RetryableError("treated as transient", status=response.status_code)
        return super().classify(response)


class RetriesA400(VerificationsStream):
    def __init__(self) -> None:
        super().__init__()
        self._clients = RunClients(RetriesClientErrors())


class KeepsAnswersOnly(ExchangeRecorder):
    """Passes on the exchanges that succeeded; failed attempts vanish."""

    def __init__(self, recorder: ExchangeRecorder) -> None:
        super().__init__()
        self._recorder = recorder

    def record(self, exchange: Exchange) -> None:
        if exchange.outcome == "ok":
            self._recorder.record(exchange)


class ForgetfulClients(RunClients):
    def get(self, ctx: StreamContext) -> PlatformClient:
        client = super().get(ctx)
        client.recorder = KeepsAnswersOnly(ctx.exchanges)
        return client


class RecordsSuccessesOnly(VerificationsStream):
    def __init__(self) -> None:
        super().__init__()
        self._clients = ForgetfulClients()


class AnswersOneShort(VerificationsStream):
    """Loses the last record's outcome of every send."""

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        return super().send(ctx, batch)[:-1]


class IgnoresItsChunk(VerificationsStream):
    """Declares lookups of ``receipt_keys_per_call`` keys a request, asks them all at once."""

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        envelope, _ = self._clients.get(ctx).call(
            "GET", self.receipts_path, operation=f"{self.name}.receipts", direction=Direction.PULL,
            params={"keys": ",".join(idempotency_keys)},
        )  # fmt: skip
        answers = map(push_outcome, require_list(envelope.data, "results", self.name))
        return [answer for answer in answers if answer is not None]


BROKEN = [
    pytest.param(
        PERSONS, DropsLastPage(), checks.RESUME,
        "a full sync skipped 20 of the platform's 300 keys",
        id="pagination drops the last page",
    ),
    pytest.param(
        PERSONS, CursorRunsAhead(), checks.RESUME,
        "40 keys skipped and 0 foreign keys delivered after resume (run killed after 80 records)",
        id="cursor runs ahead of its page",
    ),
    pytest.param(
        PERSONS, CursorLagsBehind(), checks.RESUME,
        "40 keys repeated after resume (run stopped after 80 records)",
        id="cursor lags behind its page",
    ),
    pytest.param(
        PERSONS, RefusesItsInputAgain(), checks.RESUME,
        "0 unreadable inputs lost, 1 reported twice and 0 foreign after resume (run stopped "
        "after 80 records)",
        id="unreadable input reported again on resume",
    ),
    pytest.param(
        PERSONS, ForgetsItsInput(), checks.RESUME,
        "1 unreadable inputs lost, 0 reported twice and 0 foreign after resume (run stopped "
        "after 80 records)",
        id="unreadable input lost on resume",
    ),
    pytest.param(
        PERSONS, ReadsAnyVersion(), checks.CURSOR_VERSIONS,
        "a cursor of version 2 was read from",
        id="cursor of any version read",
    ),
    pytest.param(
        VERIFICATIONS, RecordsSuccessesOnly(), checks.EXCHANGES,
        # How many requests depends on a loaded machine's timeouts; that some go unrecorded not.
        "the platform received ",
        id="failed attempts not recorded",
    ),
    pytest.param(
        VERIFICATIONS, RetriesA400(), checks.CLASSIFIED,
        "a 400 answer was retried (2 requests for one call)",
        id="classifier retries a 400",
    ),
    pytest.param(
        VERIFICATIONS, AnswersOneShort(), checks.ONE_OUTCOME,
        "250 records sent, 249 outcomes answered (1 records without one",
        id="push answers fewer outcomes",
    ),
    pytest.param(
        VERIFICATIONS, IgnoresItsChunk(), checks.LOOKUPS,
        "251 keys looked up in 1 requests of [251] keys (chunks of 100: 3 requests)",
        id="lookup ignores its chunk",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "stream", "contract", "detail"), BROKEN)
def test_a_broken_copy_fails_its_contract_by_name(
    case: StreamCase,
    stream: PersonsStream | VerificationsStream,
    contract: str,
    detail: str,
    rigs: Rigs,
    contract_store: Store,
    audit: AuditLog,
) -> None:
    rig = rigs(case, stream)
    with pytest.raises(ContractBroken) as broken:
        run_contract(contract, case, rig, contract_store, audit)
    assert str(broken.value).startswith(f"contract {contract!r} broken by {case.label}: {detail}")
    assert broken.value.contract == contract
