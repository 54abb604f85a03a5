"""What the exchange-log tests share: events, entries, a config, an attacker, the CLI."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import structlog
from sqlalchemy import Connection
from typer.testing import CliRunner, Result

from gateway.adapter import Direction, Exchange
from gateway.audit import AuditEvent, AuditLog, MappingRef
from gateway.audit.guard import SQLITE_TRIGGERS
from gateway.audit.signing import generate_key_pair
from gateway.store import Store

KEY = b"test-audit-key-0123456789"
# Valid check digits (ISO 7064 MOD 11-2), real region codes: what a leak would look like.
ID_A = "11010519491231002X"
ID_B = "520102199001011256"
USCC_A = "91350100M000100Y43"
MAPPING = MappingRef("labor_force.persons.pull", 3, "d" * 64)
OLD = "2020-01-01T00:00:00.000000Z"


def exchange(n: int, keys: Sequence[str] = (), *, body: bytes = b"") -> AuditEvent:
    """An exchange entry-to-be, numbered ``n`` through its endpoint and attempt."""
    ex = Exchange(
        platform="labor_force",
        direction=Direction.PULL,
        operation="persons.list",
        endpoint=f"https://lf.example/api/persons?page={n}&sign=abc{n}",
        attempt=1,
        http_status=200,
        business_code="0",
        duration_ms=10.0 + n / 7,
        request_body=body or f'{{"page": {n}}}'.encode(),
        response_body=b'{"code": "0"}',
        record_keys=list(keys),
    )
    return AuditEvent.from_exchange(ex, run_id=f"run-{n}", job="persons", mapping=MAPPING)


def write_entries(store: Store, log: AuditLog, count: int, per_tx: int = 1) -> list[int]:
    """Append ``count`` exchange entries, ``per_tx`` per transaction; their seqs."""
    seqs: list[int] = []
    for start in range(0, count, per_tx):
        with store.transaction() as conn:
            events = [exchange(n) for n in range(start, min(start + per_tx, count))]
            seqs += log.append(conn, events)
    return seqs


@contextmanager
def attacker(store: Store) -> Iterator[Connection]:
    """A session of someone with write access to the database: the guard disabled first."""
    with store.transaction() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        yield conn


@contextmanager
def covert_attacker(store: Store) -> Iterator[Connection]:
    """Like :func:`attacker`, but the guard is put back afterwards, leaving no warning."""
    with attacker(store) as conn:
        yield conn
        if store.dialect == "sqlite":
            for statement in SQLITE_TRIGGERS.values():
                conn.exec_driver_sql(statement)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")


def write_config(
    directory: Path, store_url: str, *, key: bool = True, checkpoints: bool = False
) -> Path:
    """A gateway.yaml with the audit key as a ``file:`` secret and payload archiving on.

    With ``checkpoints``, a fresh Ed25519 key pair signs checkpoints into ``witness.jsonl``.
    """
    secrets = directory / "secrets"
    secrets.mkdir(parents=True, exist_ok=True)
    (secrets / "audit-key.txt").write_text(KEY.decode(), encoding="utf-8")
    key_line = "  key: file:secrets/audit-key.txt\n" if key else ""
    if checkpoints:
        if not (secrets / "checkpoint.pem").exists():
            generate_key_pair(secrets / "checkpoint.pem", directory / "checkpoint.pub.pem")
        key_line += (
            "  checkpoint:\n    private_key: file:secrets/checkpoint.pem\n"
            "    public_key: checkpoint.pub.pem\n"
            "  witnesses:\n    - type: file\n      path: witness.jsonl\n"
        )
    path = directory / "gateway.yaml"
    path.write_text(
        f"version: 1\nstore:\n  url: {store_url}\naudit:\n{key_line}"
        "  archive_payloads: true\n  archive_dir: archive\n"
        "logging:\n  format: json\n  file: logs/gateway.log\n",
        encoding="utf-8",
    )
    return path


def run_cli(args: Sequence[str], stdin: str | None = None) -> Result:
    """``gateway audit ARGS`` in-process, as mounted; logging is reset after (it held capture)."""
    from gateway.cli.root import app

    try:
        return CliRunner().invoke(app, ["audit", *args], input=stdin)
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        structlog.reset_defaults()
