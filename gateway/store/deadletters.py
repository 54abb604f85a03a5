"""The dead-letter queue: rejected records with their raw input and every reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection

from gateway.clock import utc_now_iso
from gateway.mapping.result import FieldIssue
from gateway.store.bulk import insert_rows

_COLUMNS = (
    "job", "run_id", "entity", "source", "record_key", "key_digest", "raw", "reasons", "rules",
    "attempts", "status", "created_at", "updated_at",
)  # fmt: skip


@dataclass
class DeadLetter:
    source: str
    raw: dict[str, Any]
    reasons: list[FieldIssue]
    record_key: str | None = None
    key_digest: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def add_dead_letters(
    conn: Connection, job: str, run_id: str, entity: str, letters: Sequence[DeadLetter]
) -> None:
    """``record_key`` must already be masked; ``raw`` is kept whole so a replay can re-map it."""
    if not letters:
        return
    now = utc_now_iso()
    insert_rows(
        conn,
        "dead_letters",
        _COLUMNS,
        [
            (
                job,
                run_id,
                entity,
                letter.source[:512],
                letter.record_key,
                letter.key_digest,
                orjson.dumps(letter.raw, default=str).decode(),
                orjson.dumps([r.as_dict() for r in letter.reasons]).decode(),
                ",".join(sorted({f"{r.field}:{r.rule}" for r in letter.reasons}))[:512],
                1,
                "open",
                now,
                now,
            )
            for letter in letters
        ],
    )
