"""The exchange log's key index: which entries carried a given keyed digest.

An entry's digests are filed by bucket, the digest's first byte: one index row per entry and
bucket holds that entry's digests of the bucket, sorted and joined by spaces. A full pull's page of
2,000 keys so adds at most 256 rows, each at the end of its bucket's range (``seq`` grows), in
place of 2,000 entries scattered at random over a B-tree that outgrows the page cache at two
million persons (decision 0020). A lookup reads one bucket: 1/256 of the index.

The index only finds candidates: a trace confirms each against the digests its entry carries,
which the chain protects, and verification compares the two (:func:`index_pairs`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Connection, select

from gateway.store import schema
from gateway.store.bulk import insert_rows

BUCKET_CHARS = 2  # hex characters of a digest that name its bucket: 256 buckets


def bucket_of(digest: str) -> int:
    return int(digest[:BUCKET_CHARS], 16)


def index_rows(seq: int, digests: Iterable[str]) -> list[tuple[int, int, str]]:
    """``(bucket, seq, digests)`` rows of one entry."""
    buckets: defaultdict[int, list[str]] = defaultdict(list)
    for digest in set(digests):
        buckets[bucket_of(digest)].append(digest)
    return [(bucket, seq, " ".join(sorted(filed))) for bucket, filed in sorted(buckets.items())]


def filed_digests(digests: str) -> list[str]:
    """The digests one index row holds."""
    return digests.split(" ")


def insert_index(conn: Connection, rows: list[tuple[int, int, str]]) -> None:
    insert_rows(conn, "audit_key_index", ("bucket", "seq", "digests"), rows)


def candidate_seqs(conn: Connection, digest: str) -> list[int]:
    """Entries whose index rows file ``digest``, oldest first."""
    index = schema.audit_key_index
    query = (
        select(index.c.seq, index.c.digests)
        .where(index.c.bucket == bucket_of(digest))
        .order_by(index.c.seq)
    )
    return [int(seq) for seq, digests in conn.execute(query) if digest in filed_digests(digests)]


def index_pairs(conn: Connection, low: int, high: int) -> set[tuple[int, str, int]]:
    """``(bucket, digest, seq)`` of every digest the index files for entries ``low..high``."""
    index = schema.audit_key_index
    query = select(index.c.bucket, index.c.seq, index.c.digests).where(
        index.c.seq.between(low, high)
    )
    return {
        (int(bucket), digest, int(seq))
        for bucket, seq, digests in conn.execute(query)
        for digest in filed_digests(digests)
    }


def entry_pairs(seq: int, digests: Iterable[str]) -> set[tuple[int, str, int]]:
    """What :func:`index_pairs` must answer for one entry carrying ``digests``."""
    return {(bucket_of(digest), digest, seq) for digest in digests}
