"""Which data keys a store needs and which the configuration gives: checked when it opens."""

from __future__ import annotations

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


def check_keys(conn: Connection, sealer: Sealer | None) -> None:
    """Refuse a store whose sealed values the configuration cannot open; record a new key."""
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
    if sealer.current.id not in needed:
        table = schema.data_keys
        known = conn.execute(select(table.c.key_id).where(table.c.key_id == sealer.current.id))
        if known.first() is None:
            conn.execute(insert(table).values(key_id=sealer.current.id, added_at=utc_now_iso()))
        else:
            conn.execute(
                update(table).where(table.c.key_id == sealer.current.id).values(retired_at=None)
            )


def retire_key(conn: Connection, key_id: str) -> None:
    """Nothing is sealed with ``key_id`` any more (after a rotation)."""
    table = schema.data_keys
    conn.execute(update(table).where(table.c.key_id == key_id).values(retired_at=utc_now_iso()))
