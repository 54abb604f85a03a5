"""Tracing a key through its keyed digest finds exactly the entries that carried it."""

from __future__ import annotations

import pytest

from gateway.audit import AuditLog, KeyDigester, trace
from gateway.audit.keys import embedded_identifiers, normalise_key
from gateway.store import Store
from gateway.store.key_index import index_rows, insert_index
from tests.helpers.audit import ID_A, ID_B, KEY, USCC_A, exchange

DIGESTER = KeyDigester(KEY)


@pytest.fixture
def keyed(store: Store) -> Store:
    """The store (on each database) holding entries 1-6, carrying ID_A, ID_B, ID_A inside a
    composite key, nothing, a USCC, both IDs."""
    keys = [[ID_A], [ID_B], [f"{ID_A}|2024-05-01T10:00:00"], [], [USCC_A], [ID_B, ID_A]]
    with store.transaction() as conn:
        AuditLog(KEY).append(conn, [exchange(n, k) for n, k in enumerate(keys, start=1)])
    return store


def _seqs(store: Store, key: str) -> list[int]:
    with store.connect() as conn:
        return [int(row["seq"]) for row in trace(conn, DIGESTER, key)]


def test_trace_finds_exactly_the_entries_with_the_key(keyed: Store) -> None:
    """An ID number is found alone, in a composite key and among others; nowhere else."""
    assert _seqs(keyed, ID_A) == [1, 3, 6]
    assert _seqs(keyed, ID_B) == [2, 6]
    assert _seqs(keyed, USCC_A) == [5]
    assert _seqs(keyed, "110105194912310021") == []


def test_trace_ignores_case_and_spaces_of_an_id_number(keyed: Store) -> None:
    """A lower-case check character or stray spaces find the same entries."""
    assert _seqs(keyed, f"  {ID_A.lower()} ") == [1, 3, 6]
    assert _seqs(keyed, USCC_A.lower()) == [5]


def test_composite_key_is_found_whole(keyed: Store) -> None:
    """The composite key itself is traceable, as the mapping formed it."""
    assert _seqs(keyed, f"{ID_A}|2024-05-01T10:00:00") == [3]


def test_forged_index_row_cannot_add_an_entry(keyed: Store) -> None:
    """An index row pointing at an entry that never carried the key is not believed."""
    with keyed.transaction() as conn:
        insert_index(conn, index_rows(4, [DIGESTER.digest(ID_A)]))
    assert _seqs(keyed, ID_A) == [1, 3, 6]


def test_another_key_gives_other_digests() -> None:
    """Digests depend on the audit key: a copy of the log without it reveals nothing."""
    assert KeyDigester(b"another key entirely").digest(ID_A) != DIGESTER.digest(ID_A)
    assert len(DIGESTER.digest(ID_A)) == 32


def test_identifiers_are_found_inside_keys() -> None:
    """ID numbers and credit codes standing alone inside a key are extracted, upper-cased."""
    found = embedded_identifiers(f"{ID_A.lower()}|{USCC_A}|x{ID_B}")
    assert found == {ID_A, USCC_A}
    assert normalise_key(f" {ID_A.lower()}") == ID_A
    assert normalise_key(" posting-00a ") == "posting-00a"
