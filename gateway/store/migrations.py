"""Schema migrations, run on every start under a lock so concurrent instances agree.

Each migration is a numbered function; the ``schema_version`` table records what ran. A new
migration is appended to :data:`MIGRATIONS`, never edited once released.
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from sqlalchemy import Connection, delete, inspect, select, text, update

from gateway.clock import utc_now_iso
from gateway.store import schema
from gateway.store.identity import letter_identity
from gateway.store.key_index import index_rows, insert_index

Migration = Callable[[Connection], None]

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises migrations.
_MIGRATION_LOCK = 7_411_020_222
_REINDEX_CHUNK = 200  # log entries re-indexed per statement (a pull's entry: 2,000 digests)


def _v1_initial(conn: Connection) -> None:
    schema.metadata.create_all(conn)
    conn.execute(schema.counters.insert().values(name="record_change_seq", value=0))


def _v2_audit_append_only(conn: Connection) -> None:
    """UPDATE and DELETE on the exchange log are refused by the database itself."""
    if conn.dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
                "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
            )
        return
    conn.exec_driver_sql(
        "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
        "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$ LANGUAGE plpgsql"
    )
    conn.exec_driver_sql(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )


def _v3_audit_seal_index_truncate(conn: Connection) -> None:
    """Audit entry seals, the key index by seq, and (PostgreSQL) TRUNCATE refused too.

    A new store already has the column and the index from ``create_all``. Row triggers do not
    fire on TRUNCATE, which would otherwise empty the log in one statement.
    """
    if "seal" not in {column["name"] for column in inspect(conn).get_columns("audit_log")}:
        conn.exec_driver_sql("ALTER TABLE audit_log ADD COLUMN seal VARCHAR(64)")
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS ix_audit_key_seq ON audit_key_index (seq)")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def _v4_unreadable_and_letter_identity(conn: Connection) -> None:
    """Runs count unreadable input; one dead letter per (job, identity).

    Letters filed before this version were never de-duplicated: each group with one identity
    (source and raw input) folds into its oldest letter, which keeps the attempts of all.
    """
    columns = {column["name"] for column in inspect(conn).get_columns("runs")}
    if "unreadable" not in columns:
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN unreadable BIGINT NOT NULL DEFAULT 0")
    letters = {column["name"] for column in inspect(conn).get_columns("dead_letters")}
    if "identity" in letters:
        return
    conn.exec_driver_sql("ALTER TABLE dead_letters ADD COLUMN identity VARCHAR(64)")
    table = schema.dead_letters
    keep: dict[tuple[str, str], tuple[int, int]] = {}
    for row in conn.execute(
        select(table.c.id, table.c.job, table.c.source, table.c.raw, table.c.attempts).order_by(
            table.c.id
        )
    ):
        identity = letter_identity(row.source, row.raw)
        first = keep.get((row.job, identity))
        if first is None:
            keep[(row.job, identity)] = (row.id, row.attempts)
            conn.execute(update(table).where(table.c.id == row.id).values(identity=identity))
            continue
        keep[(row.job, identity)] = (first[0], first[1] + row.attempts)
        conn.execute(
            update(table).where(table.c.id == first[0]).values(attempts=first[1] + row.attempts)
        )
        conn.execute(delete(table).where(table.c.id == row.id))
    conn.exec_driver_sql(
        "CREATE UNIQUE INDEX ux_dead_letters_job_identity ON dead_letters (job, identity)"
    )


def _v5_reconciliation(conn: Connection) -> None:
    """Records keep the digest of their platform record; rejects and reconciliations are kept.

    Records stored before have no digest (NULL): a reconciliation compares their ranges record
    by record until the next read of each fills it in. On PostgreSQL record keys compare by
    code point from now on, whatever the database's collation.
    """
    if "source_hash" not in {column["name"] for column in inspect(conn).get_columns("records")}:
        conn.exec_driver_sql("ALTER TABLE records ADD COLUMN source_hash VARCHAR(32)")
    if conn.dialect.name == "postgresql":
        # Keys by code point, as on SQLite: the primary key's index is rebuilt once.
        conn.exec_driver_sql('ALTER TABLE records ALTER COLUMN key TYPE VARCHAR(255) COLLATE "C"')
    schema.rejected_sources.create(conn, checkfirst=True)
    schema.reconciliations.create(conn, checkfirst=True)


def _v6_data_keys(conn: Connection) -> None:
    """The data keys the store's sealed values need (none: a store written in clear), and
    the outbox's sealed record keys."""
    schema.data_keys.create(conn, checkfirst=True)
    columns = {column["name"] for column in inspect(conn).get_columns("outbox")}
    if "sealed_key" not in columns:
        conn.exec_driver_sql("ALTER TABLE outbox ADD COLUMN sealed_key TEXT")


def _v7_console_users(conn: Connection) -> None:
    """The web console's local accounts."""
    schema.console_users.create(conn, checkfirst=True)


def _v8_key_index_by_bucket(conn: Connection) -> None:
    """The key index files an entry's digests by bucket, one row per entry and bucket
    (decision 0020), rebuilt from the digests each entry carries, which the chain protects."""
    columns = {column["name"] for column in inspect(conn).get_columns("audit_key_index")}
    if "bucket" in columns:
        return  # created in this shape
    conn.exec_driver_sql("DROP TABLE audit_key_index")
    schema.audit_key_index.create(conn)
    log = schema.audit_log
    last = 0
    while True:
        entries = conn.execute(
            select(log.c.seq, log.c.key_digests)
            .where(log.c.seq > last)
            .order_by(log.c.seq)
            .limit(_REINDEX_CHUNK)
        ).all()
        if not entries:
            return
        rows = [
            row for seq, digests in entries for row in index_rows(int(seq), orjson.loads(digests))
        ]
        insert_index(conn, rows)
        last = int(entries[-1][0])


def _v9_partitions(conn: Connection) -> None:
    """Partitioned pulls (decision 0021): runs name their partition and round; leases and
    cursors take ``JOB/PARTITION`` names, wider than a job's."""
    columns = {column["name"] for column in inspect(conn).get_columns("runs")}
    if "partition" not in columns:
        conn.exec_driver_sql('ALTER TABLE runs ADD COLUMN "partition" VARCHAR(32)')
    if "round" not in columns:
        conn.exec_driver_sql('ALTER TABLE runs ADD COLUMN "round" VARCHAR(32)')
    if conn.dialect.name == "postgresql":  # SQLite does not enforce a VARCHAR's length
        for table in ("leases", "checkpoints"):
            conn.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN job TYPE VARCHAR(97)")


MIGRATIONS: list[tuple[int, Migration]] = [
    (1, _v1_initial),
    (2, _v2_audit_append_only),
    (3, _v3_audit_seal_index_truncate),
    (4, _v4_unreadable_and_letter_identity),
    (5, _v5_reconciliation),
    (6, _v6_data_keys),
    (7, _v7_console_users),
    (8, _v8_key_index_by_bucket),
    (9, _v9_partitions),
]

LATEST = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    if not conn.dialect.has_table(conn, "schema_version"):
        return 0
    versions = conn.execute(select(schema.schema_version.c.version)).scalars().all()
    return max(versions, default=0)


def migrate(conn: Connection) -> int:
    """Apply what is missing; call inside a transaction. Returns the resulting version."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
    version = current_version(conn)
    for number, step in MIGRATIONS:
        if number <= version:
            continue
        step(conn)
        conn.execute(
            schema.schema_version.insert().values(version=number, applied_at=utc_now_iso())
        )
        version = number
    return version
