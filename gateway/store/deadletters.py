"""The dead-letter queue: rejected records with their raw input and every reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection

from gateway.clock import utc_now_iso
from gateway.mapping.result import FieldIssue
from gateway.store import schema


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
    conn.execute(
        schema.dead_letters.insert(),
        [
            {
                "job": job,
                "run_id": run_id,
                "entity": entity,
                "source": letter.source[:512],
                "record_key": letter.record_key,
                "key_digest": letter.key_digest,
                "raw": orjson.dumps(letter.raw, default=str).decode(),
                "reasons": orjson.dumps([r.as_dict() for r in letter.reasons]).decode(),
                "rules": ",".join(sorted({f"{r.field}:{r.rule}" for r in letter.reasons}))[:512],
                "attempts": 1,
                "status": "open",
                "created_at": now,
                "updated_at": now,
            }
            for letter in letters
        ],
    )
