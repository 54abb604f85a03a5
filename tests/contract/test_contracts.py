"""Every contract over every stream of every installed adapter, on SQLite and on PostgreSQL.

The pairs that do not apply are declared, with their reason, in
:data:`tests.contract.checks.APPLICABILITY`; nothing is skipped silently.
"""

from __future__ import annotations

import uuid

import pytest

from gateway.adapter import PullStream, PushStream, discover_adapters
from gateway.audit import AuditLog
from gateway.http.streams import ReceiptPushStream
from gateway.store import Store
from tests.contract import checks
from tests.contract.checks import APPLICABILITY, CONTRACTS, applies
from tests.contract.conftest import Rigs
from tests.contract.platforms import Rig, StreamCase, page_size, stream_cases

CASES = stream_cases()
PAIRS = [(case, c) for case in CASES for c in CONTRACTS if applies(case.kind, c)]
# Records a push sends: over one lookup chunk of 100, so a lookup takes several requests.
PUSHED = 250


def run_contract(contract: str, case: StreamCase, rig: Rig, store: Store, audit: AuditLog) -> None:
    """Run one contract's check on one stream; also what the broken-copy tests call."""
    stream = rig.stream
    job = f"contract-{uuid.uuid4().hex[:12]}"
    size = page_size(case)
    if contract == checks.RESUME:
        assert isinstance(stream, PullStream)
        checks.check_resume_neither_skips_nor_repeats(
            stream, rig, store, audit, job=job, page_size=size
        )
    elif contract == checks.CURSOR_VERSIONS:
        assert isinstance(stream, PullStream)
        checks.check_unknown_cursor_versions_refused(
            stream, rig, store, audit, job=job, page_size=size
        )
    elif contract == checks.ONE_OUTCOME:
        assert isinstance(stream, PushStream)
        checks.check_one_outcome_per_record(stream, rig, count=PUSHED)
    elif contract == checks.LOOKUPS:
        assert isinstance(stream, PushStream)
        # The declared chunk of the shared receipted push; a lookup of a journal asks no one.
        chunk = stream.receipt_keys_per_call if isinstance(stream, ReceiptPushStream) else None
        checks.check_lookups_chunked_and_consistent(stream, rig, count=PUSHED, chunk=chunk)
    elif contract == checks.EXCHANGES:
        checks.check_every_attempt_recorded(stream, rig, store, audit, job=job, page_size=size)
    elif contract == checks.CLASSIFIED:
        checks.check_errors_classified(stream, rig)
    else:
        raise AssertionError(f"no check for contract {contract!r}")


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
