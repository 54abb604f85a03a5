"""The contract suite for one adapter package, in three lines of test::

    class TestRegistryContract(AdapterContract):
        adapter = adapter
        platform = SimulatedPlatform(build_app, {"records": 120})

Every contract of :mod:`gateway.testing.checks` that applies to a stream runs over every stream
of ``adapter`` (one test each, named ``stream:contract``), against its simulator behind a
faulting gate and a throw-away SQLite store. The pytest plugin of :mod:`gateway.testing.plugin`
(registered by the gateway's ``pytest11`` entry point) parametrises and serves them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from gateway.adapter import Adapter, Direction, ExportStream, PullStream, PushStream
from gateway.audit import AuditLog
from gateway.http.streams import ReceiptPushStream
from gateway.store import Store
from gateway.testing import checks
from gateway.testing.checks import CONTRACTS, Rig, applies
from gateway.testing.rig import HttpRig, Payload, SimulatedPlatform, unknown_shape
from gateway.testing.serving import RunningServer

__all__ = ["PUSHED", "AdapterContract", "ContractCase", "Rigs", "run_contract", "stream_kind"]

# Records a push sends: over one lookup chunk of 100, so a lookup takes several requests.
PUSHED = 250


def stream_kind(stream: PullStream | PushStream, transport: str = "http") -> str:
    """What the applicability table (:data:`~gateway.testing.checks.APPLICABILITY`) is keyed by."""
    if isinstance(stream, ExportStream):
        return "export"
    return f"{transport}-{stream.direction.value}"


def run_contract(
    contract: str, rig: Rig, store: Store, audit: AuditLog, *, page_size: int, pushed: int = PUSHED
) -> None:
    """Run one contract's check on the rig's stream; raises ``ContractBroken`` naming it."""
    stream = rig.stream
    job = f"contract-{uuid.uuid4().hex[:12]}"
    if contract == checks.RESUME:
        assert isinstance(stream, PullStream)
        checks.check_resume_neither_skips_nor_repeats(
            stream, rig, store, audit, job=job, page_size=page_size
        )
    elif contract == checks.CURSOR_VERSIONS:
        assert isinstance(stream, PullStream)
        checks.check_unknown_cursor_versions_refused(
            stream, rig, store, audit, job=job, page_size=page_size
        )
    elif contract == checks.ONE_OUTCOME:
        assert isinstance(stream, PushStream)
        checks.check_one_outcome_per_record(stream, rig, count=pushed)
    elif contract == checks.LOOKUPS:
        assert isinstance(stream, PushStream)
        # The declared chunk of the shared receipted push; a lookup of a journal asks no one.
        chunk = stream.receipt_keys_per_call if isinstance(stream, ReceiptPushStream) else None
        checks.check_lookups_chunked_and_consistent(stream, rig, count=pushed, chunk=chunk)
    elif contract == checks.EXCHANGES:
        checks.check_every_attempt_recorded(stream, rig, store, audit, job=job, page_size=page_size)
    elif contract == checks.CLASSIFIED:
        checks.check_errors_classified(stream, rig)
    else:
        raise AssertionError(f"no check for contract {contract!r}")


@dataclass(frozen=True)
class ContractCase:
    """One contract over one stream: the unit an :class:`AdapterContract` is parametrised by."""

    direction: Direction
    stream: str
    contract: str

    @property
    def id(self) -> str:
        return f"{self.direction.value}.{self.stream}:{self.contract}"


class Rigs:
    """Simulators started on first use (one per stream), stopped together at the end."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self.servers: list[RunningServer] = []
        self._rigs: dict[Any, HttpRig] = {}

    def get(self, key: Any, make: Any) -> HttpRig:
        rig = self._rigs.get(key)
        if rig is None:
            rig = self._rigs[key] = make(self._base / f"rig-{len(self._rigs)}")
            self.servers.append(rig.start())
        return rig

    def stop(self) -> None:
        # Side by side: each waits up to a second for the requests it still holds.
        stopping = [threading.Thread(target=server.stop) for server in self.servers]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()


class AdapterContract:
    """Subclass it in a test module, naming the adapter and how its simulator starts.

    ``payloads``: per push stream, the records it sends (as its push mapping would shape them;
    by default records of no known shape, which a platform rejects, still one outcome each);
    ``page_sizes``: per pull stream, a page size that gives its simulator's population at least
    three pages; ``streams``: the streams to check (by default all of the adapter's).
    """

    adapter: ClassVar[Adapter]
    platform: ClassVar[SimulatedPlatform]
    payloads: ClassVar[Mapping[str, Payload]] = {}
    page_sizes: ClassVar[Mapping[str, int]] = {}
    default_page_size: ClassVar[int] = 25
    pushed: ClassVar[int] = PUSHED

    @classmethod
    def streams(cls) -> list[PullStream | PushStream]:
        found: list[PullStream | PushStream] = [*cls.adapter.pull_streams().values()]
        return [*found, *cls.adapter.push_streams().values()]

    @classmethod
    def cases(cls) -> list[ContractCase]:
        """Every (stream, contract) pair that applies, in a stable order."""
        return [
            ContractCase(stream.direction, stream.name, contract)
            for stream in sorted(cls.streams(), key=lambda s: (s.direction.value, s.name))
            for contract in CONTRACTS
            if applies(stream_kind(stream), contract)
        ]

    def stream_of(self, case: ContractCase) -> PullStream | PushStream:
        return self.adapter.stream(case.stream, case.direction)

    def rig(self, case: ContractCase, base_dir: Path) -> HttpRig:
        stream = self.stream_of(case)
        payload = self.payloads.get(case.stream, unknown_shape)
        return HttpRig(self.adapter, stream, self.platform, base_dir, payload=payload)

    def test_contract(
        self,
        contract_case: ContractCase,
        adapter_contract_rigs: Rigs,
        adapter_contract_store: Store,
        adapter_contract_audit: AuditLog,
    ) -> None:
        rig = adapter_contract_rigs.get(
            (type(self), _case_key(contract_case)), lambda base: self.rig(contract_case, base)
        )
        size = self.page_sizes.get(contract_case.stream, self.default_page_size)
        run_contract(
            contract_case.contract, rig, adapter_contract_store, adapter_contract_audit,
            page_size=size, pushed=self.pushed,
        )  # fmt: skip


def _case_key(case: ContractCase) -> tuple[Direction, str]:
    """One simulator per stream, shared by the stream's contracts."""
    return case.direction, case.stream
