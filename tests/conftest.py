"""Fixtures shared by the whole suite.

Databases: ``store`` is a migrated store on SQLite and on PostgreSQL (the test runs once on
each), ``store_url`` the empty database under it, for tests that open the store themselves;
``sqlite_store`` is for what only the embedded store has (its file, its locks) or what needs no
second run; ``pg_url`` is an empty PostgreSQL database. All of them come from
:mod:`tests.helpers.pg`: PostgreSQL is skipped when unreachable, a failure under
``GATEWAY_TEST_PG=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.store import Store
from tests.helpers.console_env import console_demo, console_session
from tests.helpers.pg import STORE_KINDS, database_url, open_store, temporary_database

# The console tests' demo, built once per session for both of their modules.
__all__ = ["console_demo", "console_session"]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database (skipped, or failed under CI, if the server is unreachable)."""
    with temporary_database() as url:
        yield url


@pytest.fixture(params=STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test on the embedded SQLite store and on PostgreSQL: an empty database's URL."""
    with database_url(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated store on each database (the one ``store_url`` names)."""
    opened = Store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A migrated store on SQLite only, its file under ``tmp_path``."""
    with open_store("sqlite", tmp_path) as opened:
        yield opened
