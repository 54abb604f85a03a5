"""Operating the dead-letter queue: finding letters and changing their state.

A letter is ``open`` until it is ``replayed`` (its record reached the store or the target) or
``discarded`` (an operator gave up on it, with a note). Letters are never deleted: the queue is
part of the account of what happened to every record read. Every state change here only touches
letters that are still open, so two operators replaying at once cannot both act on one letter;
the caller writes the matching audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Select, and_, func, literal, select, update

from gateway.clock import utc_now_iso
from gateway.errors import StoreError
from gateway.mapping.result import FieldIssue
from gateway.store import schema
from gateway.store.crypto import Sealer, open_value, sealer_of

OPEN = "open"
REPLAYED = "replayed"
DISCARDED = "discarded"
STATUSES = (OPEN, REPLAYED, DISCARDED)
_LIKE_ESCAPE = "\\"


@dataclass(frozen=True)
class Letter:
    """One dead letter as the store holds it; ``record_key`` is already masked."""

    id: int
    job: str
    run_id: str
    entity: str
    source: str
    record_key: str | None
    key_digest: str | None
    raw_json: str
    reasons: list[dict[str, Any]]
    rules: list[str]
    attempts: int
    status: str
    note: str | None
    created_at: str
    updated_at: str

    @property
    def raw(self) -> dict[str, Any]:
        """The input as it was read: personal data in clear, so mask it before showing it."""
        value = orjson.loads(self.raw_json)
        return value if isinstance(value, dict) else {"(record)": value}

    def issues(self) -> list[FieldIssue]:
        """The reasons of the last attempt, as the mapping reported them."""
        return [
            FieldIssue(str(r.get("field")), str(r.get("rule")), r.get("value"), r.get("detail"))
            for r in self.reasons
        ]

    def summary(self) -> dict[str, Any]:
        """Everything but the raw input: safe to print."""
        return {
            "id": self.id,
            "job": self.job,
            "status": self.status,
            "attempts": self.attempts,
            "entity": self.entity,
            "source": self.source,
            "record_key": self.record_key,
            "rules": self.rules,
            "note": self.note,
            "run_id": self.run_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def _letter(row: Any, sealer: Sealer | None) -> Letter:
    return Letter(
        id=int(row.id),
        job=row.job,
        run_id=row.run_id,
        entity=row.entity,
        source=row.source,
        record_key=row.record_key,
        key_digest=row.key_digest,
        raw_json=open_value(sealer, row.raw),
        reasons=orjson.loads(row.reasons),
        rules=[r for r in row.rules.split(",") if r],
        attempts=int(row.attempts),
        status=row.status,
        note=row.note,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def rules_text(reasons: Sequence[FieldIssue]) -> str:
    """The ``rules`` column: ``field:rule`` pairs, sorted, comma-separated (as when filed)."""
    return ",".join(sorted({f"{r.field}:{r.rule}" for r in reasons}))[:512]


def _escape(text: str) -> str:
    return "".join(_LIKE_ESCAPE + ch if ch in "%_\\" else ch for ch in text)


def _query(
    job: str | None, status: str | None, rule: str | None, ids: Sequence[int] | None
) -> Select[Any]:
    table = schema.dead_letters
    query = select(table)
    if job is not None:
        query = query.where(table.c.job == job)
    if status is not None:
        if status not in STATUSES:
            raise StoreError("unknown dead-letter status", status=status, known=", ".join(STATUSES))
        query = query.where(table.c.status == status)
    if ids:
        query = query.where(table.c.id.in_(list(ids)))
    if rule:
        # ``rules`` is "field:rule,field:rule": "rule" matches any field, "field:rule" one field.
        wrapped = literal(",") + table.c.rules + literal(",")
        needle = f",{rule}," if ":" in rule else f":{rule},"
        query = query.where(wrapped.like(f"%{_escape(needle)}%", escape=_LIKE_ESCAPE))
    return query


def list_letters(
    conn: Connection,
    *,
    job: str | None = None,
    status: str | None = None,
    rule: str | None = None,
    ids: Sequence[int] | None = None,
    limit: int | None = None,
) -> list[Letter]:
    """Letters matching every filter given, oldest first."""
    query = _query(job, status, rule, ids).order_by(schema.dead_letters.c.id)
    if limit is not None:
        query = query.limit(limit)
    sealer = sealer_of(conn)
    return [_letter(row, sealer) for row in conn.execute(query)]


def count_letters(
    conn: Connection,
    *,
    job: str | None = None,
    status: str | None = None,
    rule: str | None = None,
) -> int:
    inner = _query(job, status, rule, None).subquery()
    return int(conn.execute(select(func.count()).select_from(inner)).scalar_one())


def get_letter(conn: Connection, letter_id: int) -> Letter:
    row = conn.execute(
        select(schema.dead_letters).where(schema.dead_letters.c.id == letter_id)
    ).first()
    if row is None:
        raise StoreError("no such dead letter", id=letter_id)
    return _letter(row, sealer_of(conn))


def _change(conn: Connection, letter_id: int, values: dict[str, Any]) -> None:
    table = schema.dead_letters
    done = conn.execute(
        update(table)
        .where(and_(table.c.id == letter_id, table.c.status == OPEN))
        .values(updated_at=utc_now_iso(), **values)
    )
    if done.rowcount != 1:
        raise StoreError("dead letter is not open (changed meanwhile?)", id=letter_id)


def mark_replayed(conn: Connection, letter: Letter, note: str | None = None) -> None:
    _change(conn, letter.id, {"status": REPLAYED, "attempts": letter.attempts + 1, "note": note})


def mark_still_failing(conn: Connection, letter: Letter, reasons: Sequence[FieldIssue]) -> None:
    """Another attempt that failed: the letter stays open with the reasons of this attempt."""
    _change(
        conn,
        letter.id,
        {
            "attempts": letter.attempts + 1,
            "reasons": orjson.dumps([r.as_dict() for r in reasons]).decode(),
            "rules": rules_text(reasons),
        },
    )


def mark_discarded(conn: Connection, letter: Letter, note: str) -> None:
    _change(conn, letter.id, {"status": DISCARDED, "note": note})


def amend_raw(conn: Connection, letter: Letter, raw_json: str, note: str) -> None:
    """An operator's correction of the input: the letter stays open for ``dlq replay``."""
    _change(conn, letter.id, {"raw": raw_json, "note": note})
