"""The store side of a reconciliation, on SQLite and PostgreSQL through one fixture."""

from __future__ import annotations

from sqlalchemy import select

from gateway.adapter import KeyRange
from gateway.reconcile.digest import RangeDigest
from gateway.store import RecordRow, Store, schema
from gateway.store import holdings as held
from gateway.store.records import upsert_records


def rows(n: int, version: str = "a", source: str = "s") -> list[RecordRow]:
    return [
        RecordRow(f"k{i:03d}", f'{{"v":"{version}{i}"}}', f"h{version}{i}", f"{source}{i}")
        for i in range(n)
    ]


def source_hashes(store: Store) -> dict[str, str | None]:
    table = schema.records
    with store.connect() as conn:
        return dict(conn.execute(select(table.c.key, table.c.source_hash)).all())


def test_source_digest_kept_and_restamped_without_a_new_change(store: Store) -> None:
    """Records keep their source digest; the same content from another platform record only
    changes the digest, not the change number; a tombstone read again is stored again."""
    with store.transaction() as conn:
        upsert_records(conn, "person", rows(3), "job")
    assert source_hashes(store) == {"k000": "s0", "k001": "s1", "k002": "s2"}
    seq = schema.records.c.change_seq
    with store.connect() as conn:
        before = conn.execute(select(seq).order_by(seq)).scalars().all()
    with store.transaction() as conn:
        counts = upsert_records(conn, "person", rows(3, source="t"), "job")
    assert (counts.unchanged, counts.updated) == (3, 0)
    assert source_hashes(store) == {"k000": "t0", "k001": "t1", "k002": "t2"}
    with store.transaction() as conn:
        assert conn.execute(select(seq).order_by(seq)).scalars().all() == before
        assert held.mark_deleted(conn, "person", ["k001"]) == 1
    with store.transaction() as conn:
        assert held.count_live(conn, "person", KeyRange()) == 2
        again = upsert_records(conn, "person", rows(3, source="t"), "job")
    assert again.updated == 1
    with store.connect() as conn:
        assert held.count_live(conn, "person", KeyRange()) == 3


def test_ranges_digests_rejects_and_pages(store: Store) -> None:
    """Key ranges count and digest live records and the rejects the store does not hold;
    records stream in key order a page at a time."""
    with store.transaction() as conn:
        upsert_records(conn, "person", rows(30), "job")
        held.note_rejected(
            conn, "person", "job", [held.Rejected("k005", "r"), held.Rejected("x1", "r")]
        )
        held.note_rejected(conn, "person", "job", [held.Rejected("x1", "r2")])
    with store.connect() as conn:
        middle = KeyRange("k010", "k020")
        items = list(held.iter_source_digests(conn, "person", middle))
        assert [k for k, _ in items] == [f"k{i:03d}" for i in range(10, 20)]
        assert RangeDigest.of(items) == RangeDigest.of(
            (f"k{i:03d}", f"s{i}") for i in range(10, 20)
        )
        # k005 is held live, so only x1 counts as a reject, with its latest digest.
        assert list(held.iter_rejected(conn, "person", KeyRange())) == [("x1", "r2")]
        assert held.rejected_among(conn, "person", ["k005", "x1", "zz"]) == {"k005", "x1"}
    streamed = [r.key for r in held.iter_records(store.connect, "person", KeyRange("k001", None))]
    assert streamed == [f"k{i:03d}" for i in range(1, 30)]


def test_reconciliations_and_outbox_in_doubt(store: Store) -> None:
    """The last finished reconciliation per job gives the metric; lost outbox entries go back
    to sending."""
    with store.transaction() as conn:
        held.start_reconciliation(conn, "r1", "job", "full")
        held.finish_reconciliation(
            conn, "r1", "finished", {"different": 2, "missing_at_gateway": 1}
        )
        conn.execute(
            schema.outbox.insert().values(
                job="push", idempotency_key="i1", record_key="k", content_hash="h",
                change_seq=1, status="accepted", attempts=1,
            )
        )  # fmt: skip
        assert held.mark_in_doubt(conn, "push", ["i1"]) == 1
    with store.connect() as conn:
        assert held.latest_differences(conn) == {"job": 3}
        assert held.reconciled_since(conn, "job", "2000-01-01T00:00:00Z")
    pages = list(held.iter_outbox(store.connect, "push"))
    assert [[r.status for r in page] for page in pages] == [["sending"]]
