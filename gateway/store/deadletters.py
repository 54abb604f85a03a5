"""The dead-letter queue: rejected records with their raw input and every reason.

A letter is unique per (job, identity) (:func:`gateway.store.identity.letter_identity`):
reading the same input again, by ``sync --reset``, a re-ingested file or a replay that fails
again, raises the letter's attempt count instead of adding a second letter. A letter that
was replayed and whose input is rejected again is open again; a discarded one stays discarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, case
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway.clock import utc_now_iso
from gateway.mapping.result import FieldIssue
from gateway.store import schema
from gateway.store.bulk import json_columns, json_rows
from gateway.store.crypto import sealer_of
from gateway.store.identity import letter_identity

_COLUMNS = (
    "job", "run_id", "entity", "source", "record_key", "key_digest", "identity", "raw",
    "reasons", "rules", "attempts", "status", "created_at", "updated_at",
)  # fmt: skip
_REFILED = ("run_id", "reasons", "rules", "updated_at")


@dataclass
class DeadLetter:
    source: str
    raw: dict[str, Any]
    reasons: list[FieldIssue]
    record_key: str | None = None
    key_digest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Where the input came from, stable across re-reads ("" when the content says it all).
    origin: str = ""


def _sqlite_upsert() -> str:
    names = ", ".join(_COLUMNS)
    again = ", ".join(f"{name} = excluded.{name}" for name in _REFILED)
    # "WHERE true" resolves SQLite's parsing ambiguity of INSERT … SELECT … ON CONFLICT.
    return (
        f"INSERT INTO dead_letters ({names}) SELECT {json_columns(len(_COLUMNS))} "  # noqa: S608
        "FROM json_each(?) WHERE true ON CONFLICT (job, identity) DO UPDATE SET "
        f"{again}, attempts = dead_letters.attempts + excluded.attempts, "
        "status = CASE dead_letters.status WHEN 'replayed' THEN 'open' "
        "ELSE dead_letters.status END"
    )


_SQLITE_UPSERT = _sqlite_upsert()


def add_dead_letters(
    conn: Connection, job: str, run_id: str, entity: str, letters: Sequence[DeadLetter]
) -> None:
    """``record_key`` must already be masked; ``raw`` is kept whole so a replay can re-map it."""
    if not letters:
        return
    now = utc_now_iso()
    rows: dict[str, list[Any]] = {}
    sealer = sealer_of(conn)
    for letter in letters:
        raw = orjson.dumps(letter.raw, default=str).decode()
        identity = letter_identity(letter.origin, raw)
        if identity in rows:
            rows[identity][10] += 1  # the same input twice in one batch: one letter, two tries
            continue
        rows[identity] = [
            job,
            run_id,
            entity,
            letter.source[:512],
            letter.record_key,
            letter.key_digest,
            identity,
            raw if sealer is None else sealer.seal_text(raw),
            orjson.dumps([r.as_dict() for r in letter.reasons]).decode(),
            ",".join(sorted({f"{r.field}:{r.rule}" for r in letter.reasons}))[:512],
            1,
            "open",
            now,
            now,
        ]
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_UPSERT, (json_rows(list(rows.values())),))
        return
    table = schema.dead_letters
    statement = pg_insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.job, table.c.identity],
        set_={
            **{name: statement.excluded[name] for name in _REFILED},
            "attempts": table.c.attempts + statement.excluded.attempts,
            "status": case((table.c.status == "replayed", "open"), else_=table.c.status),
        },
    )
    conn.execute(statement, [dict(zip(_COLUMNS, row, strict=True)) for row in rows.values()])
