"""Every table of the canonical store, in one metadata object (design §3)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# Record keys compare by code point on every store (SQLite's default; "C" on PostgreSQL, whose
# database collation may be a locale's): a reconciliation cuts key ranges that the platform
# and the store must both read the same way (decision 0014).
RecordKey = String(255).with_variant(String(255, collation="C"), "postgresql")

# A timestamp is an ISO 8601 UTC string: readable by an auditor with any SQL client, ordered as
# text, identical on SQLite and PostgreSQL, and cheap to write on the hot path.
Timestamp = String(32)

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", Timestamp, nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("entity", String(64), primary_key=True),
    Column("key", RecordKey, primary_key=True),
    Column("payload", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("first_seen", Timestamp, nullable=False),
    Column("last_changed", Timestamp, nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    Column("source_job", String(64), nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    # The digest of the platform record this one was mapped from (gateway.reconcile.digest):
    # what a reconciliation compares with the platform's range digests. NULL when not known.
    Column("source_hash", String(32)),
    Index("ix_records_entity_seq", "entity", "change_seq"),
)

# Platform records the mapping rejected (they are in the dead-letter queue), by key, with the
# digest of what was read: a reconciliation counts them as held, so a range whose only
# difference is a known reject is not read record by record.
rejected_sources = Table(
    "rejected_sources",
    metadata,
    Column("entity", String(64), primary_key=True),
    Column("key", RecordKey, primary_key=True),
    Column("source_hash", String(32), nullable=False),
    Column("job", String(64), nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

# One row per reconciliation: what the metric gateway_reconcile_differences and the scheduler
# read, the same on every instance.
reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("job", String(64), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("ended_at", Timestamp),
    Column("platform_count", BigInteger),
    Column("store_count", BigInteger),
    Column("missing_at_gateway", BigInteger, nullable=False, default=0),
    Column("missing_at_platform", BigInteger, nullable=False, default=0),
    Column("different", BigInteger, nullable=False, default=0),
    Column("rejected", BigInteger, nullable=False, default=0),
    Column("error", Text),
    Index("ix_reconciliations_job_started", "job", "started_at"),
)

# A job's cursor, or one partition's (``JOB/PARTITION``, decision 0021).
CursorName = String(97)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("job", CursorName, primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("updated_at", Timestamp, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("job", String(64), nullable=False),
    Column("instance", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", Timestamp, nullable=False),
    Column("ended_at", Timestamp),
    Column("read", BigInteger, nullable=False, default=0),
    Column("inserted", BigInteger, nullable=False, default=0),
    Column("updated", BigInteger, nullable=False, default=0),
    Column("unchanged", BigInteger, nullable=False, default=0),
    Column("rejected", BigInteger, nullable=False, default=0),
    Column("retried", BigInteger, nullable=False, default=0),
    # Input that could not be read at all: whole files refused and rows that did not parse.
    Column("unreadable", BigInteger, nullable=False, default=0),
    Column("mapping_digest", String(64)),
    Column("error", Text),
    # A partitioned pull (decision 0021): the part this run read, and the round it belongs to
    # (the due time it ran for, or the start of the sync that ran it); NULL otherwise.
    Column("partition", String(32)),
    Column("round", Timestamp),
    Index("ix_runs_job_started", "job", "started_at"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("job", String(64), nullable=False),
    Column("run_id", String(36), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("source", String(512), nullable=False),
    Column("record_key", String(255)),
    Column("key_digest", String(64)),
    # sha256 of where the input came from (stably: file content digest and row, not name)
    # and of the raw input: reading the same input again finds its letter instead of adding one.
    Column("identity", String(64), nullable=False),
    Column("raw", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("rules", String(512), nullable=False),
    Column("attempts", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False, default="open"),
    Column("note", Text),
    Column("created_at", Timestamp, nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    Index("ix_dead_letters_job_status", "job", "status"),
    Index("ux_dead_letters_job_identity", "job", "identity", unique=True),
)

# Every data key a value in this store is sealed with (gateway.store.crypto): a store that
# lists one refuses to open without it, and a rotation removes a key once nothing uses it.
data_keys = Table(
    "data_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    # The store's index key (record key digests), sealed with this data key.
    Column("index_key", Text, nullable=False),
    Column("added_at", Timestamp, nullable=False),
    Column("retired_at", Timestamp),
)

outbox = Table(
    "outbox",
    metadata,
    Column("job", String(64), primary_key=True),
    Column("idempotency_key", String(64), primary_key=True),
    # The record key, or in a sealed store its keyed digest (equality lookups) with the key
    # itself sealed in ``sealed_key``.
    Column("record_key", String(255), nullable=False),
    Column("sealed_key", Text),
    Column("content_hash", String(64), nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("receipt", String(128)),
    Column("code", String(64)),
    Column("reason", Text),
    Column("attempts", Integer, nullable=False, default=0),
    Column("first_sent_at", Timestamp),
    Column("last_sent_at", Timestamp),
    Index("ix_outbox_job_status", "job", "status"),
    Index("ix_outbox_job_record", "job", "record_key"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("format_version", Integer, nullable=False),
    Column("ts", Timestamp, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("run_id", String(36)),
    Column("job", String(64)),
    Column("platform", String(64)),
    Column("direction", String(8)),
    Column("operation", String(64)),
    Column("endpoint", String(512)),
    Column("attempt", Integer),
    Column("http_status", Integer),
    Column("business_code", String(64)),
    Column("duration_ms", Float),
    Column("record_count", Integer, nullable=False, default=0),
    Column("record_keys", Text, nullable=False, default="[]"),
    Column("key_digests", Text, nullable=False, default="[]"),
    Column("request_digest", String(64)),
    Column("response_digest", String(64)),
    Column("mapping", String(128)),
    Column("mapping_version", Integer),
    Column("mapping_digest", String(64)),
    Column("outcome", String(16), nullable=False),
    Column("detail", Text),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    # HMAC of entry_hash under a key derived from audit.key: rewriting the chain needs the key.
    Column("seal", String(64)),
    Index("ix_audit_job_ts", "job", "ts"),
    Index("ix_audit_run", "run_id"),
)

# One row per entry and digest bucket (the digest's first byte), holding that entry's digests
# of the bucket, sorted and concatenated: a page of 2,000 keys adds at most 256 rows, each at
# the end of its bucket's range, not 2,000 random B-tree entries (decision 0020).
audit_key_index = Table(
    "audit_key_index",
    metadata,
    Column("bucket", Integer, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("digests", Text, nullable=False),
    # Verification and pruning walk the index by seq; lookups read one bucket.
    Index("ix_audit_key_seq", "seq"),
)

leases = Table(
    "leases",
    metadata,
    Column("job", CursorName, primary_key=True),
    Column("instance", String(128), nullable=False),
    Column("acquired_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
)

breakers = Table(
    "breakers",
    metadata,
    Column("platform", String(64), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("failures", Integer, nullable=False),
    Column("opened_at", Timestamp),
    Column("reason", Text),
    Column("updated_at", Timestamp, nullable=False),
)

# The web console's local accounts (decision 0016): an argon2 hash, never a password; failures
# in a row and the time a lockout ends.
console_users = Table(
    "console_users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    Column("failures", Integer, nullable=False, default=0),
    Column("locked_until", Timestamp),
    Column("last_sign_in_at", Timestamp),
)
