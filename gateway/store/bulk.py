"""Many rows in one statement: the store's bulk writes on the hot path.

On SQLite the rows travel as one JSON array parameter that ``json_each`` unpacks inside SQLite,
so a page of thousands of rows is one statement rather than one step per row. That matters
because the pull writes from its own thread (see :mod:`gateway.pipeline.pull`): the driver
releases the interpreter lock for each statement it runs, and a thread that has to take the lock
back thousands of times per page from a busy mapping thread waits for most of the page
(decision 0008). On PostgreSQL the rows go in with ``COPY``, the server's own bulk path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Connection


def json_rows(rows: Sequence[Sequence[Any]]) -> str:
    """Rows as one JSON array of arrays (``json_each`` takes text, not bytes)."""
    return orjson.dumps(rows).decode()


def json_columns(count: int, source: str = "value") -> str:
    """``json_extract`` of each position of a ``json_each`` row: the unpacked columns."""
    return ", ".join(f"json_extract({source}, '$[{i}]')" for i in range(count))


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` with one statement."""
    if not rows:
        return
    names = ", ".join(columns)
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({names}) SELECT {json_columns(len(columns))} "  # noqa: S608
            "FROM json_each(?)",
            (json_rows(rows),),
        )
        return
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)
