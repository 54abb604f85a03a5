"""Tampering with the exchange log is refused by the database, and detected when forced."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from gateway.audit import AuditLog, Sealer, verify_chain
from gateway.audit.chain import chain_entries
from gateway.audit.hashing import entry_hash
from gateway.audit.verify import VerifyReport, What
from gateway.store import Store, schema
from tests.helpers.audit import KEY, attacker, exchange, write_entries


@pytest.fixture
def chain(store: Store) -> Store:
    """The store (on each database) holding a chain of ten entries."""
    write_entries(store, AuditLog(KEY), 10, per_tx=3)
    return store


def _verify(store: Store, *, sealed: bool = True) -> VerifyReport:
    with store.connect() as conn:
        return verify_chain(conn, sealer=Sealer(KEY) if sealed else None)


def test_intact_chain_verifies_with_count_and_head(chain: Store) -> None:
    """An untouched chain verifies; the report gives the count, range and head hash."""
    report = _verify(chain)
    assert report.ok
    assert report.seals_checked
    assert (report.count, report.first_seq, report.last_seq) == (10, 1, 10)
    with chain.connect() as conn:
        head = conn.execute(
            select(schema.audit_log.c.entry_hash).where(schema.audit_log.c.seq == 10)
        )
        assert report.head_hash == head.scalar_one()
    assert report.warnings == []


def test_database_refuses_update_and_delete(chain: Store) -> None:
    """The append-only triggers refuse UPDATE and DELETE on audit_log."""
    log = schema.audit_log
    with pytest.raises(DBAPIError, match="append-only"), chain.transaction() as conn:
        conn.execute(update(log).where(log.c.seq == 3).values(outcome="error"))
    with pytest.raises(DBAPIError, match="append-only"), chain.transaction() as conn:
        conn.execute(log.delete().where(log.c.seq == 3))
    assert _verify(chain).ok


def test_edited_entry_is_named_by_its_seq(chain: Store) -> None:
    """An UPDATE of one field (guard dropped first) is reported at exactly that entry."""
    log = schema.audit_log
    with attacker(chain) as conn:
        conn.execute(update(log).where(log.c.seq == 4).values(http_status=500))
    report = _verify(chain)
    assert not report.ok
    assert [(p.seq, p.what) for p in report.problems] == [(4, What.ENTRY_HASH)]
    assert any("trigger" in w for w in report.warnings)


def test_rehashed_edit_is_caught_at_the_next_link(chain: Store) -> None:
    """An edit whose hash was recomputed breaks the next entry's link (and its seal)."""
    log = schema.audit_log
    with attacker(chain) as conn:
        row = dict(conn.execute(select(log).where(log.c.seq == 4)).mappings().one())
        row["outcome"] = "error"
        conn.execute(
            update(log).where(log.c.seq == 4).values(outcome="error", entry_hash=entry_hash(row))
        )
    report = _verify(chain)
    assert {(p.seq, p.what) for p in report.problems} == {(4, What.SEAL), (5, What.PREV_HASH)}
    assert report.first_problem is not None
    assert report.first_problem.seq == 4
    unsealed = _verify(chain, sealed=False)
    assert [(p.seq, p.what) for p in unsealed.problems] == [(5, What.PREV_HASH)]


def test_rewritten_tail_is_caught_by_the_seals(chain: Store) -> None:
    """Rewriting every entry from an edit onwards fools the plain chain, never the seals."""
    log = schema.audit_log
    with attacker(chain) as conn:
        rows = [
            dict(r)
            for r in conn.execute(select(log).where(log.c.seq >= 6).order_by(log.c.seq)).mappings()
        ]
        prev = str(conn.execute(select(log.c.entry_hash).where(log.c.seq == 5)).scalar_one())
        conn.execute(log.delete().where(log.c.seq >= 6))
        rows[0]["outcome"] = "error"
        for row in rows:
            row["prev_hash"] = prev
            row["entry_hash"] = prev = entry_hash(row)
            row["seal"] = Sealer(b"the attacker's own key-12345").seal(prev)
        conn.execute(log.insert(), rows)
    assert _verify(chain, sealed=False).ok
    report = _verify(chain)
    assert [p.seq for p in report.problems] == [6, 7, 8, 9, 10]
    assert {p.what for p in report.problems} == {What.SEAL}


def test_deleted_middle_entry_is_a_gap(chain: Store) -> None:
    """DELETE of an entry in the middle is reported as missing seqs at the next entry."""
    with attacker(chain) as conn:
        conn.execute(schema.audit_log.delete().where(schema.audit_log.c.seq == 6))
    report = _verify(chain)
    assert [(p.seq, p.what) for p in report.problems] == [(7, What.GAP)]
    assert "6..6" in report.problems[0].message
    assert report.count == 9


def test_deleted_oldest_entries_are_detected_without_a_prune(chain: Store) -> None:
    """Removing the first entries, with no prune checkpoint to account for them, is detected."""
    with attacker(chain) as conn:
        conn.execute(schema.audit_log.delete().where(schema.audit_log.c.seq <= 2))
    report = _verify(chain)
    assert [(p.seq, p.what) for p in report.problems] == [(3, What.ANCHOR)]


def test_forged_prune_checkpoint_without_the_key_is_detected(chain: Store) -> None:
    """An attacker who deletes old entries and appends a fake checkpoint fails the seal check."""
    with attacker(chain) as conn:
        anchor = str(
            conn.execute(
                select(schema.audit_log.c.entry_hash).where(schema.audit_log.c.seq == 3)
            ).scalar_one()
        )
        conn.execute(schema.audit_log.delete().where(schema.audit_log.c.seq <= 3))
        body = dict.fromkeys(("run_id", "job", "platform", "direction", "endpoint")) | {
            "kind": "prune_checkpoint", "operation": "prune", "record_count": 0,
            "record_keys": "[]", "key_digests": "[]", "outcome": "ok",
            "detail": f'{{"anchor_hash":"{anchor}","pruned_through":3}}',
        }  # fmt: skip
        chain_entries(conn, [body], Sealer(b"a guessed key, not the real one"))
    assert _verify(chain, sealed=False).ok
    report = _verify(chain)
    assert [(p.seq, p.what) for p in report.problems] == [(11, What.SEAL)]


def test_deleted_index_rows_are_detected(chain: Store) -> None:
    """Removing key-index rows (to hide an entry from trace) makes verification fail."""
    with chain.transaction() as conn:
        AuditLog(KEY).append(conn, [exchange(99, ["91350100M000100Y43"])])
        conn.execute(schema.audit_key_index.delete())
    report = _verify(chain)
    assert [(p.seq, p.what) for p in report.problems] == [(11, What.INDEX)]
