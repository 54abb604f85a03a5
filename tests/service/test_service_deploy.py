"""What deploy/ ships: the example configuration is valid and complete, and the PostgreSQL roles
give the runtime exactly what it needs (and no UPDATE or DELETE on the exchange log)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import ProgrammingError

from gateway.adapter import Direction, discover_adapters
from gateway.audit import AuditLog, run_start_event
from gateway.config import load_config
from gateway.service import LeaseManager, lease_holders
from gateway.store import Store, schema
from mappings import resolve_mapping
from tests.helpers.paths import ROOT
from tests.helpers.pg import PG_ADMIN

DEPLOY = ROOT / "deploy"


def test_example_configuration_is_valid_and_complete() -> None:
    """Every job of the example names an existing stream of its adapter and a shipped mapping;
    secrets are references and the store is PostgreSQL without a password in the URL."""
    config = load_config(DEPLOY / "gateway.example.yaml")
    assert config.store.url.startswith("postgresql://")
    assert ":" not in config.store.url.split("@")[0].removeprefix("postgresql://")
    assert config.audit.key is not None
    assert config.audit.key.startswith("env:")
    installed = discover_adapters()
    for name, job in config.jobs.items():
        adapter = installed[config.platforms[job.platform].adapter]
        direction = Direction.PULL if job.is_pull else Direction.PUSH
        adapter.stream(job.stream, direction)  # raises, naming the job's stream, if it is unknown
        assert resolve_mapping(job.mapping).is_file(), name
    for platform in config.platforms.values():
        assert platform.app_secret is None or platform.app_secret.startswith(("env:", "file:"))


@pytest.fixture
def role_names() -> Iterator[tuple[str, str]]:
    """Unique role names, dropped after the test's database is (roles span the whole server)."""
    suffix = secrets.token_hex(4)
    names = (f"gw_owner_{suffix}", f"gw_app_{suffix}")
    yield names
    try:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP ROLE IF EXISTS "{name}"')
    except psycopg.OperationalError:
        pass  # no server: the test was skipped before it created anything


def apply_roles(database_url: str, owner: str, app: str) -> None:
    script = (DEPLOY / "postgres" / "roles.sql").read_text(encoding="utf-8")
    script = script.replace("gateway_owner", owner).replace("gateway_app", app)
    with psycopg.connect(database_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(script.encode())  # no parameters: sent as one script


def as_role(url: str, role: str) -> str:
    return url.replace("//postgres@", f"//{role}@")


@pytest.mark.postgres
def test_roles_give_the_runtime_least_privilege(role_names: tuple[str, str], pg_url: str) -> None:
    """The owner migrates; the app role runs jobs, leases and audit appends, and is refused
    UPDATE and DELETE on the exchange log, writing schema versions, and creating tables."""
    owner, app = role_names
    apply_roles(pg_url, owner, app)
    Store(as_role(pg_url, owner)).close()  # opening the store applies the migrations
    apply_roles(pg_url, owner, app)  # as after every upgrade: grants for the new tables

    store = Store(as_role(pg_url, app))  # migrations are current: nothing to create
    run_id = store.start_run("persons", "host-a:1", None)
    with store.transaction() as conn:
        AuditLog(b"k" * 32).append(conn, [run_start_event(run_id=run_id, job="persons")])
        store.finish_run(conn, run_id, "succeeded", None)
    manager = LeaseManager(store, "host-a:1", 60)
    lease = manager.acquire("persons")
    assert lease is not None
    assert lease_holders(store)["persons"][0] == "host-a:1"
    manager.close()
    with store.connect() as conn:
        assert conn.execute(select(schema.audit_log.c.seq)).scalars().all() == [1]
        where = conn.execute(text("SELECT schemaname FROM pg_tables WHERE tablename = 'runs'"))
        assert where.scalar_one() == "gateway"
    refused = [
        "UPDATE audit_log SET outcome = 'forged'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_key_index",
        "TRUNCATE audit_log",
        "INSERT INTO schema_version VALUES (99, 'x')",
        "CREATE TABLE extra (id int)",
        "CREATE TABLE public.extra (id int)",
    ]
    for statement in refused:
        with (
            pytest.raises(ProgrammingError, match="permission denied"),
            store.transaction() as conn,
        ):
            conn.execute(text(statement))
    store.close()
