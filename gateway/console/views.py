"""What each page shows, computed by the functions behind the commands.

Every figure comes from the runtime: the overview from ``gateway status`` (:func:`status_rows`),
breakers from ``gateway breakers list``, leases from ``gateway leases``, runs from ``gateway
runs``, letters from ``gateway dlq list|show``, the log from ``gateway audit
search|show|verify|trace|export`` and the reports from the adapters' report views. Rows are
masked by :func:`gateway.masking.mask_data` before a template sees them.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Connection, select

from gateway.adapter import discover_adapters
from gateway.audit import SearchFilter, export_entries, get_entry, search, trace
from gateway.audit.checkpoints import (
    head_state,
    read_witnesses,
    verify_log,
    witnessed_checkpoints,
)
from gateway.audit.events import DigestedKey, Kind, console_event
from gateway.audit.export import ExportFormat
from gateway.audit.render import entry_dict
from gateway.audit.settings import (
    audit_key,
    audit_log_from_config,
    checkpoint_verifier,
    checkpointer,
    key_digester,
    sealer,
)
from gateway.audit.verify import VerifyReport
from gateway.audit.witnesses import witnesses_from_config
from gateway.cli.breakers import breaker_list
from gateway.cli.dlq import letter_reasons, letter_warnings, masked_raw
from gateway.cli.jobs import status_rows
from gateway.cli.runs import run_json
from gateway.clock import to_iso, utc_now
from gateway.config import GatewayConfig
from gateway.console.auth import known_user
from gateway.masking import mask_data, mask_id_number
from gateway.reporting import ReportView, ReportViewer
from gateway.service.leases import lease_holders
from gateway.store import Store, dlq, history, schema
from gateway.store.breakers import breaker_rows

TRACE_ACTION = "console.trace"
SIGN_IN_ACTION = "console.sign_in"
# The actor of a failed sign-in whose name is no account.
UNKNOWN_ACTOR = "(unknown name)"
LOG_PAGE = 200


@contextmanager
def reading(store: Store) -> Iterator[Connection]:
    """One consistent view for a read of several statements (as ``gateway audit`` reads)."""
    with store.connect() as conn:
        if store.dialect == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        yield conn


def overview(config: GatewayConfig, store: Store) -> dict[str, Any]:
    holders = lease_holders(store)
    return {
        "jobs": status_rows(config, store, utc_now()),
        "breakers": breaker_list(config, breaker_rows(store)),
        "leases": [
            {"job": job, "instance": holders[job][0], "expires_at": to_iso(holders[job][1])}
            for job in sorted(holders)
        ],
        "instances": sorted({instance for instance, _expiry in holders.values()}),
    }


def runs(store: Store, job: str | None, last: int = 100) -> list[dict[str, Any]]:
    """As ``gateway runs --json`` prints them."""
    return [mask_data(run_json(run)) for run in history.runs(store, job, last=last)]


def run_detail(store: Store, run_id: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    found = history.run(store, run_id)
    with reading(store) as conn:
        entries = search(conn, SearchFilter(run_id=run_id), limit=1000)
    shown = mask_data(run_json(found)) if found is not None else None
    return shown, [shown_entry(e) for e in entries]


def letters(
    store: Store, job: str | None, reason: str | None, status: str | None
) -> tuple[list[dict[str, Any]], int]:
    with store.connect() as conn:
        found = dlq.list_letters(conn, job=job, status=status, rule=reason, limit=500)
        total = dlq.count_letters(conn, job=job, status=status, rule=reason)
    return [mask_data(letter.summary()) for letter in found], total


def letter_detail(config: GatewayConfig, store: Store, letter_id: int) -> dict[str, Any]:
    """Exactly what ``gateway dlq show --json`` prints."""
    with store.connect() as conn:
        letter = dlq.get_letter(conn, letter_id)
    raw, masked_by = masked_raw(config, letter)
    return {
        **mask_data(letter.summary()),
        "reasons": letter_reasons(config, letter),
        "warnings": letter_warnings(config, letter),
        "raw": raw,
        "masked_by": masked_by,
    }


def shown_entry(row: dict[str, Any]) -> dict[str, Any]:
    """An entry as ``gateway audit search --json`` prints it."""
    shown: dict[str, Any] = mask_data(entry_dict(row))
    return shown


def log_entries(store: Store, where: SearchFilter) -> list[dict[str, Any]]:
    with reading(store) as conn:
        return [shown_entry(row) for row in search(conn, where, LOG_PAGE)]


def log_entry(store: Store, seq: int) -> dict[str, Any] | None:
    with reading(store) as conn:
        row = get_entry(conn, seq)
    return shown_entry(row) if row is not None else None


def chain_state(config: GatewayConfig, store: Store) -> dict[str, Any]:
    """The head now and each witness's latest checkpoint, read without verifying."""
    with reading(store) as conn:
        seq, head, count = head_state(conn)
    views = read_witnesses(witnesses_from_config(config))
    return {
        "seq": seq,
        "head_hash": head,
        "count": count,
        "witnesses": [
            {
                "name": v.name,
                "seq": v.checkpoint.seq if v.checkpoint else None,
                "head_hash": v.checkpoint.head_hash if v.checkpoint else None,
                "time": v.checkpoint.time if v.checkpoint else None,
                "error": v.error,
            }
            for v in views
        ],
    }


def verify(config: GatewayConfig, store: Store) -> VerifyReport:
    """The check ``gateway audit verify`` runs: the chain, the seals and every witness."""
    with reading(store) as conn:
        return verify_log(
            conn,
            sealer=sealer(config),
            verifier=checkpoint_verifier(config),
            witnesses=witnesses_from_config(config),
        )


def export_zip(
    config: GatewayConfig,
    store: Store,
    fmt: ExportFormat,
    since: datetime | None,
    until: datetime | None,
) -> tuple[str, bytes]:
    """``gateway audit export`` of the period, the file and its manifest in one zip."""
    key = audit_key(config) if config.audit.key is not None else None
    signer = checkpointer(config)
    if signer is not None:
        signer.checkpoint(store)  # the head signed first, as the command does
    held = witnessed_checkpoints(witnesses_from_config(config))
    name = f"audit-{utc_now().strftime('%Y%m%dT%H%M%SZ')}.{fmt}"
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / name
        with reading(store) as conn:
            export_entries(
                conn,
                out,
                fmt,
                since=since,
                until=until,
                signing_key=key,
                signer=signer.signer if signer is not None else None,
                checkpoints=held,
            )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in (out, out.with_name(out.name + ".manifest.json")):
                bundle.write(path, path.name)
    return name, buffer.getvalue()


@dataclass(frozen=True)
class TraceAnswer:
    shown: str
    refused: bool
    entries: list[dict[str, Any]]
    earlier_queries: int


def _recent_traces(conn: Connection, actor: str, since: datetime) -> int:
    rows = search(conn, SearchFilter(kind=Kind.CONSOLE.value, since=since), limit=10_000)
    return sum(
        1
        for row in rows
        if row["operation"] == TRACE_ACTION
        and orjson.loads(row["detail"] or "{}").get("actor") == actor
    )


def trace_value(
    config: GatewayConfig, store: Store, actor: str, label: str, value: str
) -> TraceAnswer:
    """``gateway audit trace``, audited (who, the value's digest, when) and rate-limited per
    user: past ``console.traces_per_minute`` in the last minute the query is refused, and the
    refusal is audited too."""
    digester = key_digester(config)
    digest = digester.digest(value)
    shown = mask_id_number(value.upper() if label == "id" else value)
    log = audit_log_from_config(config)
    with store.transaction() as conn:
        # The user's row locked first: parallel traces on PostgreSQL count one after another.
        users = schema.console_users
        conn.execute(select(users.c.name).where(users.c.name == actor).with_for_update())
        recent = _recent_traces(conn, actor, utc_now() - timedelta(minutes=1))
        refused = recent >= config.console.traces_per_minute
        rows = [] if refused else trace(conn, digester, value)
        entries = [r for r in rows if r["kind"] != Kind.CONSOLE.value]
        event = console_event(
            action=TRACE_ACTION,
            outcome="refused" if refused else "ok",
            actor=actor,
            values={"asked": label, "found": None if refused else len(entries)},
            keys=[DigestedKey(masked=shown, digest=digest)],
        )
        log.append(conn, [event])
    return TraceAnswer(shown, refused, [shown_entry(e) for e in entries], len(rows) - len(entries))


def audit_sign_in(
    config: GatewayConfig, store: Store, name: str, outcome: str, client: str
) -> None:
    """Every sign-in and every failure, in the exchange log. A name that is no account is not
    written: people type passwords and ID numbers into the name field."""
    actor = name if known_user(store, name) else UNKNOWN_ACTOR
    event = console_event(
        action=SIGN_IN_ACTION, outcome=outcome, actor=actor, values={"client": client}
    )
    with store.transaction() as conn:
        audit_log_from_config(config).append(conn, [event])


def report_viewers() -> dict[str, ReportViewer]:
    """Every report the installed adapters offer, by name."""
    found: dict[str, ReportViewer] = {}
    for adapter in discover_adapters().values():
        found.update(adapter.report_views())
    return dict(sorted(found.items()))


def report(config: GatewayConfig, store: Store, name: str) -> ReportView | None:
    viewer = report_viewers().get(name)
    return viewer(config, store) if viewer is not None else None
