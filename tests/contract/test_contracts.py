"""Every contract over every stream of every installed adapter, on SQLite and on PostgreSQL.

The pairs that do not apply are declared, with their reason, in
:data:`gateway.testing.checks.APPLICABILITY`; nothing is skipped silently.
"""

from __future__ import annotations

import pytest

from gateway.adapter import discover_adapters
from gateway.audit import AuditLog
from gateway.store import Store
from gateway.testing import contract as adapter_contract
from gateway.testing.checks import APPLICABILITY, CONTRACTS, applies
from tests.contract.conftest import Rigs
from tests.contract.platforms import Rig, StreamCase, page_size, stream_cases

CASES = stream_cases()
PAIRS = [(case, c) for case in CASES for c in CONTRACTS if applies(case.kind, c)]


def run_contract(contract: str, case: StreamCase, rig: Rig, store: Store, audit: AuditLog) -> None:
    """Run one contract's check on one stream (as :class:`gateway.testing.AdapterContract`
    does); also what the broken-copy tests call."""
    adapter_contract.run_contract(contract, rig, store, audit, page_size=page_size(case))


def test_the_table_names_every_kind_and_contract() -> None:
    """Each kind of stream says, for each contract, that it applies or why it does not."""
    assert {case.kind for case in CASES} <= set(APPLICABILITY)
    for kind, table in APPLICABILITY.items():
        assert set(table) == set(CONTRACTS), kind


def test_every_adapter_is_in_the_suite() -> None:
    """An installed adapter without streams here would be a hole in the suite."""
    assert {case.adapter for case in CASES} == set(discover_adapters())


@pytest.mark.parametrize(
    ("case", "contract"), PAIRS, ids=[f"{case.label}-{case.kind}:{c}" for case, c in PAIRS]
)
def test_contract(
    case: StreamCase, contract: str, rigs: Rigs, contract_store: Store, audit: AuditLog
) -> None:
    run_contract(contract, case, rigs(case), contract_store, audit)
