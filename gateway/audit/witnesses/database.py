"""Checkpoints kept in a second database, owned by someone other than the store's owner.

Give the gateway a role there that may only INSERT and SELECT on the table.
"""

from __future__ import annotations

import orjson
from sqlalchemy import Column, Integer, MetaData, Table, Text, create_engine, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway.audit.signing import Checkpoint
from gateway.errors import AuditError

_metadata = MetaData()
TABLE = Table(
    "gateway_audit_checkpoints",
    _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("seq", Integer, nullable=False),
    Column("checkpoint", Text, nullable=False),
)


class DatabaseWitness:
    readable = True

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.name = f"database:{parsed.render_as_string(hide_password=True)}"
        self._engine = create_engine(parsed)
        self._ready = False

    def _ensure(self) -> None:
        if not self._ready:
            _metadata.create_all(self._engine, checkfirst=True)
            self._ready = True

    def record(self, checkpoint: Checkpoint) -> None:
        try:
            self._ensure()
            with self._engine.begin() as conn:
                conn.execute(
                    insert(TABLE).values(seq=checkpoint.seq, checkpoint=checkpoint.line().decode())
                )
        except SQLAlchemyError as exc:
            raise AuditError(
                "the witness database refused the checkpoint", witness=self.name
            ) from exc

    def latest(self) -> Checkpoint | None:
        try:
            self._ensure()
            with self._engine.connect() as conn:
                body = conn.execute(
                    select(TABLE.c.checkpoint).order_by(TABLE.c.id.desc()).limit(1)
                ).scalar()
        except SQLAlchemyError as exc:
            raise AuditError("the witness database cannot be read", witness=self.name) from exc
        return None if body is None else Checkpoint.from_dict(orjson.loads(body))

    def close(self) -> None:
        self._engine.dispose()
