"""``gateway audit``: verify, search, trace, export, show, prune; checkpoints and witnesses.

Exit codes: 0 done (or the chain is intact), 1 the chain or an export does not verify, or an
entry or payload is missing, 2 bad configuration or arguments. No command prints a raw record
key: traces show the key masked, payloads are masked unless written to a file or asked ``--raw``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer
from sqlalchemy import Connection

from gateway.audit import (
    SearchFilter,
    export_entries,
    get_entry,
    prune,
    search,
    trace,
    verify_export,
)
from gateway.audit.checkpoints import verify_log, witnessed_checkpoints
from gateway.audit.keys import Sealer
from gateway.audit.prune import latest_allowed
from gateway.audit.query import parse_moment
from gateway.audit.render import entries_table, entry_dict, entry_table, report_table
from gateway.audit.settings import (
    audit_key,
    checkpoint_after_change,
    checkpoint_verifier,
    checkpointer,
    key_digester,
    payload_archive,
    sealer,
)
from gateway.audit.signing import CheckpointVerifier, load_public_key
from gateway.audit.witnesses import witnesses_from_config
from gateway.cli.checkpoints import (
    AllowUnsignedOption,
    PublicKeyOption,
    checkpoint,
    keygen,
    verifier_for,
    witness_app,
)
from gateway.cli.common import console, err_console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.clock import to_iso
from gateway.codes.idnumber import is_valid_id_number
from gateway.config import CONFIG_ENV, GatewayConfig, load_config
from gateway.errors import AuditError, ConfigError
from gateway.masking import mask_data, mask_id_number, scrub_text
from gateway.private import write_private

app = typer.Typer(
    help="The exchange log: verify it, search it, trace a key, export, show and prune entries.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.command()(checkpoint)
app.command()(keygen)
app.add_typer(witness_app, name="witness")


class ExportFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class Payload(StrEnum):
    REQUEST = "request"
    RESPONSE = "response"


class DirectionChoice(StrEnum):
    PULL = "pull"
    PUSH = "push"


SinceOption = Annotated[
    str | None, typer.Option(help="From this UTC date or ISO time on (inclusive).")
]
UntilOption = Annotated[
    str | None, typer.Option(help="Up to this UTC date or ISO time (exclusive).")
]


@contextmanager
def _reading(config: GatewayConfig) -> Iterator[Connection]:
    """One consistent view for a read of several statements (REPEATABLE READ on PostgreSQL)."""
    store = open_store(config)
    try:
        with store.connect() as conn:
            if store.dialect == "postgresql":
                conn.execution_options(isolation_level="REPEATABLE READ")
            yield conn
    finally:
        store.close()


def _optional_key(config_path: Path | None) -> bytes | None:
    """The audit key if a configuration is at hand: an export can be checked without one."""
    if config_path is None and not os.environ.get(CONFIG_ENV) and not Path("gateway.yaml").exists():
        return None
    config = load_config(config_path)
    return audit_key(config) if config.audit.key is not None else None


@app.command()
def verify(
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Check an exported copy offline, against its manifest."),
    ] = None,
    public_key: PublicKeyOption = None,
    allow_unsigned: AllowUnsignedOption = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Recompute the hash chain and compare it with the witnesses: exit 0, or 1 naming the
    first bad seq or the witness."""
    if export is not None:
        report, manifest = verify_export(
            export,
            signing_key=_optional_key(config),
            verifier=verifier_for(public_key, config),
            allow_unsigned=allow_unsigned,
        )
        title, extra = f"Export {export.name}", {"manifest": manifest}
    else:
        cfg = setup(config)
        witnesses = witnesses_from_config(cfg)
        verifier = (
            CheckpointVerifier(load_public_key(public_key))
            if public_key
            else checkpoint_verifier(cfg)
        )
        with _reading(cfg) as conn:
            report = verify_log(conn, sealer=sealer(cfg), verifier=verifier, witnesses=witnesses)
        title, extra = "Exchange log", {}
    if json:
        print_json({**report.as_dict(), **extra})
    else:
        console.print(report_table(report, title))
    if not report.ok:
        raise typer.Exit(1)


@app.command("search")
def search_command(
    job: Annotated[str | None, typer.Option(help="Only this job.")] = None,
    platform: Annotated[str | None, typer.Option(help="Only this platform.")] = None,
    direction: Annotated[DirectionChoice | None, typer.Option(help="pull or push.")] = None,
    outcome: Annotated[str | None, typer.Option(help="ok, retry, error, failed…")] = None,
    kind: Annotated[str | None, typer.Option(help="exchange, run_start, run_end…")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Only this run id.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many, newest first.")] = 50,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Find entries by job, platform, direction, outcome and time, newest first."""
    where = SearchFilter(
        job=job,
        platform=platform,
        direction=direction.value if direction else None,
        outcome=outcome,
        kind=kind,
        run_id=run,
        since=parse_moment(since) if since else None,
        until=parse_moment(until) if until else None,
    )
    cfg = setup(config)
    with _reading(cfg) as conn:
        rows = search(conn, where, limit)
    if json:
        print_json([mask_data(entry_dict(row)) for row in rows])
        return
    shown_rows = [mask_data(dict(r)) for r in rows]
    console.print(entries_table(shown_rows, f"Audit entries ({len(rows)}, newest first)"))
    if len(rows) == limit:
        err_console.print(f"[dim]showing the newest {limit}; narrow the search or raise --limit[/]")


def _read_value(value: str) -> str:
    return sys.stdin.readline().strip() if value == "-" else value.strip()


@app.command("trace")
def trace_command(
    id_number: Annotated[
        str | None,
        typer.Option(help="A resident ID number; '-' reads it from standard input."),
    ] = None,
    uscc: Annotated[str | None, typer.Option(help="A unified social credit code.")] = None,
    key: Annotated[
        str | None, typer.Option(help="Any record key, as the mapping forms it.")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Every entry that carried a key, found by its keyed digest; the key is shown masked."""
    given = [(label, v) for label, v in (("id", id_number), ("uscc", uscc), ("key", key)) if v]
    if len(given) != 1:
        raise ConfigError("give exactly one of --id-number, --uscc and --key")
    label, value = given[0][0], _read_value(given[0][1])
    if label == "id":
        value = value.upper()
        shown = f"ID number {mask_id_number(value)}"
        if not is_valid_id_number(value):
            err_console.print("[yellow]not a valid ID number (check digit); searching anyway[/]")
    else:
        shown = f"{'USCC' if label == 'uscc' else 'key'} {scrub_text(value)}"
    cfg = setup(config)
    digester = key_digester(cfg)
    with _reading(cfg) as conn:
        rows = trace(conn, digester, value)
    if json:
        entries = [mask_data(entry_dict(r)) for r in rows]
        print_json({"key": shown, "count": len(rows), "entries": entries})
        return
    console.print(
        entries_table([mask_data(dict(r)) for r in rows], f"{shown}: {len(rows)} entries")
    )


@app.command("export")
def export_command(
    out: Annotated[Path, typer.Argument(help="The export file; OUT.manifest.json goes beside it.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl.")] = (
        ExportFormat.JSONL
    ),
    since: SinceOption = None,
    until: UntilOption = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Write entries and a manifest (range, count, head, file digest) for verification later."""
    cfg = setup(config)
    key = audit_key(cfg) if cfg.audit.key is not None else None
    signer = checkpointer(cfg)
    if signer is not None:
        # The head is signed first, so an export up to it carries a checkpoint of its end.
        store = open_store(cfg)
        try:
            signer.checkpoint(store)
        finally:
            store.close()
    held = witnessed_checkpoints(witnesses_from_config(cfg))
    with _reading(cfg) as conn:
        manifest = export_entries(
            conn,
            out,
            fmt.value,
            since=parse_moment(since) if since else None,
            until=parse_moment(until) if until else None,
            signing_key=key,
            signer=signer.signer if signer is not None else None,
            checkpoints=held,
        )
    if json:
        print_json(manifest)
        return
    span = (
        f"seq {manifest['first_seq']}..{manifest['last_seq']}"
        if manifest["count"]
        else "no entries"
    )
    console.print(f"Exported {manifest['count']:,} entries ({span}) to {out}")
    console.print(f"manifest {out}.manifest.json, file SHA-256 {manifest['sha256']}")


def masked_body(body: bytes) -> str:
    """An archived body as a terminal may show it: JSON masked field by field, text scrubbed."""
    text = body.decode("utf-8", "replace")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return scrub_text(text)
    return orjson.dumps(mask_data(data), option=orjson.OPT_INDENT_2).decode()


@app.command()
def show(
    seq: Annotated[int, typer.Argument(help="The entry's sequence number.")],
    payload: Annotated[
        Payload | None, typer.Option(help="Print the archived request or response body.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the exact payload bytes to this file.")
    ] = None,
    raw: Annotated[
        bool, typer.Option("--raw", help="Print the payload unmasked (it holds personal data).")
    ] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """One entry in full; with --payload, the exact body it digested, checked against it."""
    cfg = setup(config)
    with _reading(cfg) as conn:
        row = get_entry(conn, seq)
    if row is None:
        raise AuditError("no audit entry with this seq", seq=seq)
    if payload is None:
        if json:
            print_json(mask_data(entry_dict(row)))
        else:
            console.print(entry_table(mask_data(dict(row))))
        return
    digest = row[f"{payload.value}_digest"]
    if digest is None:
        raise AuditError(f"entry has no {payload.value} body", seq=seq)
    body = payload_archive(cfg).get(digest)
    if out is not None:
        write_private(out, body)
        err_console.print(f"wrote {len(body):,} bytes to {out}; SHA-256 {digest} matches")
    elif raw:
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    else:
        typer.echo(masked_body(body))
        err_console.print("[dim]personal data masked; --out FILE for the exact bytes[/]")


@app.command("prune")
def prune_command(
    before: Annotated[str, typer.Option(help="Remove entries older than this UTC date.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Remove entries past retention; a checkpoint entry keeps the rest verifiable."""
    cfg = setup(config)
    cutoff = parse_moment(before)
    retention = cfg.audit.retention_days
    limit = latest_allowed(retention)
    if cutoff > limit:
        raise ConfigError(
            f"refusing to prune entries younger than the retention period ({retention} days)",
            latest_allowed=to_iso(limit)[:10],
        )
    if not yes:
        typer.confirm(f"Remove audit entries older than {to_iso(cutoff)}?", abort=True)
    store = open_store(cfg)
    try:
        with store.transaction() as conn:
            report = prune(conn, cutoff, retention, sealer=Sealer(audit_key(cfg)))
        if report.removed:
            checkpoint_after_change(cfg, store)
    finally:
        store.close()
    files = payload_archive(cfg).remove(report.unreferenced_payloads)
    if json:
        print_json({**report.as_dict(), "payload_files_removed": files})
        return
    if not report.removed:
        console.print("Nothing to prune.")
        return
    console.print(
        f"Removed {report.removed:,} entries (through seq {report.pruned_through}); "
        f"checkpoint entry {report.checkpoint_seq} anchors the rest; "
        f"{files:,} archived payloads removed."
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="audit")
