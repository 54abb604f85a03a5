"""Connecting to the store, transactions, and the small state tables (checkpoints, runs)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError, SQLAlchemyError

from gateway.clock import utc_now_iso
from gateway.errors import ConfigError, StoreError
from gateway.private import make_private, private_dir
from gateway.store import migrations, schema
from gateway.store.crypto import Sealer, open_value, sealer_of
from gateway.store.keyring import check_keys

CHECKPOINT_VERSION = 1
RUN_COUNTERS = (
    "read", "inserted", "updated", "unchanged", "rejected", "retried", "unreadable",
)  # fmt: skip
# Record keys (ID numbers) and audit digests arrive in random order, so every page touches
# index pages all over the B-trees: a 64 MiB page cache (SQLite's default is 2 MiB) keeps them
# in memory, and a 40 MiB write-ahead log checkpoints a few times a minute rather than after
# every other page. Both are bounded: memory does not grow with the store (decision 0008).
# The checkpoint interval counts pages of 4 KiB: 10,000 is the 40 MiB; journal_size_limit
# truncates the log back after a checkpoint, so a long pull never holds more than that on disk.
SQLITE_CACHE_KIB = 65_536
SQLITE_WAL_CHECKPOINT_PAGES = 10_000
SQLITE_WAL_LIMIT_BYTES = 64 * 1024 * 1024


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, open transactions, so BEGIN IMMEDIATE takes the
        # write lock up front and two writers queue instead of failing mid-transaction.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={SQLITE_WAL_LIMIT_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError("store.url is not a database URL", url=url) from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            private_dir(Path(database).parent)
        return _sqlite_engine(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    raise ConfigError(
        "store.url must be sqlite:/// or postgresql://", backend=parsed.get_backend_name()
    )


# Kept beside an SQLite store file and given up when its disk fills: the room a failed run
# needs to record that it failed (its end, its audit entry) when nothing else is left.
RESERVE_BYTES = 2 * 1024 * 1024
RESERVE_SUFFIX = ".reserve"


def _carry(sealer: Sealer | None) -> Any:
    def on_connect(_dbapi_conn: Any, record: Any) -> None:
        record.info["sealer"] = sealer

    return on_connect


class Store:
    """The canonical store. Every write goes through :meth:`transaction`."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        sealer: Sealer | None = None,
        sealing: bool = False,
    ) -> None:
        self.url = url
        self.sealer = sealer
        self.engine = make_engine(url)
        # Every connection carries the sealer, so a function handed only a connection (dead
        # letters, checkpoints) seals and opens personal data the same way.
        event.listen(self.engine, "connect", _carry(sealer))
        self.dialect = self.engine.dialect.name
        database = make_url(url).database if self.dialect == "sqlite" else None
        self.file = Path(database) if database and database != ":memory:" else None
        fresh = self.file is not None and not self.file.exists()
        if migrate:
            try:
                self.migrate()
                self.keep_reserve()
                with self.transaction() as conn:
                    check_keys(conn, sealer, sealing=sealing)
            except BaseException:
                self.engine.dispose()  # refused: no pooled connection outlives the refusal
                raise
        if fresh:
            self.keep_private()

    def keep_private(self) -> None:
        """A new store's file, WAL, shared memory and reserve: owner only, like every file.

        An existing store keeps its mode: ``status`` warns about one others may read.
        """
        if self.file is None:
            return
        for suffix in ("", "-wal", "-shm", RESERVE_SUFFIX):
            path = self.file.with_name(self.file.name + suffix)
            if path.exists() and path.stat().st_uid == os.getuid():
                make_private(path)

    @property
    def reserve_path(self) -> Path | None:
        return self.file.with_name(self.file.name + RESERVE_SUFFIX) if self.file else None

    def keep_reserve(self) -> None:
        """Make sure the reserve exists (a full disk leaves it missing until there is room)."""
        path = self.reserve_path
        if path is None or path.exists():
            return
        try:
            with path.open("xb") as handle:
                handle.write(bytes(RESERVE_BYTES))
        except OSError:
            path.unlink(missing_ok=True)

    def check_free_space(self, needed_mb: int) -> None:
        """Refuse to start with less than ``needed_mb`` free on an SQLite store's disk."""
        if self.file is None:
            return
        free_mb = shutil.disk_usage(self.file.parent).free // (1024 * 1024)
        if free_mb < needed_mb:
            raise StoreError(
                "too little free space on the store's disk (store.min_free_mb)",
                path=str(self.file.parent),
                free_mb=free_mb,
                needed_mb=needed_mb,
            )

    def release_reserve(self) -> bool:
        """Give the reserve's room back to the store's disk; ``False`` if there was none."""
        path = self.reserve_path
        if path is None or not path.exists():
            return False
        path.unlink()
        return True

    def migrate(self) -> int:
        try:
            with self.transaction() as conn:
                return migrations.migrate(conn)
        except OperationalError as exc:
            raise StoreError("the store cannot be reached", url=self.safe_url) from exc
        except ProgrammingError as exc:
            # e.g. pending migrations under a role that may not change the schema
            raise StoreError(
                "the store refused the schema migration (does this role own the schema?)",
                url=self.safe_url,
                error=type(exc.orig).__name__,
            ) from exc

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE)."""
        with self.engine.connect() as conn:
            conn.execution_options(write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def schema_current(self) -> bool:
        try:
            with self.connect() as conn:
                return migrations.current_version(conn) == migrations.LATEST
        except SQLAlchemyError:
            return False

    # checkpoints ---------------------------------------------------------------------------

    def load_checkpoint(self, job: str) -> dict[str, Any] | None:
        with self.connect() as conn:
            row = conn.execute(
                select(schema.checkpoints.c.cursor).where(schema.checkpoints.c.job == job)
            ).first()
        if row is None:
            return None
        state = orjson.loads(open_value(self.sealer, row[0]))
        if state.get("v") != CHECKPOINT_VERSION:
            raise StoreError("checkpoint has an unknown format version", job=job, v=state.get("v"))
        cursor: dict[str, Any] | None = state["cursor"]
        return cursor

    @staticmethod
    def save_checkpoint(
        conn: Connection, job: str, cursor: Mapping[str, Any] | None, run_id: str
    ) -> None:
        body = orjson.dumps({"v": CHECKPOINT_VERSION, "cursor": cursor}).decode()
        sealer = sealer_of(conn)
        if sealer is not None:  # a cursor may hold a key (the persons pull's after_key)
            body = sealer.seal_text(body)
        values = {"cursor": body, "run_id": run_id, "updated_at": utc_now_iso()}
        done = conn.execute(
            update(schema.checkpoints).where(schema.checkpoints.c.job == job).values(**values)
        )
        if done.rowcount == 0:
            conn.execute(schema.checkpoints.insert().values(job=job, **values))

    def reset_checkpoint(self, job: str) -> None:
        with self.transaction() as conn:
            conn.execute(schema.checkpoints.delete().where(schema.checkpoints.c.job == job))

    # runs ------------------------------------------------------------------------------------

    def start_run(
        self,
        job: str,
        instance: str,
        mapping_digest: str | None,
        *,
        partition: str | None = None,
        round_id: str | None = None,
    ) -> str:
        run_id = str(uuid.uuid4())
        with self.transaction() as conn:
            conn.execute(
                schema.runs.insert().values(
                    id=run_id,
                    job=job,
                    instance=instance,
                    status="running",
                    started_at=utc_now_iso(),
                    mapping_digest=mapping_digest,
                    partition=partition,
                    round=round_id,
                    **dict.fromkeys(RUN_COUNTERS, 0),
                )
            )
        return run_id

    @staticmethod
    def add_run_counts(conn: Connection, run_id: str, counts: Mapping[str, int]) -> None:
        increments = {
            name: getattr(schema.runs.c, name) + value
            for name, value in counts.items()
            if value and name in RUN_COUNTERS
        }
        if increments:
            conn.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(**increments))

    @staticmethod
    def finish_run(conn: Connection, run_id: str, status: str, error: str | None) -> None:
        conn.execute(
            update(schema.runs)
            .where(schema.runs.c.id == run_id)
            .values(status=status, ended_at=utc_now_iso(), error=error)
        )

    def run(self, run_id: str) -> dict[str, Any]:
        with self.connect() as conn:
            row = conn.execute(select(schema.runs).where(schema.runs.c.id == run_id)).first()
        if row is None:
            raise StoreError("no such run", run_id=run_id)
        return dict(row._mapping)

    def last_runs(self, jobs: list[str] | None = None, per_job: int = 1) -> list[dict[str, Any]]:
        query = select(schema.runs).order_by(schema.runs.c.started_at.desc())
        if jobs:
            query = query.where(schema.runs.c.job.in_(jobs))
        seen: dict[str, int] = {}
        found = []
        with self.connect() as conn:
            for row in conn.execute(query):
                if seen.get(row.job, 0) < per_job:
                    seen[row.job] = seen.get(row.job, 0) + 1
                    found.append(dict(row._mapping))
        return found

    def mark_abandoned_runs(
        self, job: str, live_instances: set[str] | None = None, *, partition: str | None = None
    ) -> int:
        """Runs left 'running' by a process that died are marked 'interrupted': the job's, or
        one partition's (each partition has a lease of its own)."""
        runs = schema.runs
        part = runs.c.partition.is_(None) if partition is None else runs.c.partition == partition
        query = update(runs).where(runs.c.job == job, runs.c.status == "running", part)
        if live_instances:
            query = query.where(schema.runs.c.instance.not_in(live_instances))
        with self.transaction() as conn:
            return conn.execute(query.values(status="interrupted", ended_at=utc_now_iso())).rowcount
