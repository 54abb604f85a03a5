"""The contracts every stream keeps, as plain check functions.

Each check runs one stream against its platform (a simulator behind a :class:`FaultGate`, or a
folder) and raises :class:`ContractBroken`, naming the contract and the stream, when the stream
breaks it. :class:`gateway.testing.AdapterContract` runs them over every stream of one adapter;
the project's own suite runs them over every installed stream, and over streams broken on
purpose. They use only what an adapter author has: the stream, a :class:`Rig` that knows the
platform, and a store.

Where the runtime persists something, the checks do the same through the store: a page's
cursor and exchanges are committed in one transaction (as the pull pipeline does), and a resumed
run reads its cursor back from there.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import func, select

from gateway.adapter import (
    CURSOR_VERSION,
    OutgoingRecord,
    Page,
    PullStream,
    PushOutcome,
    PushStatus,
    PushStream,
    StreamContext,
)
from gateway.audit import AuditEvent, AuditLog
from gateway.errors import GatewayError, RetryableError
from gateway.store import Store
from gateway.store.schema import audit_log
from gateway.testing.gate import Fault, Served

RESUME = "resumed cursor neither skips nor repeats"
CURSOR_VERSIONS = "unknown cursor versions are refused"
ONE_OUTCOME = "one outcome per record sent"
LOOKUPS = "lookups chunked and consistent with sends"
EXCHANGES = "every attempt recorded as an exchange"
CLASSIFIED = "transient vs permanent errors classified"

CONTRACTS = (RESUME, CURSOR_VERSIONS, ONE_OUTCOME, LOOKUPS, EXCHANGES, CLASSIFIED)


class ContractBroken(AssertionError):
    """A stream broke a contract; the message names both and says how."""

    def __init__(self, contract: str, label: str, detail: str) -> None:
        super().__init__(f"contract {contract!r} broken by {label}: {detail}")
        self.contract = contract
        self.label = label


class Rig(Protocol):
    """The platform one stream runs against, as the checks see it."""

    label: str
    stream: PullStream | PushStream

    def context(self, *, timing_out: bool = False, **options: Any) -> StreamContext:
        """A fresh run's context (its own run id) for the stream; ``options`` are job options.
        ``timing_out``: a read timeout short enough for :data:`Fault.TIMEOUT` to meet."""
        ...

    def prepare(self) -> None:
        """Make the source hold its records afresh (a folder's files are put back)."""
        ...

    def record_key(self, raw: Mapping[str, Any]) -> str:
        """The key of a record the stream read."""
        ...

    def platform_keys(self) -> list[str] | None:
        """The keys the platform holds, read without the stream under test (``None``: unknown)."""
        ...

    def outgoing(self, count: int) -> list[OutgoingRecord]:
        """``count`` records for the push stream, never sent before."""
        ...

    def served(self) -> list[Served]:
        """Every API request the platform received so far, in order."""
        ...

    def script(self, *faults: Fault) -> None:
        """The next API requests get these faults."""
        ...


@dataclass
class Committer:
    """What the pull pipeline does with each page: cursor and exchanges in one transaction."""

    store: Store
    audit: AuditLog
    job: str
    delivered: list[str] = field(default_factory=list)
    # The origins of the inputs the source could not read: accounted like records (the runtime
    # files each as a dead letter), so a resume must neither lose nor repeat one either.
    unreadable: list[str] = field(default_factory=list)

    def commit(
        self, ctx: StreamContext, page: Page, key: Callable[[Mapping[str, Any]], str]
    ) -> None:
        self.exchanges(ctx, page.cursor)
        self.delivered += [key(record) for record in page.records]
        self.unreadable += [item.origin for item in page.unreadable]
        if page.on_commit is not None:
            page.on_commit()

    def exchanges(self, ctx: StreamContext, cursor: Mapping[str, Any] | None = None) -> None:
        events = [
            AuditEvent.from_exchange(ex, run_id=ctx.run_id, job=self.job, mapping=None)
            for ex in ctx.exchanges.drain()
        ]
        with self.store.transaction() as conn:
            if cursor is not None:
                self.store.save_checkpoint(conn, self.job, cursor, ctx.run_id)
            self.audit.append(conn, events)

    def recorded(self, run_id: str) -> tuple[int, int]:
        """Exchanges the audit log holds for ``run_id``: all, and those that got an answer."""
        query = select(func.count(), func.count(audit_log.c.http_status)).where(
            audit_log.c.run_id == run_id, audit_log.c.kind == "exchange"
        )
        with self.store.connect() as conn:
            total, answered = conn.execute(query).one()
        return int(total), int(answered)


def _sync(
    stream: PullStream,
    rig: Rig,
    committer: Committer,
    page_size: int,
    *,
    stop_after: int | None = None,
    kill_after: int | None = None,
) -> int:
    """One run of ``stream`` from the committed cursor; answers how many pages it committed.

    ``stop_after``: the run's stop event is set after that many pages (the stream ends by
    itself); ``kill_after``: the run dies after that many, its next page fetched but lost."""
    ctx = rig.context(page_size=page_size)
    cursor = committer.store.load_checkpoint(committer.job)
    pages = 0
    reading: Iterator[Page] = stream.read(ctx, cursor)
    try:
        for page in reading:
            if kill_after is not None and pages == kill_after:
                break
            committer.commit(ctx, page, rig.record_key)
            pages += 1
            if stop_after is not None and pages == stop_after:
                ctx.stop.set()
    finally:
        close = getattr(reading, "close", None)
        if close is not None:
            close()
    return pages


def _counted(keys: list[str]) -> tuple[Counter[str], int]:
    counts = Counter(keys)
    return counts, sum(1 for n in counts.values() if n > 1)


def check_resume_neither_skips_nor_repeats(
    stream: PullStream, rig: Rig, store: Store, audit: AuditLog, *, job: str, page_size: int
) -> None:
    """A full sync delivers each of the platform's keys once; a sync stopped after two pages
    (stop event), or killed between pages, then resumed from its committed cursor, delivers
    exactly the full sync's keys, none twice. Inputs the source could not read count alike:
    each reported once, by the full sync and by the resumed one."""
    rig.prepare()
    full = Committer(store, audit, f"{job}-full")
    pages = _sync(stream, rig, full, page_size)
    if pages < 3:
        raise AssertionError(f"{rig.label}: {pages} pages are too few to test a resume")
    _, repeated = _counted(full.delivered)
    if repeated:
        raise ContractBroken(RESUME, rig.label, f"{repeated} keys delivered twice by a full sync")
    _, repeated = _counted(full.unreadable)
    if repeated:
        raise ContractBroken(
            RESUME, rig.label, f"{repeated} unreadable inputs reported twice by a full sync"
        )
    held = rig.platform_keys()
    if held is not None and set(full.delivered) != set(held):
        skipped = len(set(held) - set(full.delivered))
        extra = len(set(full.delivered) - set(held))
        raise ContractBroken(
            RESUME, rig.label,
            f"a full sync skipped {skipped} of the platform's {len(held)} keys"
            + (f" and delivered {extra} it does not hold" if extra else ""),
        )  # fmt: skip
    expected = set(full.delivered)
    for how, first in (("stopped", {"stop_after": 2}), ("killed", {"kill_after": 2})):
        rig.prepare()
        run = Committer(store, audit, f"{job}-{how}")
        _sync(stream, rig, run, page_size, **first)
        before = len(run.delivered)
        _sync(stream, rig, run, page_size)
        counts, repeated = _counted(run.delivered)
        if repeated:
            raise ContractBroken(
                RESUME, rig.label,
                f"{repeated} keys repeated after resume (run {how} after {before} records)",
            )  # fmt: skip
        missing = expected - set(counts)
        if missing or set(counts) - expected:
            raise ContractBroken(
                RESUME, rig.label,
                f"{len(missing)} keys skipped and {len(set(counts) - expected)} foreign keys "
                f"delivered after resume (run {how} after {before} records)",
            )  # fmt: skip
        _check_unreadable(rig.label, set(full.unreadable), run.unreadable, how, before)


def _check_unreadable(
    label: str, expected: set[str], reported: list[str], how: str, before: int
) -> None:
    counts, repeated = _counted(reported)
    lost, foreign = expected - set(counts), set(counts) - expected
    if repeated or lost or foreign:
        raise ContractBroken(
            RESUME, label,
            f"{len(lost)} unreadable inputs lost, {repeated} reported twice and {len(foreign)} "
            f"foreign after resume (run {how} after {before} records)",
        )  # fmt: skip


def check_unknown_cursor_versions_refused(
    stream: PullStream, rig: Rig, store: Store, audit: AuditLog, *, job: str, page_size: int
) -> None:
    """A committed cursor whose version is newer than the stream's is refused with a clear
    error (a :class:`GatewayError`) before anything is read, when read and when set."""
    rig.prepare()
    committer = Committer(store, audit, job)
    _sync(stream, rig, committer, page_size, stop_after=1)
    cursor = store.load_checkpoint(job)
    if cursor is None:
        raise AssertionError(f"{rig.label}: one page committed no cursor")
    future = {**cursor, "v": CURSOR_VERSION + 1}
    with store.transaction() as conn:
        store.save_checkpoint(conn, job, future, "future")
    saved = store.load_checkpoint(job)
    assert saved is not None
    ctx = rig.context(page_size=page_size)
    asked = len(rig.served())
    pages: list[Page] = []
    try:
        pages.extend(stream.read(ctx, saved))
    except GatewayError:
        pass
    except Exception as exc:
        raise ContractBroken(
            CURSOR_VERSIONS, rig.label, f"a newer cursor raised {type(exc).__name__}, a bug"
        ) from exc
    else:
        raise ContractBroken(
            CURSOR_VERSIONS, rig.label,
            f"a cursor of version {future['v']} was read from ({len(pages)} pages)",
        )  # fmt: skip
    read = len(rig.served()) - asked
    if pages or read:
        raise ContractBroken(
            CURSOR_VERSIONS, rig.label,
            f"{read} requests made and {len(pages)} pages read before the refusal",
        )  # fmt: skip
    try:
        stream.check_cursor(future)
    except GatewayError:
        return
    raise ContractBroken(CURSOR_VERSIONS, rig.label, "check_cursor accepts a newer version")


def _send(stream: PushStream, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
    try:
        return stream.send(ctx, batch)
    finally:
        stream.close(ctx)


def check_one_outcome_per_record(stream: PushStream, rig: Rig, *, count: int) -> None:
    """Every record sent gets exactly one outcome, for its own idempotency key."""
    batch = rig.outgoing(count)
    outcomes = _send(stream, rig.context(), batch)
    sent = {r.idempotency_key for r in batch}
    answered, repeated = _counted([o.idempotency_key for o in outcomes])
    if len(outcomes) != len(batch) or repeated or set(answered) != sent:
        raise ContractBroken(
            ONE_OUTCOME, rig.label,
            f"{len(batch)} records sent, {len(outcomes)} outcomes answered "
            f"({len(sent - set(answered))} records without one, {repeated} answered twice, "
            f"{len(set(answered) - sent)} for keys not sent)",
        )  # fmt: skip


def _agrees(sent: PushOutcome, found: PushOutcome) -> bool:
    """A lookup may not know a send (unknown), but never contradicts it."""
    if found.status is PushStatus.UNKNOWN:
        return sent.status is not PushStatus.ACCEPTED
    return (found.status, found.receipt, found.code) == (sent.status, sent.receipt, sent.code)


def check_lookups_chunked_and_consistent(
    stream: PushStream, rig: Rig, *, count: int, chunk: int | None, param: str = "keys"
) -> None:
    """A lookup of ``count`` sent keys and one never sent asks at most ``chunk`` keys a request
    (``chunk``: the stream's declared size; ``None``, a lookup that asks no platform), every key
    once; its answers agree with the send's, and the key never sent is not answered as known."""
    batch = rig.outgoing(count)
    ctx = rig.context()
    never = f"never-sent-{batch[0].idempotency_key}"
    keys = [r.idempotency_key for r in batch] + [never]
    try:
        sent = {o.idempotency_key: o for o in stream.send(ctx, batch)}
        asked = len(rig.served())
        found = stream.lookup(ctx, keys)
        lookups = rig.served()[asked:]
    finally:
        stream.close(ctx)
    if found is None:
        raise ContractBroken(LOOKUPS, rig.label, "the stream cannot look its sends up")
    if chunk is not None:
        sizes = [len(",".join(s.params.get(param, [])).split(",")) for s in lookups]
        wanted = math.ceil(len(keys) / chunk)
        if len(sizes) != wanted or max(sizes, default=0) > chunk:
            raise ContractBroken(
                LOOKUPS, rig.label,
                f"{len(keys)} keys looked up in {len(sizes)} requests of {sizes} keys "
                f"(chunks of {chunk}: {wanted} requests)",
            )  # fmt: skip
        asked_keys = [k for s in lookups for k in ",".join(s.params.get(param, [])).split(",")]
        if sorted(asked_keys) != sorted(keys):
            raise ContractBroken(LOOKUPS, rig.label, "the lookup did not ask each key once")
    answers = {o.idempotency_key: o for o in found}
    disagree = [k for k, o in sent.items() if k in answers and not _agrees(o, answers[k])]
    lost = [k for k, o in sent.items() if o.status is PushStatus.ACCEPTED and k not in answers]
    if disagree or lost:
        raise ContractBroken(
            LOOKUPS, rig.label,
            f"{len(disagree)} lookup answers contradict the send's, "
            f"{len(lost)} accepted sends not found",
        )  # fmt: skip
    if never in answers and answers[never].status is not PushStatus.UNKNOWN:
        raise ContractBroken(LOOKUPS, rig.label, "a key never sent was answered as known")


def check_every_attempt_recorded(
    stream: PullStream | PushStream,
    rig: Rig,
    store: Store,
    audit: AuditLog,
    *,
    job: str,
    page_size: int = 50,
) -> None:
    """With a server error and a timeout in the way (both retried), the audit log holds an
    exchange for every request the platform received, the failed attempts included."""
    faults = (Fault.SERVER_ERROR, Fault.TIMEOUT)
    committer = Committer(store, audit, job)
    rig.prepare()
    batch = rig.outgoing(3) if isinstance(stream, PushStream) else []
    asked = len(rig.served())
    rig.script(*faults)
    if isinstance(stream, PullStream):
        ctx = rig.context(timing_out=True, page_size=page_size)
        for page in stream.read(ctx, None):
            committer.commit(ctx, page, rig.record_key)
    else:
        ctx = rig.context(timing_out=True)
        try:
            stream.send(ctx, batch)
            stream.lookup(ctx, [r.idempotency_key for r in batch])
        finally:
            stream.close(ctx)
        committer.exchanges(ctx)
    requests = len(rig.served()) - asked
    recorded, answered = committer.recorded(ctx.run_id)
    # An attempt the client gave up on (a timeout) may never reach a busy server: it is an
    # exchange without an answer. An answer is always an exchange, every request at least one.
    if not answered <= requests <= recorded:
        raise ContractBroken(
            EXCHANGES, rig.label,
            f"the platform received {requests} requests, the audit log holds {recorded} "
            f"exchanges ({answered} answered)",
        )  # fmt: skip
    if requests < len(faults) + 1:
        raise AssertionError(f"{rig.label}: the scripted faults were not met ({requests} requests)")


def _one_call(stream: PullStream | PushStream, rig: Rig, fault: Fault) -> None:
    """One platform operation, its first request answered with ``fault``: the first page of a
    pull, or a send of two records."""
    batch = rig.outgoing(2) if isinstance(stream, PushStream) else []
    ctx = rig.context(timing_out=fault is Fault.TIMEOUT, page_size=10)
    rig.script(fault)
    if isinstance(stream, PullStream):
        reading = stream.read(ctx, None)
        try:
            next(iter(reading))
        finally:
            close = getattr(reading, "close", None)
            if close is not None:
                close()
        return
    _send(stream, ctx, batch)


def check_errors_classified(stream: PullStream | PushStream, rig: Rig) -> None:
    """A server error and a timeout are retried (the call succeeds on the next attempt); a
    400 answer is not (one request, and an error that is not retryable)."""
    rig.prepare()
    for fault in (Fault.SERVER_ERROR, Fault.TIMEOUT):
        asked = len(rig.served())
        try:
            _one_call(stream, rig, fault)
        except GatewayError as exc:
            raise ContractBroken(
                CLASSIFIED, rig.label, f"a {fault} was not retried: {type(exc).__name__}"
            ) from exc
        # More than one retry is a slow answer timed out as well: a loaded machine's, not a bug.
        if len(rig.served()) - asked < 2:
            raise ContractBroken(CLASSIFIED, rig.label, f"a {fault} was taken for an answer")
    asked = len(rig.served())
    try:
        _one_call(stream, rig, Fault.BAD_REQUEST)
    except RetryableError:
        refused = False
    except GatewayError:
        refused = True
    else:
        refused = False
    requests = len(rig.served()) - asked
    if requests != 1:
        raise ContractBroken(
            CLASSIFIED, rig.label, f"a 400 answer was retried ({requests} requests for one call)"
        )
    if not refused:
        raise ContractBroken(
            CLASSIFIED, rig.label, "a 400 answer did not end the call with a permanent error"
        )


# Which contract applies to which kind of stream (``APPLIES``), or why it does not. The suite
# runs every pair that applies and checks that this table names every kind and contract.
APPLIES = None
_NO_OUTCOMES = "a pull sends no records"
_NO_LOOKUPS = "a pull sends nothing to look up"
_NO_CURSOR = "a push keeps no cursor: the outbox table says what is left to send"
_NO_ATTEMPTS = "a folder has no attempts to count: a file is read or written once, never retried"
_NO_STATUSES = "a folder answers no statuses: an unreadable file is a dead letter"
_EXPORT = "an export writes one whole file per month from the store, sends no batches"
APPLICABILITY: dict[str, dict[str, str | None]] = {
    "http-pull": {
        RESUME: APPLIES,
        CURSOR_VERSIONS: APPLIES,
        ONE_OUTCOME: _NO_OUTCOMES,
        LOOKUPS: _NO_LOOKUPS,
        EXCHANGES: APPLIES,
        CLASSIFIED: APPLIES,
    },
    "http-push": {
        RESUME: _NO_CURSOR,
        CURSOR_VERSIONS: _NO_CURSOR,
        ONE_OUTCOME: APPLIES,
        LOOKUPS: APPLIES,
        EXCHANGES: APPLIES,
        CLASSIFIED: APPLIES,
    },
    "files-pull": {
        RESUME: APPLIES,
        CURSOR_VERSIONS: APPLIES,
        ONE_OUTCOME: _NO_OUTCOMES,
        LOOKUPS: _NO_LOOKUPS,
        EXCHANGES: _NO_ATTEMPTS,
        CLASSIFIED: _NO_STATUSES,
    },
    "files-push": {
        RESUME: _NO_CURSOR,
        CURSOR_VERSIONS: _NO_CURSOR,
        ONE_OUTCOME: APPLIES,
        # A lookup of the run's own journal: consistency applies, chunking does not.
        LOOKUPS: APPLIES,
        EXCHANGES: _NO_ATTEMPTS,
        CLASSIFIED: _NO_STATUSES,
    },
    # A monthly file built whole from the store (the justice bureau's notice): no cursor, no
    # batches, one file write; the project checks it row by row in its own tests.
    "export": {
        RESUME: _EXPORT,
        CURSOR_VERSIONS: _EXPORT,
        ONE_OUTCOME: _EXPORT,
        LOOKUPS: _EXPORT,
        EXCHANGES: _EXPORT,
        CLASSIFIED: _EXPORT,
    },
}


def applies(kind: str, contract: str) -> bool:
    return APPLICABILITY[kind][contract] is APPLIES
