"""Circuit-breaker states in the store's ``breakers`` table, shared by every process.

Each change is one short transaction that reads the row under the write lock (PostgreSQL:
``SELECT … FOR UPDATE``; SQLite: the lock ``BEGIN IMMEDIATE`` takes), applies the change and
writes it back, so two processes failing at once both count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from gateway.clock import parse_iso, to_iso, utc_now_iso
from gateway.http.breaker import CLOSED, BreakerState, State, Update
from gateway.store import schema
from gateway.store.engine import Store

_STATES = ("closed", "open", "half_open")


def _state(row: Any) -> BreakerState:
    if row is None:
        return CLOSED
    # An unknown state (a newer release's?) is read as open: the cautious choice.
    state = cast(State, row.state if row.state in _STATES else "open")
    opened = parse_iso(row.opened_at).timestamp() if row.opened_at else None
    return BreakerState(state, int(row.failures), opened, row.reason)


def _values(state: BreakerState) -> dict[str, Any]:
    opened = state.opened_at
    return {
        "state": state.state,
        "failures": state.failures,
        "opened_at": to_iso(datetime.fromtimestamp(opened, UTC)) if opened is not None else None,
        "reason": state.reason,
        "updated_at": utc_now_iso(),
    }


class StoreBreakerLedger:
    """A :class:`~gateway.http.breaker.BreakerLedger` over one store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, platform: str) -> BreakerState:
        with self.store.connect() as conn:
            return _state(self._row(conn, platform, lock=False))

    def update(self, platform: str, change: Update) -> BreakerState:
        try:
            return self._update(platform, change)
        except IntegrityError:
            # Another process inserted the platform's first row between our read and insert;
            # now that the row exists, the locked read-modify-write path applies.
            return self._update(platform, change)

    def _update(self, platform: str, change: Update) -> BreakerState:
        with self.store.transaction() as conn:
            row = self._row(conn, platform, lock=True)
            current = _state(row)
            new = change(current)
            if new == current and row is not None:
                return new
            table = schema.breakers
            if row is None:
                conn.execute(table.insert().values(platform=platform, **_values(new)))
            else:
                conn.execute(
                    update(table).where(table.c.platform == platform).values(**_values(new))
                )
            return new

    @staticmethod
    def _row(conn: Connection, platform: str, *, lock: bool) -> Any:
        table = schema.breakers
        query = select(table).where(table.c.platform == platform)
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).first()


def breaker_rows(store: Store) -> list[dict[str, Any]]:
    """Every breaker row: its ledger key, state, failures, when it opened and why."""
    table = schema.breakers
    with store.connect() as conn:
        rows = conn.execute(select(table).order_by(table.c.platform)).all()
    return [{str(key): value for key, value in row._mapping.items()} for row in rows]


def reset_breakers(store: Store, platform: str) -> int:
    """Close ``platform``'s breakers (every base URL it had): delete their rows."""
    table = schema.breakers
    with store.transaction() as conn:
        done = conn.execute(
            delete(table).where(
                (table.c.platform == platform) | table.c.platform.startswith(f"{platform}@")
            )
        )
    return int(done.rowcount)
