"""The canonical store's contract, run on SQLite and PostgreSQL through one fixture."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from gateway.errors import StoreError
from gateway.mapping.result import FieldIssue
from gateway.store import RecordRow, Store, schema
from gateway.store import outbox as ob
from gateway.store.dlq import DeadLetter, add_dead_letters
from gateway.store.migrations import MIGRATIONS
from gateway.store.records import (
    SQLITE_INSERT,
    SQLITE_LOOKUP,
    SQLITE_UPDATE,
    changes_since,
    iter_hashes,
    upsert_records,
)


def _rows(n: int, version: str = "a") -> list[RecordRow]:
    return [RecordRow(f"k{i:04d}", f'{{"v":"{version}{i}"}}', f"h{version}{i}") for i in range(n)]


def test_migrations_run_once_and_are_current(store: Store) -> None:
    """Opening the store twice applies each migration once and reports the schema current."""
    Store(store.url).close()
    with store.connect() as conn:
        versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    assert sorted(versions) == [number for number, _ in MIGRATIONS]
    assert store.schema_current()


def test_upsert_counts_inserted_updated_unchanged(store: Store) -> None:
    """New keys insert, changed hashes update, identical content is counted and not rewritten."""
    with store.transaction() as conn:
        first = upsert_records(conn, "person", _rows(10), "job")
    assert (first.inserted, first.updated, first.unchanged) == (10, 0, 0)
    changed = _rows(10)
    changed[3] = RecordRow("k0003", '{"v":"changed"}', "hchanged")
    with store.transaction() as conn:
        second = upsert_records(conn, "person", changed, "job")
    assert (second.inserted, second.updated, second.unchanged) == (0, 1, 9)
    with store.connect() as conn:
        seqs = dict(conn.execute(select(schema.records.c.key, schema.records.c.change_seq)).all())
    assert seqs["k0003"] == max(seqs.values())
    assert len(set(seqs.values())) == 10


def test_duplicate_key_in_one_batch_counts_once(store: Store) -> None:
    """A key read twice in one batch is stored once; the second copy counts as unchanged."""
    rows = [*_rows(3), RecordRow("k0001", '{"v":"a1"}', "ha1")]
    with store.transaction() as conn:
        counts = upsert_records(conn, "person", rows, "job")
    assert (counts.inserted, counts.unchanged) == (3, 1)


def test_changes_since_follows_change_sequence(store: Store) -> None:
    """A push reader sees every change exactly once, in change order, from its last number."""
    with store.transaction() as conn:
        upsert_records(conn, "verification", _rows(5), "job")
    with store.connect() as conn:
        first = changes_since(conn, "verification", 0, 3)
        rest = changes_since(conn, "verification", first[-1].change_seq, 10)
    assert [c.key for c in first + rest] == [f"k{i:04d}" for i in range(5)]
    assert [c.change_seq for c in first + rest] == sorted(c.change_seq for c in first + rest)


def test_checkpoint_round_trip_and_version_check(store: Store) -> None:
    """A cursor saved in a transaction loads back; an unknown format version is refused."""
    with store.transaction() as conn:
        store.save_checkpoint(conn, "job", {"v": 1, "updated_since": "2025-01-01 00:00:00"}, "r1")
        store.save_checkpoint(conn, "job", {"v": 1, "updated_since": "2025-02-01 00:00:00"}, "r1")
    assert store.load_checkpoint("job") == {"v": 1, "updated_since": "2025-02-01 00:00:00"}
    with store.transaction() as conn:
        conn.execute(schema.checkpoints.update().values(cursor='{"v": 99, "cursor": null}'))
    with pytest.raises(StoreError):
        store.load_checkpoint("job")


def test_rolled_back_batch_leaves_nothing(store: Store) -> None:
    """Records, cursor and counts of a batch that fails are all rolled back together."""
    run_id = store.start_run("job", "test", None)

    def failing_batch() -> None:
        with store.transaction() as conn:
            upsert_records(conn, "person", _rows(4), "job")
            store.save_checkpoint(conn, "job", {"v": 1}, run_id)
            store.add_run_counts(conn, run_id, {"read": 4, "inserted": 4})
            raise RuntimeError("crash inside the batch")

    with pytest.raises(RuntimeError):
        failing_batch()
    with store.connect() as conn:
        assert list(iter_hashes(conn)) == []
    assert store.load_checkpoint("job") is None
    assert store.run(run_id)["read"] == 0


def test_run_counts_and_status(store: Store) -> None:
    """Run counters add up inside transactions and the run ends with its status."""
    run_id = store.start_run("job", "test", "digest")
    with store.transaction() as conn:
        store.add_run_counts(conn, run_id, {"read": 5, "inserted": 3, "rejected": 2})
        store.add_run_counts(conn, run_id, {"read": 1, "unchanged": 1})
        store.finish_run(conn, run_id, "succeeded", None)
    run = store.run(run_id)
    assert (run["read"], run["inserted"], run["unchanged"], run["rejected"]) == (6, 3, 1, 2)
    assert run["status"] == "succeeded"
    assert run["ended_at"]
    assert store.last_runs(["job"])[0]["id"] == run_id


def test_dead_letters_keep_raw_and_every_reason(store: Store) -> None:
    """A rejected record is kept whole with each reason and its rule summary."""
    letter = DeadLetter(
        source="persons.csv#17",
        raw={"AAC003": "x"},
        reasons=[FieldIssue("AAC002", "missing"), FieldIssue("AAC005", "code_table", "77")],
    )
    with store.transaction() as conn:
        add_dead_letters(conn, "job", "run", "person", [letter])
    with store.connect() as conn:
        row = conn.execute(select(schema.dead_letters)).one()
    assert row.source == "persons.csv#17"
    assert row.status == "open"
    assert row.rules == "AAC002:missing,AAC005:code_table"


def test_outbox_states(store: Store) -> None:
    """Outbox rows are 'sending' before the request and carry the answer after it."""
    entries = [ob.OutboxEntry(f"idem{i}", f"k{i}", f"h{i}", i + 1) for i in range(3)]
    with store.transaction() as conn:
        ob.mark_sending(conn, "push", entries)
        ob.mark_sending(conn, "push", entries[:1])
    with store.transaction() as conn:
        ob.record_outcomes(conn, "push", [("idem0", ob.ACCEPTED, "R1", None, None)])
        states = ob.known_states(conn, "push", ["idem0", "idem1", "idem9"])
        assert ob.accepted_before(conn, "push", ["k0", "k1"]) == {"k0"}
        attempts = conn.execute(
            select(schema.outbox.c.attempts).where(schema.outbox.c.idempotency_key == "idem0")
        ).scalar_one()
    assert states == {"idem0": ob.ACCEPTED, "idem1": ob.SENDING}
    assert attempts == 2


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET outcome = 'x'", "DELETE FROM audit_log"]
)
def test_audit_log_refuses_update_and_delete(store: Store, statement: str) -> None:
    """The database itself refuses to change or remove exchange-log entries."""
    from gateway.audit import AuditEvent, AuditLog

    with store.transaction() as conn:
        AuditLog(b"k" * 32).append(conn, [AuditEvent(kind="run_start", outcome="ok")])
    with pytest.raises(DBAPIError), store.transaction() as conn:
        conn.execute(text(statement))


AWKWARD = [
    '{"name":"张三","note":"say \\"hi\\"\\n\\ttab \\\\ back"}',
    '{"emoji":"\U0001f600","nul":"\\u0000","empty":""}',
    "not json at all: ' \" \\",
]


def test_bulk_writes_store_text_exactly(store: Store) -> None:
    """Pages travel to the database as one bulk statement (a JSON array on SQLite, COPY on
    PostgreSQL); what is stored is byte for byte what was given, inserted and updated alike."""
    rows = [RecordRow(f"k{i}", payload, f"h{i}") for i, payload in enumerate(AWKWARD)]
    with store.transaction() as conn:
        upsert_records(conn, "person", rows, "job")
    swapped = [RecordRow(r.key, AWKWARD[(i + 1) % 3], f"x{i}") for i, r in enumerate(rows)]
    with store.transaction() as conn:
        counts = upsert_records(conn, "person", swapped, "job")
    assert counts.updated == 3
    with store.connect() as conn:
        stored = dict(conn.execute(select(schema.records.c.key, schema.records.c.payload)).all())
        deleted = set(conn.execute(select(schema.records.c.deleted)).scalars())
    assert stored == {r.key: r.payload for r in swapped}
    assert deleted == {False}


def test_dead_letters_keep_raw_text_exactly(store: Store) -> None:
    """A dead letter's raw record comes back as written; the same input twice is one letter."""
    raw = {"AAC003": '李"四\\', "AAE006": "line\nbreak", "n": 12345678901234}
    letter = DeadLetter("file.csv#3", raw, [FieldIssue("name", "required", None, "missing")])
    with store.transaction() as conn:
        add_dead_letters(conn, "job", "run", "person", [letter, letter])
    with store.connect() as conn:
        rows = conn.execute(select(schema.dead_letters.c.raw, schema.dead_letters.c.attempts)).all()
    assert [(orjson.loads(r), n) for r, n in rows] == [(raw, 2)]


@pytest.mark.parametrize(
    "statement", [SQLITE_LOOKUP, SQLITE_INSERT, SQLITE_UPDATE], ids=["lookup", "insert", "update"]
)
def test_sqlite_page_statements_never_scan_the_records(tmp_path: Path, statement: str) -> None:
    """The per-page statements reach records through (entity, key), never by walking every
    record of the entity: such a plan made the 1% incremental pull of 2.2 M persons run for
    minutes."""
    store = Store(f"sqlite:///{tmp_path / 'plan.db'}")
    marks = statement.count("?")
    with store.connect() as conn:
        plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", ("x",) * marks).all()
    store.close()
    wide = [row[-1] for row in plan if " records" in row[-1] and "key=?" not in row[-1]]
    assert not wide, wide


def test_upgrade_folds_dead_letters_filed_twice_before_version_4(tmp_path: Path) -> None:
    """A store from before letter identities: each repeated letter folds into its oldest one."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = Store(url)
    with store.transaction() as conn:
        conn.exec_driver_sql("DROP INDEX ux_dead_letters_job_identity")
        conn.exec_driver_sql("ALTER TABLE dead_letters DROP COLUMN identity")
        conn.exec_driver_sql("DELETE FROM schema_version WHERE version >= 4")
        for n, raw in enumerate(['{"a": 1}', '{"a": 1}', '{"a": 2}', '{"a": 1}']):
            conn.exec_driver_sql(
                "INSERT INTO dead_letters (job, run_id, entity, source, raw, reasons, rules, "
                "attempts, status, created_at, updated_at) VALUES "
                "('j', ?, 'e', 'f.csv#2', ?, '[]', '', 1, 'open', 't', 't')",
                (f"r{n}", raw),
            )
    store.close()
    store = Store(url)
    with store.connect() as conn:
        rows = conn.execute(
            select(schema.dead_letters.c.raw, schema.dead_letters.c.attempts).order_by(
                schema.dead_letters.c.id
            )
        ).all()
    store.close()
    assert [(raw, attempts) for raw, attempts in rows] == [('{"a": 1}', 3), ('{"a": 2}', 1)]
