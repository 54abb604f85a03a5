"""Every stream of every discovered adapter, with the platform it runs against in the contract
suite: its simulator on 127.0.0.1 (a free port) behind a :class:`FaultGate`
(:class:`gateway.testing.HttpRig`, what adapter packages use too), or, for the files adapter, a
real inbox and outbox folder.

This is the one module that knows how a simulator is found and started, how a platform is
configured and what a push stream's records look like; the checks and the tests know none of it.
"""

from __future__ import annotations

import csv
import functools
import itertools
import shutil
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gateway.adapter import (
    Adapter,
    Direction,
    ExchangeRecorder,
    ExportStream,
    OutgoingRecord,
    PullStream,
    PushStream,
    StreamContext,
    discover_adapters,
)
from gateway.config import PlatformConfig
from gateway.http.streams import IncrementalPullStream
from gateway.testing import Fault, HttpRig, Payload, Served, SimulatedPlatform
from gateway.testing.context import platform_config
from gateway.testing.rig import unknown_shape
from simulators.serve import simulator_factory
from tests.helpers.inspection_platform import inspectors, items, subjects

# Adapters whose platform is a folder (an inbox and an outbox), not a server.
FOLDERS = frozenset({"files"})
FILES_LABEL = "contract"
FILE_ROWS = 120


def simulator_app(name: str, settings: Mapping[str, Any]) -> Any:
    """The simulator of adapter ``name`` as an ASGI app, found through the
    ``gateway.simulators`` entry-point group."""
    return simulator_factory(name)(settings)


@dataclass(frozen=True)
class Platform:
    """How one adapter's simulator is set up for the suite: small, and quick to start."""

    signature: str
    settings: Mapping[str, Any]
    # Called once the simulator serves, with a client signing like the gateway.
    setup: Callable[[httpx.Client], None] | None = None
    # Whose simulator serves it, when the platform is another adapter's (the demo's handling
    # stand-in reads the service network's cases).
    simulator: str | None = None


def _fill_inspection(client: httpx.Client) -> None:
    for path, records in (
        ("check-items", items(4)),
        ("subjects", subjects(30)),
        ("inspectors", inspectors(30)),
    ):
        keyed = [{"idempotencyKey": f"setup-{path}-{n}", **r} for n, r in enumerate(records)]
        client.post(f"/api/v1/{path}", json={"items": keyed}).raise_for_status()


PLATFORMS: dict[str, Platform] = {
    "labor_force": Platform("hmac-sha256", {"size": 300, "seed": 14}),
    "inspection": Platform(
        "hmac-sha256",
        {
            "seed": 14,
            "draw": {"year": 2022, "tasks": 12, "subjects": 24, "inspector_assignments": 24},
        },
        _fill_inspection,
    ),
    "service_network": Platform("hmac-sm3", {"cases": 200, "seed": 14}),
    "bureau_handling": Platform(
        "hmac-sm3", {"cases": 200, "seed": 14}, simulator="service_network"
    ),
}

# Page sizes that give a pull stream several pages of its small population.
PAGE_SIZES: dict[str, int] = {"labor_force.persons": 40, "inspection.tasks": 3}
DEFAULT_PAGE_SIZE = 25


def _verification(known: list[dict[str, Any]], n: int) -> dict[str, Any]:
    return {
        "AAC002": known[n % len(known)]["AAC002"],
        # Every fifth record has a status the platform rejects: outcomes of both kinds.
        "HCZT": "1" if n % 5 else "7",
        "AAC008": "1",
        "AAE006": "贵州省凯里市经济开发区",
        "HCSJ": "2026-11-02 09:00:00",
        "HCR": "核查员01",
    }


def _catalogue_item(known: list[dict[str, Any]], n: int) -> dict[str, Any]:
    code = f"XK{n:08d}" if n % 5 else f"bad-{n}"  # every fifth code breaks the coding rule
    return {
        "itemCode": code,
        "itemName": "劳务派遣经营许可",
        "itemType": "XK",
        "implementer": "黔东南州人力资源和社会保障局",
        "legalBasis": "《中华人民共和国劳动合同法》第五十七条",
        "statutoryLimit": "20",
        "promisedLimit": "10",
        "onlineDepth": "4",
        "crossProvince": "0",
    }


def _case_event(known: list[dict[str, Any]], n: int) -> dict[str, Any]:
    case = known[n % len(known)]
    event = "1" if n % 5 else "X"  # acceptance (受理); every fifth event is of no known type
    return {"caseNo": case["caseNo"], "eventType": event, "eventTime": case["receiveTime"]}


def _result(known: list[dict[str, Any]], n: int) -> dict[str, Any]:
    task = known[n % len(known)]
    return {
        "taskId": task["taskId"],
        "uscc": task["subjects"][n // len(known) % len(task["subjects"])],
        "itemCode": task["itemCode"],
        "resultCode": "01" if n % 5 else "ZZ",  # every fifth result code is not in the table
        "inspectors": task["inspectors"],
        "checkDate": "2022-06-01",
        "publishDate": "2022-06-20",
    }


def _sampled(sample: Callable[[int], list[dict[str, Any]]]) -> Payload:
    pool = functools.cache(lambda: sample(64))

    def payload(known: list[dict[str, Any]], n: int) -> dict[str, Any]:
        # The sample's records are sent again under new keys: updates, accepted as well.
        records = pool()
        return records[n % len(records)]

    return payload


# What a push stream sends, from what its platform lists (``KNOWN``) and the record's number.
# A stream not named (labor_force.jobs: its employers are the simulator's own) sends records of
# no known shape, which its platform rejects one by one.
PAYLOADS: dict[str, Payload] = {
    "labor_force.verifications": _verification,
    "service_network.items": _catalogue_item,
    "service_network.case_events": _case_event,
    "inspection.check_items": _sampled(items),
    "inspection.subjects": _sampled(subjects),
    "inspection.inspectors": _sampled(inspectors),
    "inspection.results": _result,
}
KNOWN: dict[str, tuple[str, int]] = {
    "labor_force.verifications": ("/api/v1/persons", 5000),
    "service_network.case_events": ("/api/v1/cases", 1000),
    "inspection.results": ("/api/v1/tasks", 1000),
}


def _context(
    label: str, platform: PlatformConfig, options: Mapping[str, Any], base_dir: Path
) -> StreamContext:
    """A fresh run's context: its own run id (and so its own breaker), its own recorder."""
    return StreamContext(
        job=f"contract-{label}",
        run_id=str(uuid.uuid4()),
        platform_name=platform.adapter,
        platform=platform,
        options=options,
        exchanges=ExchangeRecorder(),
        base_dir=str(base_dir),
    )


@dataclass
class FolderRig:
    """A files stream against a real inbox and outbox folder."""

    adapter: Adapter
    stream: PullStream | PushStream
    base_dir: Path
    label: str = ""
    _sent: Iterator[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.label = f"{self.adapter.name}.{self.stream.name}"

    def start(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)

    def context(self, *, timing_out: bool = False, **options: Any) -> StreamContext:
        # A folder, not a server: no address and no credentials.
        config = platform_config(
            self.adapter.name,
            None,
            app_key=None,
            app_secret=None,
            options={"inbox": "inbox", "outbox": "outbox"},
        )
        job_options = (
            {"pattern": f"{FILES_LABEL}*.csv", "settle_seconds": 0, **options}
            if isinstance(self.stream, PullStream)
            else {"format": "jsonl"}
        )
        return _context(self.label, config, job_options, self.base_dir)

    def prepare(self) -> None:
        """The inbox holds one CSV file again, nothing else; finished files are gone."""
        inbox = self.base_dir / "inbox"
        shutil.rmtree(inbox, ignore_errors=True)
        inbox.mkdir(parents=True)
        with (inbox / f"{FILES_LABEL}-0001.csv").open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["id", "name"])
            writer.writerows([f"R{n:05d}", f"记录{n}"] for n in range(FILE_ROWS))

    def record_key(self, raw: Mapping[str, Any]) -> str:
        return str(raw.get("id"))

    def platform_keys(self) -> list[str] | None:
        return [f"R{n:05d}" for n in range(FILE_ROWS)]

    def outgoing(self, count: int) -> list[OutgoingRecord]:
        batch = []
        for _ in range(count):
            n = next(self._sent)
            record = {"id": f"R{n:05d}", "name": f"记录{n}"}
            batch.append(OutgoingRecord(record["id"], f"files-{n}-{uuid.uuid4().hex[:8]}", record))
        return batch

    def served(self) -> list[Served]:
        """A folder answers no requests."""
        return []

    def script(self, *faults: Fault) -> None:
        raise AssertionError("a folder cannot be made to fault like a server")


Rig = HttpRig | FolderRig


@dataclass(frozen=True)
class StreamCase:
    """One stream of one adapter: the unit the contract suite is parametrised over."""

    adapter: str
    direction: Direction
    stream: str

    @property
    def label(self) -> str:
        return f"{self.adapter}.{self.stream}"

    @property
    def kind(self) -> str:
        """What the applicability table is keyed by."""
        stream = discover_adapters()[self.adapter].stream(self.stream, self.direction)
        if isinstance(stream, ExportStream):
            return "export"
        transport = "files" if self.adapter in FOLDERS else "http"
        return f"{transport}-{self.direction.value}"


def stream_cases() -> list[StreamCase]:
    """Every stream of every adapter installed; the files adapter takes any stream name, so
    one pull and one push stream under a label stand for its streams."""
    cases = []
    for name, adapter in sorted(discover_adapters().items()):
        for direction, streams in (
            (Direction.PULL, adapter.pull_streams()),
            (Direction.PUSH, adapter.push_streams()),
        ):
            if direction in adapter.any_stream:
                cases.append(StreamCase(name, direction, FILES_LABEL))
            else:
                cases += [StreamCase(name, direction, s) for s in sorted(streams)]
    return cases


def make_rig(
    case: StreamCase, base_dir: Path, stream: PullStream | PushStream | None = None
) -> Rig:
    """The platform of ``case``'s stream, for that stream or for ``stream`` in its place (a
    deliberately broken copy)."""
    adapter = discover_adapters()[case.adapter]
    stream = stream or adapter.stream(case.stream, case.direction)
    if case.adapter in FOLDERS:
        return FolderRig(adapter, stream, base_dir)
    platform = PLATFORMS.get(case.adapter)
    if platform is None:
        raise AssertionError(f"no simulator settings for adapter {case.adapter!r} in {__name__}")
    known = {case.stream: KNOWN[case.label]} if case.label in KNOWN else {}
    simulated = SimulatedPlatform(
        functools.partial(simulator_app, platform.simulator or case.adapter),
        platform.settings, platform.signature, platform.setup, known,
    )  # fmt: skip
    payload = PAYLOADS.get(case.label, unknown_shape)
    key_of = None if isinstance(stream, IncrementalPullStream) else _handling_key
    return HttpRig(adapter, stream, simulated, base_dir, payload=payload, key_of=key_of)


def _handling_key(raw: Mapping[str, Any]) -> str:
    """Handling events: one per step of a case."""
    return f"{raw.get('caseNo')}|{raw.get('event')}"


def page_size(case: StreamCase) -> int:
    return PAGE_SIZES.get(case.label, DEFAULT_PAGE_SIZE)
