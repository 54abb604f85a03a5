"""Which data keys a store needs and which the configuration gives: checked when it opens."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, select, update

from gateway.clock import utc_now_iso
from gateway.errors import ConfigError
from gateway.store import schema
from gateway.store.crypto import DataKey, Sealer

if TYPE_CHECKING:
    from gateway.config import GatewayConfig


def data_sealer(config: GatewayConfig) -> Sealer | None:
    """The sealer ``store.encryption`` configures; ``None`` for a store kept in clear."""
    settings = config.store.encryption
    if settings is None:
        return None
    current = DataKey.from_text(settings.key.resolve(config.base_dir), "store.encryption.key")
    previous = [
        DataKey.from_text(ref.resolve(config.base_dir), f"store.encryption.previous[{n}]")
        for n, ref in enumerate(settings.previous)
    ]
    return Sealer(current, previous)


def needed_keys(conn: Connection) -> list[str]:
    """The ids of the keys values in this store are sealed with (not retired)."""
    table = schema.data_keys
    query = select(table.c.key_id).where(table.c.retired_at.is_(None)).order_by(table.c.added_at)
    return list(conn.execute(query).scalars())


def _has_clear_records(conn: Connection) -> bool:
    table = schema.records
    return conn.execute(select(table.c.key).limit(1)).first() is not None


def check_keys(conn: Connection, sealer: Sealer | None, *, sealing: bool = False) -> None:
    """Refuse a store whose sealed values the configuration cannot open; load its index key.

    ``sealing`` (``gateway store rotate-key``) opens a store written in clear with a key, to
    seal what it holds; otherwise such a store is refused, since new records would be stored
    beside the clear ones under their digests.
    """
    needed = needed_keys(conn)
    if sealer is None:
        if needed:
            raise ConfigError(
                "the store holds personal data sealed with a data key: set store.encryption.key",
                key_ids=",".join(needed),
            )
        return
    missing = [key_id for key_id in needed if key_id not in sealer.keys]
    if missing:
        raise ConfigError(
            "the store needs a data key the configuration does not give "
            "(store.encryption.key or .previous)",
            key_ids=",".join(missing),
        )
    table = schema.data_keys
    rows = {r.key_id: r for r in conn.execute(select(table))}
    if not rows and not sealing and _has_clear_records(conn):
        raise ConfigError(
            "the store holds records in clear: seal them first with `gateway store rotate-key`"
        )
    usable = [r for r in rows.values() if r.key_id in sealer.keys]
    if usable:
        index_key = sealer.open(usable[0].index_key)
    elif rows:
        raise ConfigError("no configured data key opens the store's index key")
    else:
        index_key = os.urandom(32)
    sealer.index_key = index_key
    if sealer.current.id not in rows:
        conn.execute(
            insert(table).values(
                key_id=sealer.current.id, index_key=sealer.seal(index_key), added_at=utc_now_iso()
            )
        )
    elif rows[sealer.current.id].retired_at is not None:
        conn.execute(
            update(table).where(table.c.key_id == sealer.current.id).values(retired_at=None)
        )


def retire_key(conn: Connection, key_id: str) -> None:
    """Nothing is sealed with ``key_id`` any more (after a rotation)."""
    table = schema.data_keys
    conn.execute(update(table).where(table.c.key_id == key_id).values(retired_at=utc_now_iso()))
