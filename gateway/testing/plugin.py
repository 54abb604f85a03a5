"""The pytest plugin of :mod:`gateway.testing` (the gateway's ``pytest11`` entry point).

It parametrises every :class:`~gateway.testing.contract.AdapterContract` subclass by its
(stream, contract) cases and serves what they share: one simulator per stream, one SQLite store
and one audit log per session. ``fake_clock`` is a fresh :class:`FakeClock` for each test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.audit import AuditLog
from gateway.store import Store
from gateway.testing.clock import FakeClock
from gateway.testing.contract import AdapterContract, Rigs


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is None or not issubclass(cls, AdapterContract):
        return
    if "contract_case" in metafunc.fixturenames:
        cases = cls.cases()
        metafunc.parametrize("contract_case", cases, ids=[case.id for case in cases])


@pytest.fixture(scope="session")
def adapter_contract_rigs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rigs]:
    rigs = Rigs(tmp_path_factory.mktemp("adapter-contract"))
    yield rigs
    rigs.stop()


@pytest.fixture(scope="session")
def adapter_contract_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('adapter-store') / 'store.db'}")
    yield store
    store.close()


@pytest.fixture(scope="session")
def adapter_contract_audit() -> AuditLog:
    return AuditLog(b"adapter-contract-audit-key-01234")


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
