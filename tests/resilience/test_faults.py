"""Which exceptions are faults of the environment, and the one line each becomes."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from gateway.faults import environment_fault


def test_a_locked_sqlite_store_is_one_line(tmp_path: Path) -> None:
    """A real lock held by another connection, through SQLAlchemy as the store meets it."""
    path = tmp_path / "store.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
        holder.close()
    assert environment_fault(caught.value) == (
        "the store is locked by another process: run again later"
    )


def test_a_read_only_sqlite_store_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with pytest.raises(OperationalError) as caught, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    finally:
        engine.dispose()
    assert environment_fault(caught.value) == (
        "the store is read-only: check the store file's permissions"
    )


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOSPC, "no space left on the disk"),
        (errno.EDQUOT, "disk quota exceeded"),
        (errno.EROFS, "the file system is read-only"),
        (errno.EACCES, "permission denied"),
        (errno.EPERM, "operation not permitted"),
    ],
)
def test_operating_system_faults_name_the_cause(code: int, expected: str) -> None:
    """As the OS raises them (built here: the tests run as root, which bypasses permissions)."""
    reason = environment_fault(OSError(code, "from the kernel", "/srv/gateway/gateway.db"))
    assert reason is not None
    assert reason.startswith(expected)


def test_a_bug_is_not_an_environment_fault() -> None:
    assert environment_fault(TypeError("unsupported operand")) is None
    assert environment_fault(KeyError("payload")) is None
