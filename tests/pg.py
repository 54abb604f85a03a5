"""Throw-away PostgreSQL databases for tests, on the server at 127.0.0.1:5432."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

PG_ADMIN = os.environ.get("GATEWAY_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_required() -> bool:
    """CI sets GATEWAY_TEST_PG=1: then a missing server is a failure, not a skip."""
    return os.environ.get("GATEWAY_TEST_PG") == "1"


def pg_available() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def temporary_database(prefix: str = "gateway_test") -> Iterator[str]:
    """Create a database with a random name; yield its SQLAlchemy URL; drop it afterwards."""
    if not pg_available():
        if pg_required():
            pytest.fail(
                "PostgreSQL at 127.0.0.1:5432 is required (GATEWAY_TEST_PG=1) but unreachable"
            )
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
