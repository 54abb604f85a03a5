"""Throw-away databases for tests: PostgreSQL at 127.0.0.1:5432, or SQLite under a directory.

The one place the suite gets a database. A missing PostgreSQL server skips the test, unless
``GATEWAY_TEST_PG=1`` (CI) makes it a failure. ``GATEWAY_TEST_PG_ADMIN`` names another server.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import make_url

from gateway.store import Store

PG_ADMIN = os.environ.get("GATEWAY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# The databases a test parametrised over stores runs on.
STORE_KINDS = ("sqlite", "postgresql")


def pg_required() -> bool:
    """CI sets GATEWAY_TEST_PG=1: then a missing server is a failure, not a skip."""
    return os.environ.get("GATEWAY_TEST_PG") == "1"


def pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _url_of(database: str) -> str:
    """The SQLAlchemy URL of ``database`` on the admin URL's server."""
    url = make_url(PG_ADMIN).set(drivername="postgresql+psycopg", database=database)
    return url.render_as_string(hide_password=False)


def _admin(statement: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(statement)


@contextmanager
def temporary_database(prefix: str = "gateway_test") -> Iterator[str]:
    """Create a database with a random name; yield its SQLAlchemy URL; drop it afterwards."""
    if not pg_available():
        server = f"{make_url(PG_ADMIN).host}:{make_url(PG_ADMIN).port}"
        if pg_required():
            pytest.fail(f"PostgreSQL at {server} is required (GATEWAY_TEST_PG=1) but unreachable")
        pytest.skip(f"PostgreSQL at {server} is not reachable")
    name = f"{prefix}_{secrets.token_hex(6)}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield _url_of(name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def database_url(kind: str, directory: Path) -> Iterator[str]:
    """An empty database of ``kind`` (see :data:`STORE_KINDS`); SQLite's file in ``directory``."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'store.db'}"
    elif kind == "postgresql":
        with temporary_database() as url:
            yield url
    else:
        raise ValueError(f"no store kind {kind!r}; known: {', '.join(STORE_KINDS)}")


@contextmanager
def open_store(kind: str, directory: Path) -> Iterator[Store]:
    """A migrated store on a new database of ``kind``, closed afterwards (the database dropped).

    For a store a test opens and closes itself; for one that lasts the whole test, the
    ``store`` and ``sqlite_store`` fixtures.
    """
    with database_url(kind, directory) as url:
        store = Store(url)
        try:
            yield store
        finally:
            store.close()
