"""Job leases: one holder at a time, expiry, renewal, takeover after a holder dies."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from gateway.clock import to_iso, utc_now
from gateway.errors import ConfigError
from gateway.service.leases import LeaseManager, lease_holders
from gateway.store import Store, schema


def managers(store: Store, *names: str, seconds: float = 60) -> list[LeaseManager]:
    return [LeaseManager(store, name, seconds) for name in names]


def put_row(store: Store, job: str, instance: str, expires_in: float) -> None:
    """A lease row as a holder that is gone would have left it."""
    now = utc_now()
    with store.transaction() as conn:
        conn.execute(
            schema.leases.insert().values(
                job=job,
                instance=instance,
                acquired_at=to_iso(now - timedelta(seconds=1)),
                expires_at=to_iso(now + timedelta(seconds=expires_in)),
            )
        )


def test_a_lease_has_one_holder_until_released(store: Store) -> None:
    """While one instance holds a job's lease another cannot take it; after release it can."""
    a, b = managers(store, "host-a:1", "host-b:2")
    held = a.acquire("persons")
    assert held is not None
    assert b.acquire("persons") is None
    assert b.acquire("other-job") is not None
    assert lease_holders(store)["persons"][0] == "host-a:1"
    a.release(held)
    taken = b.acquire("persons")
    assert taken is not None
    assert lease_holders(store)["persons"][0] == "host-b:2"
    b.close()
    a.close()
    assert lease_holders(store) == {}


def test_renewal_extends_the_lease_and_notices_a_takeover(store: Store) -> None:
    """Renewing pushes the expiry out; once the row is someone else's, the holder is told."""
    (a,) = managers(store, "host-a:1", seconds=30)
    lost: list[str] = []
    lease = a.acquire("persons", on_lost=lambda: lost.append("persons"))
    assert lease is not None
    before = lease.expires_at
    time.sleep(0.01)  # the next expiry must be computed at a later instant
    assert a.renew(lease)
    assert lease.expires_at > before
    assert not lost
    with store.transaction() as conn:
        conn.execute(
            update(schema.leases)
            .where(schema.leases.c.job == "persons")
            .values(instance="host-b:2", acquired_at=to_iso(utc_now()))
        )
    assert not a.renew(lease)
    assert lost == ["persons"]
    a.release(lease)
    with store.connect() as conn:
        holder = conn.execute(select(schema.leases.c.instance)).scalar_one()
    assert holder == "host-b:2"  # a stale holder's release leaves its successor's row alone


def test_expired_and_foreign_rows(store: Store) -> None:
    """An expired row is free everywhere; an unexpired one whose holder is gone is free on
    PostgreSQL at once (no advisory lock) and on SQLite only after it expires."""
    put_row(store, "expired", "gone:1", expires_in=-1)
    put_row(store, "fresh", "gone:1", expires_in=60)
    (b,) = managers(store, "host-b:2")
    assert "expired" not in lease_holders(store)
    assert b.acquire("expired") is not None
    on_postgres = store.dialect == "postgresql"
    assert ("fresh" in lease_holders(store)) is not on_postgres
    assert (b.acquire("fresh") is not None) is on_postgres
    b.close()


def test_instance_ids_must_fit_the_store() -> None:
    """An instance id longer than the store's column is a configuration error."""
    with pytest.raises(ConfigError, match="instance id"):
        LeaseManager(Store("sqlite:///:memory:"), "x" * 129, 60)


HOLDER = """
import sys, time
from gateway.service.leases import LeaseManager
from gateway.store import Store
manager = LeaseManager(Store(sys.argv[1]), "doomed:1", 600)
assert manager.acquire("persons") is not None
print("held", flush=True)
time.sleep(600)
"""


@pytest.mark.postgres
def test_postgres_lease_of_a_killed_holder_is_free_at_once(pg_url: str) -> None:
    """kill -9 of the holder frees the job immediately (the server drops its advisory lock),
    long before the 600 s lease row would have expired."""
    with subprocess.Popen(
        [sys.executable, "-c", HOLDER, pg_url], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            store = Store(pg_url)
            (b,) = managers(store, "host-b:2")
            assert b.acquire("persons") is None
            assert lease_holders(store)["persons"][0] == "doomed:1"
        finally:
            holder.send_signal(signal.SIGKILL)
    lease = None
    deadline = time.monotonic() + 10
    while lease is None and time.monotonic() < deadline:
        lease = b.acquire("persons")
        time.sleep(0.05)
    assert lease is not None
    assert lease_holders(store)["persons"][0] == "host-b:2"
    b.close()
    store.close()


@pytest.mark.postgres
def test_postgres_holder_whose_lock_connection_dies_is_told(pg_url: str) -> None:
    """If the server ends the lock's session, the next renewal reports the lease lost."""
    store = Store(pg_url)
    (a,) = managers(store, "host-a:1")
    lost: list[bool] = []
    lease = a.acquire("persons", on_lost=lambda: lost.append(True))
    assert lease is not None
    with store.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid <> pg_backend_pid()"
            )
        )
        conn.commit()
    assert not a.renew(lease)
    assert lost == [True]
    a.close()
    store.close()
