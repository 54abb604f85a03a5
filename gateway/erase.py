"""Erasing a person (PIPL art. 47): their records, dead letters and archived payloads removed.

A person is found by their ID number wherever it is held: as a record's key or part of one
(``ID|time``), as any value of a record's payload (an inspector's, an applicant's), in a dead
letter's raw input, in an outbox key, in an archived request or response body. Sealed values
are opened to be looked at. The audit log is left whole: its entries hold the key masked and
as a keyed digest, never the number, so its chain still verifies; the erasure is itself an
entry. A cursor that names the person is replaced by the next run of its job.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, select

from gateway.audit.archive import PayloadArchive
from gateway.errors import AuditError
from gateway.store import Store, schema
from gateway.store.crypto import open_value, sealer_of
from gateway.store.keyset import keyset_pages
from gateway.store.records import open_record

BATCH = 1000


@dataclass
class ErasureReport:
    records: int = 0
    dead_letters: int = 0
    outbox: int = 0
    archived_payloads: int = 0
    cursors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "dead_letters": self.dead_letters,
            "outbox": self.outbox,
            "archived_payloads": self.archived_payloads,
            "cursors_naming_it": self.cursors,
        }


def _forms(id_number: str) -> tuple[str, ...]:
    """The number as it may be written: check character X in either case."""
    upper = id_number.strip().upper()
    return (upper, upper.lower()) if upper.endswith("X") else (upper,)


def _holds(text: str, forms: tuple[str, ...]) -> bool:
    return any(form in text for form in forms)


def erase_person(store: Store, archive: PayloadArchive, id_number: str) -> ErasureReport:
    """Remove everything that holds ``id_number``; the caller audits the erasure."""
    forms = _forms(id_number)
    report = ErasureReport()
    report.records = _erase_records(store, forms)
    report.dead_letters = _erase_letters(store, forms)
    report.outbox = _erase_outbox(store, forms)
    report.archived_payloads = _erase_archive(archive, forms)
    with store.connect() as conn:
        sealer = sealer_of(conn)
        for job, cursor in conn.execute(
            select(schema.checkpoints.c.job, schema.checkpoints.c.cursor)
        ):
            if _holds(open_value(sealer, cursor), forms):
                report.cursors.append(job)
    return report


def _pages(store: Store, query: Any) -> Iterator[list[Any]]:
    last: Any = None
    while True:
        with store.connect() as conn:
            rows = list(conn.execute(query(last)))
        if not rows:
            return
        last = rows[-1]
        yield rows


def _erase_records(store: Store, forms: tuple[str, ...]) -> int:
    table = schema.records

    query = keyset_pages(table, ("entity", "key", "payload"), ("entity", "key"), BATCH)

    return _delete_matching(store, query, table, forms, _record_text, ("entity", "key"))


def _record_text(conn: Connection, row: Any) -> str:
    key, payload = open_record(sealer_of(conn), row.key, row.payload)
    return key + "\x00" + payload


def _erase_letters(store: Store, forms: tuple[str, ...]) -> int:
    table = schema.dead_letters

    query = keyset_pages(table, ("id", "raw"), ("id",), BATCH)

    def text(conn: Connection, row: Any) -> str:
        return open_value(sealer_of(conn), row.raw)

    return _delete_matching(store, query, table, forms, text, ("id",))


def _erase_outbox(store: Store, forms: tuple[str, ...]) -> int:
    table = schema.outbox

    query = keyset_pages(
        table,
        ("job", "idempotency_key", "record_key", "sealed_key"),
        ("job", "idempotency_key"),
        BATCH,
    )

    def text(conn: Connection, row: Any) -> str:
        sealed = row.sealed_key
        return str(row.record_key if sealed is None else open_value(sealer_of(conn), sealed))

    return _delete_matching(store, query, table, forms, text, ("job", "idempotency_key"))


def _delete_matching(
    store: Store, query: Any, table: Any, forms: tuple[str, ...], text: Any, keys: tuple[str, ...]
) -> int:
    removed = 0
    for page in _pages(store, query):
        with store.transaction() as conn:
            for row in page:
                if _holds(text(conn, row), forms):
                    where = [table.c[name] == getattr(row, name) for name in keys]
                    removed += conn.execute(delete(table).where(*where)).rowcount
    return removed


def _erase_archive(archive: PayloadArchive, forms: tuple[str, ...]) -> int:
    if not archive.root.is_dir():
        return 0
    found = []
    for path in sorted(archive.root.glob("*/*.gz")):
        digest = path.name.removesuffix(".gz")
        try:
            body = archive.get(digest).decode("utf-8", "replace")
        except AuditError:
            continue  # not a body the archive can read back: nothing it could show either
        if _holds(body, forms):
            found.append(digest)
    return archive.remove(found)
