"""Building blocks for HTTP streams: a client per run, answer checks, per-record outcomes, and
the incremental pull and receipted push the platforms share."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

from gateway.adapter import (
    CURSOR_VERSION,
    MALFORMED,
    Direction,
    Exchange,
    Holdings,
    KeyRange,
    OutgoingRecord,
    Page,
    PullStream,
    PushOutcome,
    PushStatus,
    PushStream,
    StreamContext,
)
from gateway.errors import ConfigError, PermanentError, StoreError
from gateway.http.breaker import CircuitBreaker
from gateway.http.client import PlatformClient, ResponseClassifier
from gateway.http.paging import KeysetPaginator, PageAnswer, PageRequest, Paginator
from gateway.masking import scrub_text

__all__ = [
    "IncrementalPullStream",
    "Position",
    "ReceiptPushStream",
    "RunClients",
    "open_client",
    "push_outcome",
    "require_list",
]


def open_client(ctx: StreamContext, classifier: ResponseClassifier | None = None) -> PlatformClient:
    """A signed client for the context's platform: its secret read through the context, its
    breaker over the run's ledger, its exchanges to the run's recorder and observers, over the
    context's transport (a real connection unless a test passes one)."""
    secret_ref = ctx.platform.app_secret
    if secret_ref is None:
        raise ConfigError("platform has no app_secret reference", platform=ctx.platform_name)
    return PlatformClient(
        ctx.platform_name,
        ctx.platform,
        ctx.exchanges,
        secret=ctx.secret(secret_ref),
        classifier=classifier,
        transport=ctx.transport,
        breaker=CircuitBreaker(
            ctx.platform_name, ctx.platform.breaker, ctx.breakers, base_url=ctx.platform.base_url
        ),
        observers=ctx.observers,
    )


class RunClients:
    """One client per run for push streams, whose ``send`` is called once per batch."""

    def __init__(self, classifier: ResponseClassifier | None = None) -> None:
        self._classifier = classifier
        self._clients: dict[str, PlatformClient] = {}
        self._lock = threading.Lock()

    def get(self, ctx: StreamContext) -> PlatformClient:
        with self._lock:
            client = self._clients.get(ctx.run_id)
            if client is None:
                client = self._clients[ctx.run_id] = open_client(ctx, self._classifier)
            return client

    def close(self, ctx: StreamContext) -> None:
        with self._lock:
            client = self._clients.pop(ctx.run_id, None)
        if client is not None:
            client.close()


def require_list(data: Any, field: str, where: str) -> list[Any]:
    value = data.get(field) if isinstance(data, dict) else None
    if not isinstance(value, list):
        raise PermanentError("platform answer lacks a list", field=field, operation=where)
    return value


def push_outcome(item: Any) -> PushOutcome | None:
    """One record's answer in the shared dialect: ``{"idempotencyKey", "status": "accepted",
    "receiptNo"}`` or ``{"idempotencyKey", "status": "rejected", "code", "reason"}``."""
    if not isinstance(item, dict) or not item.get("idempotencyKey"):
        return None
    key = str(item["idempotencyKey"])
    status = item.get("status")
    if status == "accepted":
        return PushOutcome(key, PushStatus.ACCEPTED, receipt=str(item.get("receiptNo") or ""))
    if status == "rejected":
        return PushOutcome(
            key,
            PushStatus.REJECTED,
            code=str(item.get("code") or "REJECTED"),
            reason=scrub_text(str(item.get("reason") or "rejected by the platform")),
        )
    return PushOutcome(key, PushStatus.UNKNOWN)


Position = dict[str, Any]


def _as_record(item: Any) -> dict[str, Any]:
    return item if isinstance(item, dict) else {MALFORMED: "not an object"}


class IncrementalPullStream(PullStream):
    """A list the platform serves in (update time, key) order, read from a cursor.

    Subclasses declare the route and the two fields. By default the platform is asked for the
    records strictly after ``(updated_since, after_key)`` (:class:`KeysetPaginator`), so records
    that share one update time across a page boundary are neither skipped nor read twice, and a
    committed cursor resumes exactly. A platform that pages otherwise is declared with another
    ``paginator`` (:mod:`gateway.http.paging`: page number, offset, next link). The page size
    is the job's ``page_size`` option (its ``batch_size`` unless set), at most ``max_page_size``.

    A platform that can be reconciled also serves, for ``holdings_path``, the count and range
    digest of key ranges (``POST {"ranges": [{"low", "high"}]}`` answered by ``{"ranges":
    [{"count", "digest"}]}``) and, for ``range_path``, its records by key (``GET ?low&high&
    after_key&page_size``, answered like the list); docs/reconcile.md.
    """

    path: str
    operation: str
    updated_field: str
    key_field: str
    default_page_size: int = 1000
    max_page_size: int = 1000
    holdings_path: str | None = None
    range_path: str | None = None
    # Ranges asked for in one holdings call: each costs the platform a read of its keys.
    ranges_per_call: int = 8
    # None: keyset paging over (updated_field, key_field), what every built-in platform speaks.
    paginator: ClassVar[Paginator | None] = None
    # The list's query parameter that keeps one partition's records (None: not partitionable),
    # and what its values look like.
    partition_param: ClassVar[str | None] = None
    partition_pattern: ClassVar[str] = r"[A-Za-z0-9_.-]+"

    def named_partitions(self, name: str, argument: str) -> list[str] | None:
        """The values of a set of partitions this stream offers by name (``None``: no such
        set); none by default."""
        return None

    def partition_values(self, declared: Sequence[str] | str) -> list[str]:
        if self.partition_param is None:
            return super().partition_values(declared)
        if isinstance(declared, str):
            name, _, argument = declared.partition(":")
            found = self.named_partitions(name, argument)
            if found is None:
                raise ConfigError("no such set of partitions", stream=self.name, set=declared)
            if not found:
                raise ConfigError("the set of partitions is empty", stream=self.name, set=declared)
            return found
        for value in declared:
            if not re.fullmatch(self.partition_pattern, value):
                raise ConfigError(
                    "not a partition this stream can filter by",
                    stream=self.name, value=value, expected=self.partition_pattern,
                )  # fmt: skip
        return list(declared)

    def paging(self) -> Paginator:
        """The declared paginator, or keyset paging over this stream's two fields."""
        return self.paginator or KeysetPaginator(self.updated_field, self.key_field)

    def page_size(self, ctx: StreamContext) -> int:
        size = ctx.options_as(self.options_model).page_size or self.default_page_size
        return min(size, self.max_page_size)

    @property
    def reconcilable(self) -> bool:
        return self.holdings_path is not None and self.range_path is not None

    def record_key(self, raw: Mapping[str, Any]) -> str | None:
        value = raw.get(self.key_field)
        return str(value) if value not in (None, "") else None

    def holdings(self, ctx: StreamContext, ranges: list[KeyRange]) -> list[Holdings]:
        if self.holdings_path is None:
            return super().holdings(ctx, ranges)
        operation = f"{self.name}.holdings"
        found: list[Holdings] = []
        with open_client(ctx) as client:
            for start in range(0, len(ranges), self.ranges_per_call):
                chunk = ranges[start : start + self.ranges_per_call]
                body = {"ranges": [{"low": r.low, "high": r.high} for r in chunk]}
                envelope, _ = client.call(
                    "POST", self.holdings_path, operation=operation, direction=Direction.PULL,
                    body=body,
                )  # fmt: skip
                answers = require_list(envelope.data, "ranges", operation)
                if len(answers) != len(chunk):
                    raise PermanentError(
                        "platform did not answer every range", operation=operation,
                        asked=len(chunk), answered=len(answers),
                    )  # fmt: skip
                for key_range, answer in zip(chunk, answers, strict=True):
                    found.append(_holding(key_range, answer, operation))
        return found

    def records_between(
        self, ctx: StreamContext, key_range: KeyRange
    ) -> Iterator[list[dict[str, Any]]]:
        if self.range_path is None:
            yield from super().records_between(ctx, key_range)
            return
        operation = f"{self.name}.range"
        size = self.page_size(ctx)
        after: str | None = None
        with open_client(ctx) as client:
            while True:
                params = {"page_size": str(size)}
                if key_range.low is not None:
                    params["low"] = key_range.low
                if key_range.high is not None:
                    params["high"] = key_range.high
                if after is not None:
                    params["after_key"] = after
                envelope, exchange = client.call(
                    "GET", self.range_path, operation=operation, direction=Direction.PULL,
                    params=params,
                )  # fmt: skip
                data = envelope.data if isinstance(envelope.data, dict) else {}
                items = require_list(data, "items", operation)
                exchange.record_count = len(items)
                yield [_as_record(item) for item in items]
                nxt = data.get("next")
                if (
                    not data.get("has_more")
                    or not isinstance(nxt, dict)
                    or not nxt.get("after_key")
                ):
                    return
                after = str(nxt["after_key"])

    def read(self, ctx: StreamContext, cursor: Position | None) -> Iterator[Page]:
        for records, position, exchange, total in self.counted_pages(ctx, cursor):
            yield Page(
                records=records,
                cursor=position,
                source=f"{ctx.platform_name}:{self.name}",
                exchange=exchange,
                total=total,
            )

    def check_cursor(self, cursor: Mapping[str, Any]) -> None:
        """The cursor of this stream's paginator (keyset: ``{"v": 1, "updated_since": TEXT,
        "after_key": TEXT}`` and nothing else)."""
        super().check_cursor(cursor)
        try:
            self.paging().check(cursor)
        except ConfigError as exc:
            exc.context.setdefault("stream", self.name)
            raise

    def pages(
        self, ctx: StreamContext, cursor: Position | None
    ) -> Iterator[tuple[list[dict[str, Any]], Position | None, Exchange]]:
        """Each page's records (a non-object item as a malformed record), the position after
        it, and the exchange that fetched it."""
        for records, position, exchange, _total in self.counted_pages(ctx, cursor):
            yield records, position, exchange

    def counted_pages(
        self, ctx: StreamContext, cursor: Position | None
    ) -> Iterator[tuple[list[dict[str, Any]], Position | None, Exchange, int | None]]:
        """As :meth:`pages`, with the platform's ``total`` when its answer carries one."""
        if cursor is not None and cursor.get("v") != CURSOR_VERSION:
            raise StoreError(f"{self.name} cursor has an unknown format version", job=ctx.job)
        paginator = self.paging()
        request: PageRequest | None = paginator.first(cursor, self.page_size(ctx))
        only = (
            {self.partition_param: ctx.partition} if self.partition_param and ctx.partition else {}
        )
        if ctx.partition is not None and not only:
            raise ConfigError("this stream cannot be partitioned", stream=self.name)
        with open_client(ctx) as client:
            while request is not None and not ctx.stop.is_set():
                envelope, exchange = client.call(
                    "GET", request.path or self.path, operation=self.operation,
                    direction=Direction.PULL, params={**request.params, **only},
                )  # fmt: skip
                data = envelope.data if isinstance(envelope.data, dict) else {}
                items = require_list(data, "items", self.operation)
                total = data.get("total")
                step = paginator.advance(PageAnswer(data, items, request, cursor))
                cursor, request = step.cursor, step.next
                exchange.record_count = len(items)
                counted = total if type(total) is int and total >= 0 else None
                yield [_as_record(item) for item in items], cursor, exchange, counted


def _holding(key_range: KeyRange, answer: Any, operation: str) -> Holdings:
    count = answer.get("count") if isinstance(answer, dict) else None
    digest = answer.get("digest") if isinstance(answer, dict) else None
    if not isinstance(count, int) or count < 0 or not isinstance(digest, str):
        raise PermanentError(
            "platform answered a range without count and digest", operation=operation
        )
    return Holdings(key_range, count, digest)


class ReceiptPushStream(PushStream):
    """A push answered record by record, with a receipts route for sends whose answer was lost.

    The dialect all three provincial platforms speak: records go out as ``{"items": [...]}``
    with their idempotency keys, at most ``batch_limit`` a request; each comes back accepted
    (with a receipt) or rejected (with the platform's code and reason); ``receipts_path``
    answers, ``receipt_keys_per_call`` keys at a time, what became of earlier sends. An adapter
    declares ``name``, ``path`` and ``receipts_path`` (as class attributes or in ``__init__``).
    """

    path: str
    receipts_path: str
    batch_limit = 500
    # 100 keys of 32 characters keep the request line well under the 16 KiB servers accept.
    receipt_keys_per_call = 100

    def __init__(self) -> None:
        self._clients = RunClients()

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        client = self._clients.get(ctx)
        operation = f"{self.name}.submit"
        outcomes: list[PushOutcome] = []
        for start in range(0, len(batch), self.batch_limit):
            chunk = batch[start : start + self.batch_limit]
            envelope, exchange = client.call(
                "POST",
                self.path,
                operation=operation,
                direction=Direction.PUSH,
                body={"items": [{"idempotencyKey": r.idempotency_key, **r.payload} for r in chunk]},
            )
            exchange.record_keys = [r.key for r in chunk]
            exchange.record_count = len(chunk)
            found = _outcomes(envelope.data, operation)
            sent = {r.idempotency_key for r in chunk}
            if len(found) != len(chunk) or {o.idempotency_key for o in found} != sent:
                raise PermanentError(
                    "platform did not answer exactly the records sent",
                    operation=operation,
                    sent=len(chunk),
                    answered=len(found),
                )
            outcomes += found
        return outcomes

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        client = self._clients.get(ctx)
        operation = f"{self.name}.receipts"
        found: list[PushOutcome] = []
        for start in range(0, len(idempotency_keys), self.receipt_keys_per_call):
            keys = idempotency_keys[start : start + self.receipt_keys_per_call]
            envelope, _ = client.call(
                "GET",
                self.receipts_path,
                operation=operation,
                direction=Direction.PULL,
                params={"keys": ",".join(keys)},
            )
            found += _outcomes(envelope.data, operation)
        return found

    def close(self, ctx: StreamContext) -> None:
        self._clients.close(ctx)


def _outcomes(data: Any, operation: str) -> list[PushOutcome]:
    return [o for o in map(push_outcome, require_list(data, "results", operation)) if o]
