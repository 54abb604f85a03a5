"""Who runs which job: one lease per job in the store, so a job runs once across instances.

Every instance schedules every job; when a job is due, each instance asks for its lease and only
the one that gets it runs the job. Two mechanisms behind one interface:

- lease rows (the ``leases`` table; SQLite and PostgreSQL): a row names the holder and an
  expiry. The holder renews it while the run lasts; a holder that dies stops renewing, and once
  the row has expired another instance may take it.
- on PostgreSQL, first a session advisory lock on a dedicated connection held for the run. It is
  the authority there: the server releases it the moment the holder's connection dies
  (``kill -9`` included), so a takeover does not wait for the row to expire. The row is then
  written for ``gateway leases`` and renewed the same way.

A holder that finds its lease gone (the row taken over, its lock connection dead, or no renewal
for a whole lease period) is told through ``on_lost``, so its run stops after the batch in
flight. ``acquired_at`` doubles as the token of one acquisition: renewing and releasing match
it, so a stale holder never touches its successor's row.
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import psutil
from sqlalchemy import Connection, Engine, create_engine, delete, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from gateway.clock import parse_iso, to_iso, utc_now
from gateway.errors import ConfigError, GatewayError, JobBusyError
from gateway.logging import get_logger
from gateway.store import Store, schema

log = get_logger("gateway.service.leases")

MAX_INSTANCE_LENGTH = 128  # the width of leases.instance and runs.instance


def lock_key(job: str) -> int:
    """The job's PostgreSQL advisory lock key: a signed 64-bit digest of its name."""
    digest = hashlib.blake2b(f"gateway-job:{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def store_now(conn: Connection) -> datetime:
    """The store's clock on PostgreSQL (instances on several hosts agree on expiry); the local
    clock on SQLite, whose instances share one host."""
    if conn.dialect.name == "postgresql":
        moment: datetime = conn.execute(text("SELECT clock_timestamp()")).scalar_one()
        return moment
    return utc_now()


@dataclass
class Lease:
    """One held lease on one job."""

    job: str
    instance: str
    token: str
    expires_at: datetime
    on_lost: Callable[[], None] | None = None
    lock_conn: Connection | None = field(default=None, repr=False)
    renewed: float = field(default_factory=time.monotonic)
    state: Literal["held", "lost", "released"] = "held"
    # Renewal (a background thread) and release (the run's thread) never overlap on one lease.
    guard: threading.Lock = field(default_factory=threading.Lock, repr=False)


class LeaseManager:
    """Acquires, renews and releases this instance's job leases on one store."""

    def __init__(self, store: Store, instance: str, seconds: float) -> None:
        if not instance or len(instance) > MAX_INSTANCE_LENGTH:
            raise ConfigError(
                f"the instance id must be 1 to {MAX_INSTANCE_LENGTH} characters",
                length=len(instance),
            )
        self.store = store
        self.instance = instance
        self.seconds = seconds
        self._held: dict[str, Lease] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._lock_engine: Engine | None = None
        if store.dialect == "postgresql":
            # No pool: closing a lock connection must really close it, which releases the lock.
            self._lock_engine = create_engine(store.engine.url, poolclass=NullPool)

    def acquire(self, job: str, on_lost: Callable[[], None] | None = None) -> Lease | None:
        """The job's lease, or ``None`` while another holder has it."""
        lock_conn = self._try_lock(job) if self._lock_engine is not None else None
        if self._lock_engine is not None and lock_conn is None:
            return None
        try:
            with self.store.transaction() as conn:
                lease = self._claim_row(conn, job, force=lock_conn is not None)
        except BaseException:
            if lock_conn is not None:
                lock_conn.close()
            raise
        if lease is None:
            return None
        lease.on_lost, lease.lock_conn = on_lost, lock_conn
        with self._lock:
            self._held[job] = lease
        return lease

    def reclaim_from_dead_local_holder(self, job: str) -> bool:
        """Free a job whose lease names a process of this host that no longer exists.

        An SQLite lease outlives a ``kill -9`` until it expires; when the holder was a process
        on this very machine, its absence is proof enough and the wait is pointless.
        """
        holder = lease_holders(self.store).get(job)
        if holder is None:
            return False
        host, _, pid = holder[0].rpartition(":")
        if host != socket.gethostname() or not pid.isdigit() or psutil.pid_exists(int(pid)):
            return False
        table = schema.leases
        with self.store.transaction() as conn:
            conn.execute(delete(table).where(table.c.job == job, table.c.instance == holder[0]))
        return True

    def _try_lock(self, job: str) -> Connection | None:
        assert self._lock_engine is not None
        conn = self._lock_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key(job)})
            if got.scalar_one():
                return conn
        except BaseException:
            conn.close()
            raise
        conn.close()
        return None

    def _claim_row(self, conn: Connection, job: str, *, force: bool) -> Lease | None:
        table = schema.leases
        now = store_now(conn)
        row = conn.execute(select(table).where(table.c.job == job)).first()
        if row is not None and not force and row.expires_at > to_iso(now):
            return None
        expires = now + timedelta(seconds=self.seconds)
        values = {
            "instance": self.instance,
            "acquired_at": to_iso(now),
            "expires_at": to_iso(expires),
        }
        if row is None:
            conn.execute(table.insert().values(job=job, **values))
        else:
            conn.execute(update(table).where(table.c.job == job).values(**values))
        return Lease(job, self.instance, values["acquired_at"], expires)

    def renew(self, lease: Lease) -> bool:
        """Push the expiry out by a lease period; ``False`` (and ``on_lost``) once it is lost."""
        with lease.guard:
            return lease.state == "held" and self._renew(lease)

    def _renew(self, lease: Lease) -> bool:
        if lease.lock_conn is not None:
            try:
                lease.lock_conn.execute(text("SELECT 1"))
            except SQLAlchemyError:
                # The session that held the advisory lock is gone, and the lock with it:
                # another instance may already have taken the job.
                self._lose(lease, "lock session ended")
                return False
        try:
            with self.store.transaction() as conn:
                expires = store_now(conn) + timedelta(seconds=self.seconds)
                done = conn.execute(
                    update(schema.leases)
                    .where(*self._mine(lease))
                    .values(expires_at=to_iso(expires))
                )
        except (SQLAlchemyError, GatewayError) as exc:
            # A store that is briefly away is not a lost lease, until a whole period has passed
            # without renewal: by then another instance may rightly have taken the job.
            if time.monotonic() - lease.renewed < self.seconds:
                log.warning(
                    "lease renewal failed; will retry", job=lease.job, error=type(exc).__name__
                )
                return True
            self._lose(lease, "not renewed within the lease period")
            return False
        if done.rowcount != 1:
            self._lose(lease, "taken over")
            return False
        lease.expires_at, lease.renewed = expires, time.monotonic()
        return True

    def _lose(self, lease: Lease, reason: str) -> None:
        lease.state = "lost"
        log.warning(
            "lease lost: the run stops after the batch in flight", job=lease.job, reason=reason
        )
        if lease.on_lost is not None:
            lease.on_lost()

    def release(self, lease: Lease) -> None:
        """Give the lease back, so another instance may run the job at once."""
        with self._lock:
            if self._held.get(lease.job) is lease:
                del self._held[lease.job]
        with lease.guard:
            if lease.state == "released":
                return
            lease.state = "released"
            try:
                with self.store.transaction() as conn:
                    conn.execute(delete(schema.leases).where(*self._mine(lease)))
            except SQLAlchemyError as exc:
                log.warning(
                    "lease row not released; it expires by itself",
                    job=lease.job,
                    error=type(exc).__name__,
                )
            finally:
                if lease.lock_conn is not None:
                    lease.lock_conn.close()  # the server drops the advisory lock with the session

    def _mine(self, lease: Lease) -> tuple[Any, ...]:
        table = schema.leases
        return (
            table.c.job == lease.job,
            table.c.instance == lease.instance,
            table.c.acquired_at == lease.token,
        )

    # renewal -----------------------------------------------------------------------------------

    def start_renewing(self) -> None:
        """Renew every held lease three times a lease period, in a background thread."""
        self._stop.clear()
        self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            with self._lock:
                leases = list(self._held.values())
            for lease in leases:
                self.renew(lease)

    def close(self) -> None:
        """Stop renewing and give back every lease still held."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        with self._lock:
            leases = list(self._held.values())
        for lease in leases:
            self.release(lease)
        if self._lock_engine is not None:
            self._lock_engine.dispose()


def _advisory_locks_held(conn: Connection) -> set[int]:
    """Keys of the advisory locks granted in this database (a bigint key is split into
    ``classid``, its high 32 bits, and ``objid``, its low 32 bits)."""
    rows = conn.execute(
        text(
            "SELECT classid::bigint, objid::bigint FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND objsubid = 1 AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
    )
    keys = set()
    for high, low in rows:
        key = (int(high) << 32) | int(low)
        keys.add(key - (1 << 64) if key >= 1 << 63 else key)
    return keys


def lease_holders(store: Store) -> dict[str, tuple[str, datetime]]:
    """Job → (instance, lease expiry) for every lease held now. On PostgreSQL a row whose
    advisory lock is gone (its holder died) is not counted, although it has not yet expired."""
    table = schema.leases
    with store.connect() as conn:
        now = to_iso(store_now(conn))
        rows = conn.execute(
            select(table.c.job, table.c.instance, table.c.expires_at)
            .where(table.c.expires_at > now)
            .order_by(table.c.job)
        ).all()
        locked = _advisory_locks_held(conn) if conn.dialect.name == "postgresql" else None
    return {
        job: (instance, parse_iso(expires))
        for job, instance, expires in rows
        if locked is None or lock_key(job) in locked
    }


@contextmanager
def held_lease(
    store: Store, instance: str, job: str, seconds: float, stop: threading.Event
) -> Iterator[None]:
    """Hold ``job``'s lease for the block, as the scheduler does, so nothing else runs or moves
    the job meanwhile (a manual sync, a replay that reads a file again, an operator's edit of
    its cursor). Another holder → :class:`JobBusyError`; a lease lost midway sets ``stop``."""
    leases = LeaseManager(store, instance, seconds)
    lease = leases.acquire(job, on_lost=stop.set)
    if lease is None and leases.reclaim_from_dead_local_holder(job):
        lease = leases.acquire(job, on_lost=stop.set)
    if lease is None:
        holder = lease_holders(store).get(job)
        leases.close()
        raise JobBusyError(
            "the job is running elsewhere", job=job, holder=holder[0] if holder else None
        )
    leases.start_renewing()
    try:
        yield
    finally:
        leases.release(lease)
        leases.close()
