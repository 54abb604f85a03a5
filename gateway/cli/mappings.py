"""``gateway mappings``: check, try, explain and compare mapping files without running a job.

Every value printed is masked by its field's PII class (or scrubbed), as everywhere else.
Exit codes: 0 fine; 1 a file has problems, a sample record was rejected, or ``diff`` found a
difference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gateway.cli.display import Column
from gateway.cli.display import table as display_table
from gateway.cli.options import JsonOption
from gateway.errors import GatewayError
from gateway.mapping import CompiledMapping, MapResult, check_mapping, load_mapping
from gateway.mapping.explain import describe_fields, describe_rules, describe_warnings
from gateway.mapping.result import INFO
from gateway.mapping.samples import read_samples
from gateway.masking import mask_data, mask_issue, scrub_text
from mappings import MAPPINGS_DIR

app = typer.Typer(help="Check, try, explain and compare mapping files.", no_args_is_help=True)
console = Console()
err_console = Console(stderr=True)

InputOption = Annotated[
    Path, typer.Option("--input", "-i", help="Sample records: .jsonl, .json, .csv or .xlsx.")
]
LimitOption = Annotated[
    int | None, typer.Option("--limit", "-n", help="Read at most this many sample records.")
]


def _echo_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode())


def _fail(error: GatewayError) -> typer.Exit:
    err_console.print(f"[red]error:[/red] {scrub_text(str(error))}", markup=True, highlight=False)
    return typer.Exit(1)


def _load(path: Path) -> CompiledMapping:
    try:
        return load_mapping(path)
    except GatewayError as exc:
        raise _fail(exc) from None


def _samples(path: Path, limit: int | None) -> list[dict[str, Any]]:
    try:
        return read_samples(path, limit)
    except GatewayError as exc:
        raise _fail(exc) from None


def masked_record(mapping: CompiledMapping, record: dict[str, Any] | None) -> dict[str, Any] | None:
    """A mapped record fit for a terminal: every field masked by its PII class."""
    if record is None:
        return None
    masked: dict[str, Any] = mask_data(record, classes=mapping.pii)
    return masked


def masked_key(mapping: CompiledMapping, key: str | None) -> str | None:
    if key is None:
        return None
    parts = key.split("|")
    if len(parts) != len(mapping.key_fields):
        return scrub_text(key)
    return "|".join(
        str(mask_data(part, mapping.pii.get(name)))
        for part, name in zip(parts, mapping.key_fields, strict=True)
    )


def _issues(result: MapResult) -> str:
    lines = [f"[red]✗[/red] {scrub_text(str(i))}" for i in result.errors]
    lines += [
        f"[blue]i[/blue] {scrub_text(str(i))}"
        if i.level == INFO
        else f"[yellow]![/yellow] {scrub_text(str(i))}"
        for i in result.warnings
    ]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    """A mapping's path as short as it is unambiguous: under the shipped mappings, or here."""
    for base in (MAPPINGS_DIR, Path.cwd()):
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def engine_text(mapping: CompiledMapping) -> str:
    """Which engine maps a pull page, and why not the columnar one when it does not."""
    if mapping.columnar_reason is None:
        return (
            "columnar for a job with mapping_engine: columnar (pages mapped as columns; records "
            "with an issue by the row engine), row by default"
        )
    return f"row ({scrub_text(mapping.columnar_reason)})"


@app.command()
def check(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Mapping files to check (default: every shipped mapping)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check mapping files completely: every problem with its file, line and column."""
    paths = list(files) if files else sorted(MAPPINGS_DIR.rglob("*.yaml"))
    problems = [p for path in paths for p in check_mapping(path)]
    if as_json:
        _echo_json(
            {
                "files": [str(p) for p in paths],
                "problems": [
                    {
                        "file": str(p.path),
                        "line": p.line,
                        "column": p.column,
                        "message": p.message,
                        "allowed": p.allowed,
                    }
                    for p in problems
                ],
            }
        )
    else:
        # One line per file and per problem, compiler style (file:line:col): long messages
        # wrap at 80 columns, file names are never cut.
        by_file: dict[str, list[str]] = {}
        for p in problems:
            allowed = f" (allowed: {p.allowed})" if p.allowed else ""
            by_file.setdefault(str(p.path), []).append(
                f"{_shown(p.path)}:{p.line}:{p.column}: {p.message}{allowed}"
            )
        for path in paths:
            found = by_file.get(str(path), [])
            mark = "[red]✗[/red]" if found else "[green]✓[/green]"
            outcome = f"{len(found)} problem(s)" if found else "OK"
            console.print(f"{mark} {_shown(path)} {outcome}", highlight=False)
            for line in found:
                console.print(f"    {escape(line)}", highlight=False)
        bad = len(by_file)
        console.print(f"{len(paths)} mapping file(s), {bad} with problems", highlight=False)
    if problems:
        raise typer.Exit(1)


@app.command("test")
def try_mapping(
    file: Annotated[Path, typer.Argument(help="The mapping file.")],
    input_file: InputOption,
    as_json: JsonOption = False,
    limit: LimitOption = None,
) -> None:
    """Map sample records and show each result (exit 1 if any record is rejected)."""
    mapping = _load(file)
    results = mapping.map_many(_samples(input_file, limit))
    rejected = sum(1 for r in results if not r.ok)
    warned = sum(1 for r in results if r.problems)
    # Informational notes (a region code created after the birth) are not counted as problems.
    noted = sum(1 for r in results if len(r.warnings) > len(r.problems))
    summary = {
        "records": len(results),
        "ok": len(results) - rejected,
        "rejected": rejected,
        "with_warnings": warned,
        "with_notes": noted,
    }
    if as_json:
        _echo_json(
            {
                "mapping": mapping.name,
                "digest": mapping.digest,
                "summary": summary,
                "results": [
                    {
                        "index": n,
                        "ok": r.ok,
                        "key": masked_key(mapping, r.key),
                        "record": masked_record(mapping, r.record),
                        "errors": [mask_issue(i.as_dict(), mapping.pii) for i in r.errors],
                        "warnings": [mask_issue(i.as_dict(), mapping.pii) for i in r.warnings],
                    }
                    for n, r in enumerate(results, start=1)
                ],
            }
        )
    else:
        table = Table("#", "key", "result", "issues", title=f"{mapping.name} ← {input_file.name}")
        for n, r in enumerate(results, start=1):
            status = "[green]ok[/green]" if r.ok else "[red]rejected[/red]"
            table.add_row(str(n), masked_key(mapping, r.key) or "—", status, _issues(r))
        console.print(table)
        console.print(
            f"{summary['records']} record(s): {summary['ok']} ok, {rejected} rejected, "
            f"{warned} with warnings, {noted} with informational notes"
        )
    if rejected:
        raise typer.Exit(1)


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="The mapping file.")],
    source: Annotated[bool, typer.Option("--source", help="Also print the compiled code.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show what a mapping does, field by field, its record rules, and every warning its
    steps can give."""
    mapping = _load(file)
    if as_json:
        columns = ("field", "step", "warning", "level", "meaning")
        _echo_json(
            {
                "mapping": mapping.name,
                "engine": mapping.engine,
                "engine_reason": mapping.columnar_reason,
                "fields": [
                    dict(zip(("field", "source", "type", "steps", "need", "pii"), row, strict=True))
                    for row in describe_fields(mapping.plan)
                ],
                "rules": [
                    dict(zip(("rule", "level", "field"), row, strict=True))
                    for row in describe_rules(mapping.plan)
                ],
                "warnings": [
                    dict(zip(columns, row, strict=True)) for row in describe_warnings(mapping.plan)
                ],
            }
        )
        return
    console.print(
        f"[bold]{mapping.name}[/bold]  {mapping.direction}  entity={mapping.entity}  "
        f"key={'+'.join(mapping.key_fields)}  version={mapping.version}\n"
        f"file={mapping.path}  sha256={mapping.digest[:16]}…",
        highlight=False,
    )
    if mapping.description:
        console.print(mapping.description, highlight=False)
    console.print(f"engine={engine_text(mapping)}", highlight=False, markup=False)
    # Field names stay whole; steps (code table names included) wrap rather than being cut.
    fields = [Column("field", "key"), Column("source"), Column("type"), Column("steps"),
              Column("required / default"), Column("pii", "key")]  # fmt: skip
    console.print(
        display_table(
            "fields", fields, [list(r) for r in describe_fields(mapping.plan)], console.width
        )
    )
    rules = describe_rules(mapping.plan)
    if rules:
        rule_columns = [Column("rule"), Column("level", "key"), Column("reported on")]
        console.print(
            display_table("record rules", rule_columns, [list(r) for r in rules], console.width)
        )
    warnings = describe_warnings(mapping.plan)
    if warnings:
        warning_columns = [Column("field", "key"), Column("step"), Column("warning"),
                   Column("level", "key"), Column("meaning")]  # fmt: skip
        rows = [list(r) for r in warnings]
        console.print(
            display_table("warnings the steps can give", warning_columns, rows, console.width)
        )
    if source:
        console.print(mapping.source_text, markup=False, highlight=False)


def _changes(old: MapResult, new: MapResult) -> list[str]:
    if old.ok != new.ok:
        return ["accepted → rejected" if old.ok else "rejected → accepted"]
    if not old.ok:
        before = sorted(f"{i.field}:{i.rule}" for i in old.errors)
        after = sorted(f"{i.field}:{i.rule}" for i in new.errors)
        return [] if before == after else [f"reasons {before} → {after}"]
    changes = [] if old.key == new.key else ["key changed"]
    a, b = old.record or {}, new.record or {}
    changes += [f"{name} changed" for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)]
    return changes


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The mapping as it is.")],
    new: Annotated[Path, typer.Argument(help="The mapping as it would be.")],
    input_file: InputOption,
    as_json: JsonOption = False,
    limit: LimitOption = None,
) -> None:
    """Map the same samples with two versions of a mapping and show what changes (exit 1 if
    anything does)."""
    before, after = _load(old), _load(new)
    samples = _samples(input_file, limit)
    rows: list[dict[str, Any]] = []
    for n, (a, b) in enumerate(
        zip(before.map_many(samples), after.map_many(samples), strict=True), start=1
    ):
        changes = _changes(a, b)
        if changes:
            rows.append(
                {
                    "index": n,
                    "key": masked_key(after, b.key) or masked_key(before, a.key),
                    "changes": changes,
                }
            )
    if as_json:
        _echo_json({"records": len(samples), "changed": len(rows), "differences": rows})
    elif rows:
        table = Table("#", "key", "changes", title=f"{old.name} → {new.name}")
        for row in rows:
            shown: list[str] = row["changes"]
            table.add_row(str(row["index"]), str(row["key"] or "—"), "\n".join(shown))
        console.print(table)
        console.print(f"{len(rows)} of {len(samples)} record(s) map differently")
    else:
        console.print(f"[green]✓[/green] all {len(samples)} record(s) map the same")
    if rows:
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="mappings")
