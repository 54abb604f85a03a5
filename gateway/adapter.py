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

A stream declares what it varies: its job options as a pydantic model (``options_model``,
validated by the runner before the run starts), and, for an HTTP list, how it pages
(:mod:`gateway.http.paging`). Everything a run owns reaches the stream through its
:class:`StreamContext`, never through module state.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from importlib import import_module
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.calendar_years import DEFAULT_BOOK, HolidayBook
from gateway.errors import ConfigError
from gateway.http.breaker import BreakerLedger, MemoryLedger

if TYPE_CHECKING:
    import httpx

    from gateway.config import GatewayConfig, PlatformConfig, SecretRef
    from gateway.reporting import ReportViewer
    from gateway.store import Store

__all__ = [
    "CURSOR_VERSION",
    "ENTRY_POINT_GROUP",
    "MALFORMED",
    "Adapter",
    "DeclaredAdapter",
    "Direction",
    "Exchange",
    "ExchangeObserver",
    "ExchangeRecorder",
    "ExportDocument",
    "ExportStream",
    "Holdings",
    "KeyRange",
    "OutgoingRecord",
    "Page",
    "PullStream",
    "PushOutcome",
    "PushStatus",
    "PushStream",
    "StreamContext",
    "StreamOptions",
    "UnreadableInput",
    "adapter_entry_points",
    "adapter_names",
    "discover_adapters",
    "load_adapter",
    "options_issue",
    "parse_options",
]

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


# Sees every HTTP attempt's exchange once its outcome is known (the service's metrics count
# them); it must be quick and must not raise.
ExchangeObserver = Callable[[Exchange], None]


class StreamOptions(BaseModel):
    """A job's ``options`` as a stream declares them (its ``options_model``): a typo or a value
    out of range fails before the run starts, naming the job and the key.

    ``page_size`` is the job's ``batch_size`` unless its options set one (``None``, in a
    context built by hand: the stream's own default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    page_size: int | None = Field(None, ge=1)


_O = TypeVar("_O", bound=BaseModel)


def options_issue(model: type[BaseModel], raw: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first mistake in ``raw`` as ``model``: the key (dotted) and what is wrong with it;
    ``None`` when ``raw`` is valid."""
    try:
        model.model_validate(dict(raw))
    except ValidationError as exc:
        return _first_issue(exc)
    return None


def parse_options(model: type[_O], raw: Mapping[str, Any], *, where: str) -> _O:
    """``raw`` as ``model``; else one :class:`ConfigError` line naming ``where`` and the key."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        key, message = _first_issue(exc)
        raise ConfigError(f"{where}: invalid option {key!r}: {message}") from None


def _first_issue(exc: ValidationError) -> tuple[str, str]:
    first = exc.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "options"
    if first["type"] == "extra_forbidden":
        return key, "not a known option"
    return key, str(first["msg"]).removeprefix("Value error, ")


@dataclass
class StreamContext:
    """What a stream may use while it runs: its platform, its job's options, the recorder, the
    configuration's holiday book (the days deadlines count in), and what the run owns.

    The run's own: ``breakers``, the ledger its platform clients keep breaker states in (the
    store's for a run, so a failure streak outlives the process; memory otherwise);
    ``observers``, who else sees each HTTP exchange (the service's metrics); ``secrets``, how a
    secret reference is read (by default from the environment or a file beside the
    configuration); ``transport``, what HTTP goes through (tests pass ``httpx.MockTransport``).
    ``gateway.http.streams.open_client`` is the client factory bound to all four.
    """

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
    # The options as the stream's options_model, validated by the runner before the run.
    validated_options: BaseModel | None = None
    breakers: BreakerLedger = field(default_factory=MemoryLedger)
    observers: tuple[ExchangeObserver, ...] = ()
    secrets: Callable[[SecretRef], str] | None = None
    transport: httpx.BaseTransport | None = None
    # The part of a partitioned pull this run reads (decision 0021); ``None``: all of it.
    partition: str | None = None

    def options_as(self, model: type[_O]) -> _O:
        """The job's options as ``model``: the runner's validated copy, or checked now (a
        context built by hand, as tests do)."""
        if isinstance(self.validated_options, model):
            return self.validated_options
        return parse_options(model, self.options, where=f"job {self.job!r}")

    def secret(self, ref: SecretRef) -> str:
        """The value of a secret reference, through the run's ``secrets`` when it has one."""
        if self.secrets is not None:
            return self.secrets(ref)
        return ref.resolve(Path(self.base_dir))


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
    # The job options this stream reads; the runner validates them once, before the run.
    options_model: ClassVar[type[StreamOptions]] = StreamOptions

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

    def partition_values(self, declared: Sequence[str] | str) -> list[str]:
        """The partitions a job declares (values, or the name of a set this stream offers),
        as the values :attr:`StreamContext.partition` will carry; a value this stream cannot
        filter by is a :class:`ConfigError`. By default a stream cannot be partitioned."""
        raise ConfigError("this stream cannot be partitioned", stream=self.name)

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
    options_model: ClassVar[type[StreamOptions]] = StreamOptions

    @abstractmethod
    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        """Send one batch; answer one outcome per record, in any order."""

    def lookup(self, ctx: StreamContext, idempotency_keys: list[str]) -> list[PushOutcome] | None:
        """Ask the target what became of earlier sends; ``None`` when its API cannot tell."""
        return None

    def close(self, ctx: StreamContext) -> None:
        """Called once when the run ends (an outbox writer finishes its file here)."""
        return


@dataclass(frozen=True)
class ExportDocument:
    """One period's file as an export stream answers it: the rows in canonical fields (the
    job's push mapping turns each into the file's columns) and a cover sheet of totals."""

    file_name: str
    sheet: str
    rows: list[dict[str, Any]]
    cover_sheet: str
    cover: list[list[Any]]


class ExportStream(PushStream):
    """A push that writes one file per month, built whole from the store (the monthly notice
    to the justice bureau), instead of sending changes: :mod:`gateway.pipeline.export` runs
    it, so it is never sent batches."""

    @abstractmethod
    def build(
        self, ctx: StreamContext, config: GatewayConfig, store: Store, month: date
    ) -> ExportDocument:
        """The file for the calendar month starting on ``month``."""

    def send(self, ctx: StreamContext, batch: list[OutgoingRecord]) -> list[PushOutcome]:
        raise ConfigError("an export stream writes whole files, not batches", stream=self.name)


class Adapter(ABC):
    """One platform (or the files inbox/outbox): its pull and push streams, and the reports and
    commands it adds to the CLI. Its simulator and its part of the demo are found elsewhere
    (the ``gateway.simulators`` and ``gateway.demo_parts`` entry-point groups)."""

    name: str
    description: str = ""

    @abstractmethod
    def pull_streams(self) -> Mapping[str, PullStream]: ...

    @abstractmethod
    def push_streams(self) -> Mapping[str, PushStream]: ...

    def reports(self) -> Mapping[str, Callable[..., None]]:
        """Typer command functions mounted as ``gateway report NAME`` (e.g. ``inspection``)."""
        return {}

    def report_views(self) -> Mapping[str, ReportViewer]:
        """Per report, a function giving what the web console shows of it (its figures,
        tables and charts), by the same name as :meth:`reports`."""
        return {}

    def headlines(self) -> Mapping[str, Callable[[GatewayConfig, Store, date], str]]:
        """Per report, a function giving its headline figures on a day in one line
        (``gateway demo`` ends with them)."""
        return {}

    def commands(self) -> Any:
        """A Typer app mounted as ``gateway ADAPTER …`` (the files adapter's ``reingest``)."""
        return None

    # The directions in which the adapter takes any stream name (the files adapter, both: one
    # stream per configured inbox pattern or outbox); its listing says so for that direction
    # instead of listing streams. Per direction: an adapter that takes any pull name but has no
    # push stream is listed with none.
    any_stream: frozenset[Direction] = frozenset()

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
    to its report commands and headlines. The references are imported on first use, so
    discovering adapters (``gateway report``, the console, the demo) stays cheap."""

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

    def reports(self) -> Mapping[str, Callable[..., None]]:
        return {name: _load_reference(ref) for name, ref in self.report_refs.items()}

    def headlines(self) -> Mapping[str, Callable[[GatewayConfig, Store, date], str]]:
        return {name: _load_reference(ref) for name, ref in self.headline_refs.items()}

    def report_views(self) -> Mapping[str, ReportViewer]:
        return {name: _load_reference(ref) for name, ref in self.view_refs.items()}


def _loaded(ep: EntryPoint) -> Adapter:
    adapter = ep.load()
    if not isinstance(adapter, Adapter):
        raise ConfigError("entry point is not an Adapter", entry_point=ep.value)
    return adapter


def adapter_entry_points() -> list[tuple[EntryPoint, Adapter]]:
    """Every adapter installed in this environment with the entry point that declares it (and
    so the distribution that installed it), by name: the one place adapters are discovered."""
    found = sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    return [(ep, _loaded(ep)) for ep in found]


def discover_adapters() -> dict[str, Adapter]:
    """Every adapter installed in this environment, by name."""
    return {ep.name: adapter for ep, adapter in adapter_entry_points()}


def adapter_names() -> list[str]:
    """The names adapters are installed under, none of them imported."""
    return sorted({ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def load_adapter(name: str) -> Adapter:
    """The adapter installed under ``name``; only that one is imported."""
    for ep in entry_points(group=ENTRY_POINT_GROUP, name=name):
        return _loaded(ep)
    known = ", ".join(adapter_names()) or "none"
    raise ConfigError(f"no adapter named {name!r} is installed", known=known)
