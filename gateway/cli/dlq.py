"""``gateway dlq``: list, show, amend, replay and discard dead letters.

Exit codes: 0 done, 1 a replay could not finish (platform down, answers unknown) or a letter is
not in a state the command can act on, 2 bad configuration or arguments. Letters whose record
still fails are not an error: ``replay`` reports them and leaves them open.

Nothing here prints personal data: keys are stored masked, reasons hold masked values, and
``show`` masks the raw input through the job's current mapping (every value is hidden when that
mapping cannot be loaded, since only the mapping knows which fields are personal). ``show`` also
lists the warnings and informational notes that mapping gives the input, which tell a
suspicious record (a region code abolished before the birth) from an ordinary one (created
after it).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.audit import audit_log_from_config, dlq_discard_event
from gateway.audit.settings import checkpoint_after_change
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import GatewayConfig
from gateway.errors import ConfigError, GatewayError, StoreError
from gateway.mapping import CompiledMapping, load_mapping
from gateway.masking import mask_data, mask_issue, scrub_text
from gateway.pipeline.amend import amend_letter, parse_changes
from gateway.pipeline.replay import Replayer, ReplayResult, known_key
from gateway.store import dlq
from mappings import resolve_mapping

app = typer.Typer(
    help="The dead-letter queue: records that could not be stored or delivered, with reasons.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

HIDDEN = "(hidden: the job's mapping could not be loaded)"


def _status(value: str | None) -> str | None:
    if value is not None and value not in dlq.STATUSES:
        raise typer.BadParameter(f"must be one of {', '.join(dlq.STATUSES)}", param_hint="--status")
    return value


@app.command("list")
def list_letters(
    job: Annotated[str | None, typer.Option("--job", help="Only this job's letters.")] = None,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Only letters failing RULE (e.g. code_map or phone:mobile)."),
    ] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="open, replayed or discarded (default: all).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 200,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Dead letters, oldest first, with their job, source, masked key and failed rules."""
    _status(status)
    cfg = setup(config, log_to_file=False)
    store = open_store(cfg)
    with store.connect() as conn:
        letters = dlq.list_letters(conn, job=job, status=status, rule=reason, limit=limit)
        total = dlq.count_letters(conn, job=job, status=status, rule=reason)
    store.close()
    if json:
        print_json([mask_data(letter.summary()) for letter in letters])
        return
    table = Table(title=f"Dead letters ({len(letters):,} of {total:,})")
    for column in ("id", "job", "status", "attempts", "source", "key", "rules", "updated"):
        table.add_column(column, justify="right" if column in ("id", "attempts") else "left")
    for letter in letters:
        table.add_row(
            str(letter.id), escape(letter.job), letter.status, str(letter.attempts),
            escape(letter.source), escape(scrub_text(letter.record_key or "-")),
            escape(", ".join(letter.rules)), letter.updated_at,
        )  # fmt: skip
    console.print(table)


def _mapping(cfg: GatewayConfig, letter: dlq.Letter) -> CompiledMapping | None:
    try:
        return load_mapping(resolve_mapping(cfg.job(letter.job).mapping, cfg.base_dir))
    except GatewayError:
        return None


def masked_raw(cfg: GatewayConfig, letter: dlq.Letter) -> tuple[dict[str, Any], str]:
    """The raw input masked by the job's current mapping, and which mapping masked it."""
    mapping = _mapping(cfg, letter)
    if mapping is None:
        return dict.fromkeys(letter.raw, HIDDEN), "none"
    return mapping.mask_raw(letter.raw), mapping.name


def letter_warnings(cfg: GatewayConfig, letter: dlq.Letter) -> list[dict[str, Any]]:
    """The warnings and notes the job's current mapping gives the input (values masked)."""
    mapping = _mapping(cfg, letter)
    if mapping is None:
        return []
    return [mask_issue(w.as_dict(), mapping.pii) for w in mapping.map(letter.raw).warnings]


def letter_reasons(cfg: GatewayConfig, letter: dlq.Letter) -> list[dict[str, Any]]:
    """The letter's reasons, each value masked by its field's class under today's policy."""
    mapping = _mapping(cfg, letter)
    classes = mapping.pii if mapping is not None else {}
    return [mask_issue(r, classes) for r in letter.reasons]


@app.command()
def show(
    letter_id: Annotated[int, typer.Argument(help="The letter's id, as `dlq list` shows it.")],
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """One letter: where it came from, every reason, and its input with personal data masked."""
    cfg = setup(config, log_to_file=False)
    store = open_store(cfg)
    with store.connect() as conn:
        letter = dlq.get_letter(conn, letter_id)
    store.close()
    raw, masked_by = masked_raw(cfg, letter)
    reasons = letter_reasons(cfg, letter)
    summary = mask_data(letter.summary())
    warnings = letter_warnings(cfg, letter)
    if json:
        print_json({**summary, "reasons": reasons, "warnings": warnings, "raw": raw,
                    "masked_by": masked_by})  # fmt: skip
        return
    info = Table.grid(padding=(0, 2))
    for name, value in summary.items():
        if name != "rules":
            info.add_row(name, escape(str(value if value is not None else "-")))
    console.print(info)
    why = Table(title="Reasons")
    for column in ("field", "rule", "value", "detail"):
        why.add_column(column)
    for r in reasons:
        why.add_row(*(escape(r.get(c) or "-") for c in ("field", "rule", "value", "detail")))
    console.print(why)
    if warnings:
        notes = Table(title=f"Warnings and notes (by {escape(masked_by)} as it is now)")
        for column in ("field", "rule", "level", "value", "detail"):
            notes.add_column(column)
        for w in warnings:
            notes.add_row(*(escape(str(w.get(c) or "-")) for c in ("field", "rule", "level",
                                                                   "value", "detail")))  # fmt: skip
        console.print(notes)
    data = Table(title=f"Input (masked by {escape(masked_by)})")
    data.add_column("field")
    data.add_column("value")
    for name, value in raw.items():
        data.add_row(escape(str(name)), escape(str(value)))
    console.print(data)


def _results_table(results: list[ReplayResult]) -> Table:
    table = Table(title="Replay")
    for column in ("job", "replayed", "still failing", "superseded", "job not configured"):
        table.add_column(column, justify="left" if column == "job" else "right")
    for r in results:
        table.add_row(
            escape(r.job), f"{len(r.replayed):,}", f"{len(r.still_failing):,}",
            f"{len(r.superseded):,}", f"{r.not_configured:,}",
        )  # fmt: skip
    return table


@app.command()
def replay(
    job: Annotated[str | None, typer.Option("--job", help="Only this job's letters.")] = None,
    ids: Annotated[
        list[int] | None, typer.Option("--id", help="Only this letter (repeatable).")
    ] = None,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Map open letters again with their job's current mapping file.

    Pull jobs: records that map now go into the store. Push jobs: they are sent to the
    platform again. Letters that still fail stay open, with their attempts counted.
    """
    cfg = setup(config)
    store = open_store(cfg)
    try:
        results = Replayer(cfg, store).replay(job=job, ids=ids)
    finally:
        store.close()
    if json:
        print_json([r.as_dict() for r in results])
        return
    if not results:
        console.print("no open dead letters matched")
        return
    console.print(_results_table(results))


@app.command()
def amend(
    letter_id: Annotated[int, typer.Argument(help="The letter's id, as `dlq list` shows it.")],
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="A file holding a JSON object of column: corrected text (- : standard input).",
        ),
    ] = "-",
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Correct the input of a row the source could not parse (too many or too few columns,
    bytes that are not text), from the source file you hold; then `dlq replay --id`.

    The cells are read from a file or standard input, never from the command line (where
    they would stay in the shell's history). Audited by column names, never values."""
    cfg = setup(config)
    text = read_correction(source)
    changes = parse_changes(text, source)
    store = open_store(cfg)
    try:
        letter = amend_letter(cfg, store, letter_id, changes)
    finally:
        store.close()
    if json:
        print_json(letter.summary())
        return
    console.print(
        f"dead letter {letter_id} amended ({escape(', '.join(sorted(changes)))}); "
        f"replay it with: gateway dlq replay --id {letter_id}"
    )


def read_correction(source: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("cannot read the correction", file=source, reason=exc.strerror) from None
    except UnicodeDecodeError:
        raise ConfigError("the correction is not UTF-8 text", source=source) from None


@app.command()
def discard(
    letter_id: Annotated[int, typer.Argument(help="The letter's id, as `dlq list` shows it.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is given up (kept as a note).")],
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Give up on an open letter: it is kept, marked discarded with the note, and audited."""
    note = scrub_text(reason.strip())
    if not note:
        raise typer.BadParameter("must say why", param_hint="--reason")
    cfg = setup(config)
    store = open_store(cfg)
    audit = audit_log_from_config(cfg)
    try:
        with store.transaction() as conn:
            letter = dlq.get_letter(conn, letter_id)
            if letter.status != dlq.OPEN:
                raise StoreError("only an open letter can be discarded", id=letter_id,
                                 status=letter.status)  # fmt: skip
            dlq.mark_discarded(conn, letter, note)
            keys = [known_key(letter)] if letter.key_digest else []
            audit.append(
                conn,
                [dlq_discard_event(job=letter.job, letter_ids=[letter.id], keys=keys, reason=note)],
            )
        checkpoint_after_change(cfg, store)
    finally:
        store.close()
    if json:
        print_json({"id": letter_id, "status": dlq.DISCARDED, "note": note})
        return
    console.print(f"dead letter {letter_id} discarded")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="dlq")
