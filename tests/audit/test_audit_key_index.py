"""The key index files digests by bucket: few rows per page, every key still found."""

from __future__ import annotations

import random

import orjson
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from gateway.audit import AuditLog, KeyDigester, trace
from gateway.audit.verify import What, verify_chain
from gateway.store import Store, schema
from gateway.store.key_index import (
    bucket_of,
    entry_pairs,
    filed_digests,
    index_rows,
    insert_index,
)
from tests.helpers.audit import KEY, exchange

INDEX = schema.audit_key_index
PAGE = 2000


def _id_numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"5201{rng.randrange(10**13):013d}{rng.choice('0123456789X')}" for _ in range(count)]


def test_a_page_of_keys_adds_one_row_per_bucket_and_every_key_is_traced(store: Store) -> None:
    """2,000 keys in one entry: at most 256 index rows, each digest in its own bucket's row,
    sorted; a trace of any key finds that entry and only it."""
    keys = _id_numbers(PAGE, seed=1)
    with store.transaction() as conn:
        [seq] = AuditLog(KEY).append(conn, [exchange(1, keys)])
        other = AuditLog(KEY).append(conn, [exchange(2, ["520102199001011256"])])
    with store.connect() as conn:
        rows = conn.execute(select(INDEX.c.bucket, INDEX.c.digests).where(INDEX.c.seq == seq)).all()
        assert len(rows) <= 256
        assert len(rows) == len({bucket_of(KeyDigester(KEY).digest(key)) for key in keys})
        for bucket, filed in rows:
            digests = filed_digests(filed)
            assert digests == sorted(digests)
            assert {bucket_of(digest) for digest in digests} == {bucket}
        digester = KeyDigester(KEY)
        for key in keys[:: PAGE // 50]:
            assert [int(entry["seq"]) for entry in trace(conn, digester, key)] == [seq]
        assert [int(e["seq"]) for e in trace(conn, digester, "520102199001011256")] == other
        assert verify_chain(conn).ok


@given(
    st.lists(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32), max_size=600),
    st.integers(min_value=1, max_value=2**40),
)
def test_rows_file_exactly_the_entrys_digests(digests: list[str], seq: int) -> None:
    """What the rows of an entry file is what verification expects of it: nothing lost, none
    twice, none in another bucket."""
    rows = index_rows(seq, digests)
    filed = {(bucket, digest, s) for bucket, s, text in rows for digest in filed_digests(text)}
    assert filed == entry_pairs(seq, digests)
    assert sum(len(filed_digests(text)) for _b, _s, text in rows) == len(set(digests))
    assert len({bucket for bucket, _s, _t in rows}) == len(rows)


def test_a_digest_moved_to_another_bucket_is_detected(sqlite_store: Store) -> None:
    """A row rewritten to file a digest under the wrong bucket hides it from a trace:
    verification says so."""
    with sqlite_store.transaction() as conn:
        [seq] = AuditLog(KEY).append(conn, [exchange(1, ["520102199001011256"])])
        [(bucket, filed)] = conn.execute(select(INDEX.c.bucket, INDEX.c.digests)).all()
        conn.execute(INDEX.delete())
        insert_index(conn, [((bucket + 1) % 256, seq, filed)])
    with sqlite_store.connect() as conn:
        report = verify_chain(conn)
        assert [(p.seq, p.what) for p in report.problems] == [(seq, What.INDEX)]
        assert trace(conn, KeyDigester(KEY), "520102199001011256") == []


def test_upgrade_rebuilds_the_index_by_bucket_from_the_entries(store: Store) -> None:
    """A store whose index is one row per (digest, seq), from before version 8: opening it
    files every entry's digests by bucket, so traces and verification hold as before."""
    keys = _id_numbers(300, seed=2)
    with store.transaction() as conn:
        seqs = AuditLog(KEY).append(conn, [exchange(n, keys[n::3]) for n in range(3)])
        carried = [
            (int(seq), orjson.loads(digests))
            for seq, digests in conn.execute(
                select(schema.audit_log.c.seq, schema.audit_log.c.key_digests)
            )
        ]
        conn.exec_driver_sql("DROP TABLE audit_key_index")
        conn.exec_driver_sql(
            "CREATE TABLE audit_key_index (digest VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, "
            "PRIMARY KEY (digest, seq))"
        )
        conn.exec_driver_sql("CREATE INDEX ix_audit_key_seq ON audit_key_index (seq)")
        for seq, digests in carried:
            for digest in digests:
                conn.exec_driver_sql(
                    "INSERT INTO audit_key_index (digest, seq) VALUES (%(d)s, %(s)s)"
                    if conn.dialect.name == "postgresql"
                    else "INSERT INTO audit_key_index (digest, seq) VALUES (:d, :s)",
                    {"d": digest, "s": seq},
                )
        conn.execute(schema.schema_version.delete().where(schema.schema_version.c.version >= 8))
    url = store.url
    store.close()
    reopened = Store(url)
    try:
        with reopened.connect() as conn:
            count = conn.execute(select(func.count()).select_from(INDEX)).scalar_one()
            assert count <= 3 * 256
            assert verify_chain(conn).ok
            digester = KeyDigester(KEY)
            for n in range(3):
                assert [int(e["seq"]) for e in trace(conn, digester, keys[n])] == [seqs[n]]
    finally:
        reopened.close()
