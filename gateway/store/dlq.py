"""The dead-letter queue: rejected records with their raw input and every reason.

Filing (:func:`add_dead_letters`, by pull and push runs): a letter is unique per
(job, identity) (:func:`gateway.store.identity.letter_identity`): reading the same input again,
by ``sync --reset``, a re-ingested file or a replay that fails again, raises the letter's
attempt count instead of adding a second letter. A letter that was replayed and whose input is
rejected again is open again; a discarded one stays discarded.

Operating: a letter is ``open`` until it is ``replayed`` (its record reached the store or the
target) or ``discarded`` (an operator gave up on it, with a note). Letters are never deleted:
the queue is part of the account of what happened to every record read. Every state change here
only touches letters that are still open, so two operators replaying at once cannot both act on
one letter; the caller writes the matching audit entry in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Select, and_, case, func, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from gateway.clock import utc_now_iso
from gateway.errors import StoreError
from gateway.mapping.result import FieldIssue
from gateway.store import schema
from gateway.store.bulk import json_columns, json_rows
from gateway.store.crypto import Sealer, open_value, sealer_of
from gateway.store.identity import letter_identity

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
            rules_text(letter.reasons),
            1,
            OPEN,
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
