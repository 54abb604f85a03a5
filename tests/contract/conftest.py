"""The contract suite's fixtures: one store per backend and one platform per stream, each made
once for the whole suite (the checks keep their jobs, runs and records apart)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.adapter import PullStream, PushStream
from gateway.audit import AuditLog
from gateway.store import Store
from gateway.testing import RunningServer
from tests.contract.platforms import Rig, StreamCase, make_rig
from tests.helpers.pg import temporary_database


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def contract_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    if request.param == "sqlite":
        store = Store(f"sqlite:///{tmp_path_factory.mktemp('contract') / 'store.db'}")
        yield store
        store.close()
        return
    with temporary_database("gateway_contract") as url:
        store = Store(url)
        yield store
        store.close()


@pytest.fixture(scope="session")
def audit() -> AuditLog:
    return AuditLog(b"contract-suite-audit-key-0123456")


class Rigs:
    """Platforms started on first use and stopped when the suite ends."""

    def __init__(self, base: Path) -> None:
        self._base = base
        self.servers: list[RunningServer] = []
        self._rigs: dict[tuple[StreamCase, int], Rig] = {}

    def __call__(self, case: StreamCase, stream: PullStream | PushStream | None = None) -> Rig:
        """``case``'s platform, for its stream or for ``stream`` in its place (its own)."""
        found = (case, id(stream))
        rig = self._rigs.get(found)
        if rig is None:
            place = self._base / f"{case.label}-{case.kind}-{len(self._rigs)}"
            rig = self._rigs[found] = make_rig(case, place, stream)
            server = rig.start()
            if server is not None:
                self.servers.append(server)
        return rig


@pytest.fixture(scope="session")
def rigs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rigs]:
    started = Rigs(tmp_path_factory.mktemp("platforms"))
    yield started
    # Side by side: each waits up to a second for the requests it still holds.
    stopping = [threading.Thread(target=server.stop) for server in started.servers]
    for thread in stopping:
        thread.start()
    for thread in stopping:
        thread.join()
