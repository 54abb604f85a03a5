"""Reading a whole table in pages by its key (keyset pagination): each page starts after the
last row of the one before, so no offset is counted and no read transaction stays open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, Table, and_, or_, select


def keyset_pages(
    table: Table, columns: tuple[str, ...], keys: tuple[str, ...], limit: int
) -> Callable[[Any], Select[Any]]:
    """A query for the ``limit`` rows after ``last`` (a row with the ``keys``; ``None``: the
    first page), in the order of ``keys``."""

    def query(last: Any) -> Select[Any]:
        page = select(*(table.c[name] for name in columns))
        if last is not None:
            after = [
                and_(
                    *(table.c[earlier] == getattr(last, earlier) for earlier in keys[:n]),
                    table.c[key] > getattr(last, key),
                )
                for n, key in enumerate(keys)
            ]
            page = page.where(or_(*after))
        return page.order_by(*(table.c[key] for key in keys)).limit(limit)

    return query
