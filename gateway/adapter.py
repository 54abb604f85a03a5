"""The contract between the runtime and an adapter.

An adapter is a package that exposes one :class:`Adapter` object through the ``gateway.adapters``
entry-point group. It declares pull streams (platform → gateway) and push streams (gateway →
platform); the runtime never imports an adapter by name.

A pull stream yields :class:`Page` objects. Each page carries the raw records, the cursor that
holds *after* the page, and an optional ``on_commit`` hook (the files adapter moves a finished
file with it). The runtime persists the cursor in the same transaction as the page's records, so
a restart resumes exactly.

A push stream receives :class:`OutgoingRecord` batches already shaped by the push mapping and
answers one :class:`PushOutcome` per record. Every HTTP attempt or file operation is reported to
``ctx.exchanges`` as an :class:`Exchange`, which the runtime writes to the audit log in the same
transaction as the data it describes.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from importlib import import_module
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from gateway.calendar_years import DEFAULT_BOOK, HolidayBook
from gateway.errors import ConfigError

if TYPE_CHECKING:
    from gateway.config import GatewayConfig, PlatformConfig
    from gateway.demo import DemoContext, DemoPart
    from gateway.reporting import ReportViewer
    from gateway.store import Store

ENTRY_POINT_GROUP = "gateway.adapters"
CURSOR_VERSION = 1
# A record a source could not parse carries only this field, with a short reason; the runtime
# sends it to the dead-letter queue with its place (file and row, or page).
MALFORMED = "__error__"


class Direction(StrEnum):
    PULL = "pull"
    PUSH = "push"


@dataclass
class Exchange:
    """One exchange with an external system (an HTTP attempt, a file read or write)."""

    platform: str
    direction: Direction
    operation: str
    endpoint: str
    attempt: int = 1
    http_status: int | None = None
    business_code: str | None = None
    duration_ms: float = 0.0
    request_body: bytes = b""
    response_body: bytes = b""
    outcome: str = "ok"
    error: str | None = None
    record_count: int = 0
    record_keys: list[str] = field(default_factory=list)
    # How the exchange was read or written when that is not fixed (a file's encoding): no data.
    detail: str | None = None


class ExchangeRecorder:
    """Collects exchanges until the runtime writes them with the data they describe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Exchange] = []

    def record(self, exchange: Exchange) -> None:
        with self._lock:
            self._pending.append(exchange)

    def drain(self) -> list[Exchange]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending


@dataclass
class StreamContext:
    """What a stream may use while it runs: its platform, its job's options, the recorder, and
    the configuration's holiday book (the days deadlines count in)."""

    job: str
    run_id: str
    platform_name: str
    platform: PlatformConfig
    options: Mapping[str, Any]
    exchanges: ExchangeRecorder
    stop: threading.Event = field(default_factory=threading.Event)
    base_dir: str = "."
    # The input fields the job's mapping reads (a workbook's sheet is found by its header).
    expected_fields: frozenset[str] = frozenset()
    holidays: HolidayBook = DEFAULT_BOOK


@dataclass(frozen=True)
class UnreadableInput:
    """Input a source could not read as records at all: a whole file, or the rest of one.

    The runtime files it as a dead letter of its own and ends the run ``partial``. ``origin``
    names the input stably (``sha256:DIGEST`` for a file, whatever its name); ``detail`` says
    where reading stopped (row, byte) and must hold no cell value.
    """

    source: str
    origin: str
    reason: str
    detail: Mapping[str, Any]


@dataclass
class Page:
    """Raw records from a source, with the cursor that holds once they are committed.

    ``refs`` names where each record came from (``file.csv#17``) when that is finer than the
    page; ``on_commit`` runs after the page's transaction commits. ``exchange`` is the exchange
    that fetched the page: the runtime adds the keys of the records it carried. ``origins``
    names each record's place stably across re-reads (file digest and row), for the
    dead-letter queue's de-duplication; ``unreadable`` is input the source could not read.
    ``total`` is how many records the platform says list from this page's request on (this
    page's included), when it says so: what progress shows a percentage and an ETA from.
    """

    records: list[dict[str, Any]]
    cursor: dict[str, Any] | None
    refs: list[str] | None = None
    source: str = ""
    on_commit: Callable[[], None] | None = None
    exchange: Exchange | None = None
    origins: list[str] | None = None
    unreadable: list[UnreadableInput] = field(default_factory=list)
    total: int | None = None


class PushStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class OutgoingRecord:
    key: str
    idempotency_key: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class PushOutcome:
    idempotency_key: str
    status: PushStatus
    receipt: str | None = None
    code: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class KeyRange:
    """Keys from ``low`` (inclusive) to ``high`` (exclusive); ``None`` leaves that end open.

    Keys compare as Python strings do (by code point), the order a platform is asked to use."""

    low: str | None = None
    high: str | None = None

    def holds(self, key: str) -> bool:
        return (self.low is None or key >= self.low) and (self.high is None or key < self.high)


@dataclass(frozen=True)
class Holdings:
    """What a platform holds in one key range: how many records and their range digest
    (:mod:`gateway.reconcile.digest`)."""

    range: KeyRange
    count: int
    digest: str


class PullStream(ABC):
    """A stream the gateway reads from a platform or an inbox.

    A stream that can be reconciled (``gateway reconcile``) also answers :meth:`holdings` and
    :meth:`records_between`; both are optional, and :attr:`reconcilable` says whether they are
    there.
    """

    name: str
    direction = Direction.PULL

    @abstractmethod
    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        """Yield pages from ``cursor`` on (``None``: from the beginning)."""

    def readmit(
        self,
        ctx: StreamContext,
        cursor: dict[str, Any] | None,
        source: str,
        detail: Mapping[str, Any],
    ) -> dict[str, Any] | None:
        """Make the input a whole-input dead letter names (its ``source`` and ``detail``)
        readable by the next read again; answer the cursor that no longer counts it as read.

        ``dlq replay`` calls this, then runs the job. A source whose input cannot be read twice
        (an HTTP page is fetched again by resetting the cursor instead) keeps the default."""
        raise ConfigError("this stream cannot read a whole input again", stream=self.name)

    def still_waiting(self, ctx: StreamContext, source: str) -> bool:
        """Whether readmitted input ``source`` is still waiting to be read (a run that did not
        take it must not count its letter replayed)."""
        return False

    @property
    def reconcilable(self) -> bool:
        return False

    def record_key(self, raw: Mapping[str, Any]) -> str | None:
        """The platform's key of one of its records, as it orders them (before the mapping:
        a record the mapping rejects still has one)."""
        return None

    def holdings(self, ctx: StreamContext, ranges: list[KeyRange]) -> list[Holdings]:
        """Count and range digest of what the platform holds in each of ``ranges``
        (consecutive, ascending), in their order."""
        raise ConfigError("this stream cannot be reconciled", stream=self.name)

    def records_between(
        self, ctx: StreamContext, key_range: KeyRange
    ) -> Iterator[list[dict[str, Any]]]:
        """The platform's records in ``key_range`` in key order, page by page, as it serves
        them (raw, before the mapping)."""
        raise ConfigError("this stream cannot be reconciled", stream=self.name)

    def check_cursor(self, cursor: Mapping[str, Any]) -> None:
        """Refuse a cursor this stream could not resume from (``gateway state set``): by
        default any object of this stream's cursor version. Streams with a known cursor shape
        check its fields too."""
        if cursor.get("v") != CURSOR_VERSION:
            raise ConfigError(
                "the cursor's version is not this stream's",
                stream=self.name, v=cursor.get("v"), expected=CURSOR_VERSION,
            )  # fmt: skip


class PushStream(ABC):
    """A stream the gateway writes to a platform or an outbox."""

    name: str
    direction = Direction.PUSH

    @abstractmethod
    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        """Send one batch; answer one outcome per record, in any order."""

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        """Ask the target what became of earlier sends; ``None`` when its API cannot tell."""
        return None

    def close(self, ctx: StreamContext) -> None:
        """Called once when the run ends (an outbox writer finishes its file here)."""
        return


class Adapter(ABC):
    """One platform (or the files inbox/outbox): its streams and, optionally, its simulator."""

    name: str
    description: str = ""

    @abstractmethod
    def pull_streams(self) -> Mapping[str, PullStream]: ...

    @abstractmethod
    def push_streams(self) -> Mapping[str, PushStream]: ...

    def simulator_app(self, settings: Mapping[str, Any]) -> Any:
        """An ASGI app that speaks this platform's dialect, or ``None``."""
        return None

    def reports(self) -> Mapping[str, Callable[..., None]]:
        """Typer command functions mounted as ``gateway report NAME`` (e.g. ``inspection``)."""
        return {}

    def report_views(self) -> Mapping[str, ReportViewer]:
        """Per report, a function giving what the web console shows of it (its figures,
        tables and charts), by the same name as :meth:`reports`."""
        return {}

    def demo_part(self, ctx: DemoContext) -> DemoPart | None:
        """Platforms, jobs and inbox files this adapter adds to ``gateway demo``, or ``None``."""
        return None

    def headlines(self) -> Mapping[str, Callable[[GatewayConfig, Store, date], str]]:
        """Per report, a function giving its headline figures on a day in one line
        (``gateway demo`` ends with them)."""
        return {}

    def commands(self) -> Any:
        """A Typer app mounted as ``gateway ADAPTER …`` (the files adapter's ``reingest``)."""
        return None

    # True for an adapter that takes any stream name (the files adapter: one stream per
    # configured inbox pattern); its listing says so instead of listing streams.
    any_stream: bool = False

    def stream(self, name: str, direction: Direction) -> PullStream | PushStream:
        streams: Mapping[str, PullStream] | Mapping[str, PushStream] = (
            self.pull_streams() if direction is Direction.PULL else self.push_streams()
        )
        if name not in streams:
            known = ", ".join(sorted(streams)) or "none"
            raise ConfigError(
                f"adapter {self.name!r} has no {direction.value} stream {name!r}", known=known
            )
        return streams[name]


def _load_reference(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(import_module(module), attribute)


class DeclaredAdapter(Adapter):
    """An adapter made of declarations: its stream objects, and ``module:attribute`` references
    to its simulator factory, demo part and report commands. The references are imported on
    first use, so discovering adapters (every CLI start) stays cheap."""

    simulator_ref: str | None = None
    demo_ref: str | None = None
    report_refs: Mapping[str, str] = {}
    view_refs: Mapping[str, str] = {}
    headline_refs: Mapping[str, str] = {}

    def __init__(self, pull: Iterable[PullStream] = (), push: Iterable[PushStream] = ()) -> None:
        self._pull = {stream.name: stream for stream in pull}
        self._push = {stream.name: stream for stream in push}

    def pull_streams(self) -> Mapping[str, PullStream]:
        return self._pull

    def push_streams(self) -> Mapping[str, PushStream]:
        return self._push

    def simulator_app(self, settings: Mapping[str, Any]) -> Any:
        return _load_reference(self.simulator_ref)(settings) if self.simulator_ref else None

    def demo_part(self, ctx: DemoContext) -> DemoPart | None:
        if self.demo_ref is None:
            return None
        part: DemoPart = _load_reference(self.demo_ref)(ctx)
        return part

    def reports(self) -> Mapping[str, Callable[..., None]]:
        return {name: _load_reference(ref) for name, ref in self.report_refs.items()}

    def headlines(self) -> Mapping[str, Callable[[GatewayConfig, Store, date], str]]:
        return {name: _load_reference(ref) for name, ref in self.headline_refs.items()}

    def report_views(self) -> Mapping[str, ReportViewer]:
        return {name: _load_reference(ref) for name, ref in self.view_refs.items()}


def discover_adapters() -> dict[str, Adapter]:
    """Every adapter installed in this environment, by name."""
    found: dict[str, Adapter] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        adapter = ep.load()
        if not isinstance(adapter, Adapter):
            raise ConfigError("entry point is not an Adapter", entry_point=ep.value)
        found[ep.name] = adapter
    return found


def load_adapter(name: str) -> Adapter:
    """The adapter installed under ``name``; only that one is imported."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        adapter = ep.load()
        if not isinstance(adapter, Adapter):
            raise ConfigError("entry point is not an Adapter", entry_point=ep.value)
        return adapter
    known = ", ".join(sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))) or "none"
    raise ConfigError(f"no adapter named {name!r} is installed", known=known)
