"""Pruning past retention leaves a chain that verifies, and tampering still shows."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from gateway.audit import AuditLog, PruneReport, Sealer, prune, verify_chain
from gateway.audit.guard import guard_problems
from gateway.audit.verify import VerifyReport, What
from gateway.errors import AuditError, ConfigError
from gateway.store import Store, schema
from tests.helpers.audit import KEY, attacker, exchange
from tests.helpers.pg import open_store

SEALER = Sealer(KEY)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _append(store: Store, ts: str, *events_n: int, body: bytes = b"") -> None:
    log = AuditLog(KEY, clock=lambda: ts)
    with store.transaction() as conn:
        log.append(conn, [exchange(n, body=body) for n in events_n])


@pytest.fixture
def aged(store: Store) -> Store:
    """The store (on each database) holding six entries from January 2020 (one a day), then
    four from May 2026."""
    for day in range(1, 7):
        _append(store, f"2020-01-0{day}T08:00:00.000000Z", day)
    _append(store, "2026-05-30T08:00:00.000000Z", 7, 8, 9, 10)
    return store


def _prune(store: Store, before: date | datetime) -> PruneReport:
    with store.transaction() as conn:
        return prune(conn, before, 180, sealer=SEALER, now=NOW, actor="auditor")


def _verify(store: Store) -> VerifyReport:
    with store.connect() as conn:
        return verify_chain(conn, sealer=SEALER)


def _count(store: Store) -> int:
    with store.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(schema.audit_log)).scalar_one())


def test_prune_refuses_a_date_younger_than_retention(aged: Store) -> None:
    """A cut-off inside the retention period is a ConfigError and removes nothing."""
    with pytest.raises(ConfigError, match="retention"):
        _prune(aged, NOW - timedelta(days=179))
    assert _count(aged) == 10


def test_pruned_chain_still_verifies_from_its_checkpoint(aged: Store) -> None:
    """After a prune, the rest verifies from the anchor that the checkpoint entry recorded."""
    with aged.connect() as conn:
        anchor = conn.execute(
            select(schema.audit_log.c.entry_hash).where(schema.audit_log.c.seq == 4)
        ).scalar_one()
    report = _prune(aged, date(2020, 1, 5))
    assert report.removed == 4
    assert report.pruned_through == 4
    assert report.anchor_hash == anchor
    assert report.checkpoint_seq == 11
    verified = _verify(aged)
    assert verified.ok, verified.as_dict()
    assert (verified.first_seq, verified.last_seq, verified.count) == (5, 11, 7)
    assert verified.starts_from == anchor
    with aged.connect() as conn:
        assert guard_problems(conn) == []
        stale = (
            select(func.count())
            .select_from(schema.audit_key_index)
            .where(schema.audit_key_index.c.seq <= 4)
        )
        assert conn.execute(stale).scalar_one() == 0


def test_guard_is_back_after_a_prune(aged: Store) -> None:
    """The DELETE trigger lifted for the prune refuses deletes again once it commits."""
    _prune(aged, date(2020, 1, 3))
    with pytest.raises(DBAPIError, match="append-only"), aged.transaction() as conn:
        conn.execute(schema.audit_log.delete().where(schema.audit_log.c.seq == 5))


def test_prunes_in_a_row_verify_from_the_latest_checkpoint(aged: Store) -> None:
    """A second prune moves the anchor on; the first checkpoint entry stays in the chain."""
    _prune(aged, date(2020, 1, 3))
    _prune(aged, date(2020, 1, 5))
    report = _verify(aged)
    assert report.ok, report.as_dict()
    assert (report.first_seq, report.last_seq) == (5, 12)


def test_tampering_after_a_prune_is_still_detected(aged: Store) -> None:
    """Edits and deletions after a prune are reported, including of the oldest remaining entry."""
    _prune(aged, date(2020, 1, 5))
    log = schema.audit_log
    with attacker(aged) as conn:
        conn.execute(update(log).where(log.c.seq == 8).values(outcome="error"))
        conn.execute(log.delete().where(log.c.seq == 5))
    report = _verify(aged)
    assert [(p.seq, p.what) for p in report.problems] == [(6, What.ANCHOR), (8, What.ENTRY_HASH)]


def test_prune_refuses_a_broken_chain(aged: Store) -> None:
    """Pruning would destroy the evidence of tampering: it refuses and removes nothing."""
    with attacker(aged) as conn:
        conn.execute(
            update(schema.audit_log).where(schema.audit_log.c.seq == 2).values(outcome="x")
        )
    with pytest.raises(AuditError, match="does not verify"):
        _prune(aged, date(2020, 1, 5))
    assert _count(aged) == 10


def test_nothing_older_than_the_cut_off_means_no_checkpoint(aged: Store) -> None:
    """A cut-off before the oldest entry removes nothing and appends nothing."""
    report = _prune(aged, date(2019, 12, 1))
    assert report.removed == 0
    assert report.checkpoint_seq is None
    assert _count(aged) == 10


def test_prune_lists_payloads_no_remaining_entry_needs(tmp_path: Path) -> None:
    """Bodies of pruned entries are released, except one a kept entry also digested."""
    with open_store("sqlite", tmp_path) as store:
        _append(store, "2020-01-01T00:00:00.000000Z", 1, body=b"shared body")
        _append(store, "2020-01-02T00:00:00.000000Z", 2, body=b"old only")
        _append(store, "2026-05-01T00:00:00.000000Z", 3, body=b"shared body")
        report = _prune(store, date(2020, 2, 1))
    released = set(report.unreferenced_payloads)
    assert hashlib.sha256(b"old only").hexdigest() in released
    assert hashlib.sha256(b"shared body").hexdigest() not in released
