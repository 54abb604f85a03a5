"""``gateway adapters``: the installed adapters (``list``), and a new adapter package (``new``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.adapter import Direction
from gateway.cli.common import console, print_json
from gateway.cli.display import Column
from gateway.cli.display import table as display_table
from gateway.cli.options import JsonOption
from gateway.inventory import describe, installed_adapters
from gateway.scaffold import PAGING, SIGNING, Plan

DescribedOption = Annotated[
    bool, typer.Option("--wide", help="Add each adapter's description; wider than 80 columns.")
]
adapters_app = typer.Typer(help="The installed platform adapters.", no_args_is_help=True)


@adapters_app.command("list")
def list_adapters(json: JsonOption = False, wide: DescribedOption = False) -> None:
    """Every adapter installed in this environment: its streams, version and origin (the
    distribution that installed it); ``--wide`` adds its description."""
    rows = [describe(installed) for installed in installed_adapters()]
    if json:
        print_json(rows)
        return

    def shown(row: dict[str, Any], side: Direction) -> str:
        if side.value in row["any_name"]:
            return "(any name)"
        return ", ".join(row[side.value]) or "-"

    columns = [Column("adapter", "key"), Column("version", "key"), Column("origin", "key"),
               Column("pull streams"), Column("push streams")]  # fmt: skip
    cells = [
        [
            row["adapter"],
            row["version"] or "-",
            row["origin"]["distribution"] or "-",
            shown(row, Direction.PULL),
            shown(row, Direction.PUSH),
        ]
        for row in rows
    ]
    if wide:
        columns.append(Column("description"))
        for row, line in zip(rows, cells, strict=True):
            line.append(row["description"])
    console.print(display_table("Adapters", columns, cells, console.width))


@adapters_app.command("new")
def new_adapter(
    name: Annotated[str, typer.Argument(help="The adapter's name (lower case, digits, _)")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where the package's directory NAME is written")
    ] = Path("."),
    pull: Annotated[
        list[str] | None, typer.Option("--pull", help="A pull stream (repeatable)")
    ] = None,
    push: Annotated[
        list[str] | None, typer.Option("--push", help="A push stream (repeatable)")
    ] = None,
    paging: Annotated[str, typer.Option(help=f"How lists page: {', '.join(PAGING)}")] = "keyset",
    signing: Annotated[
        str, typer.Option(help=f"How requests are signed: {', '.join(SIGNING)}")
    ] = "hmac-sha256",
) -> None:
    """Write an installable adapter package: streams, mappings, a simulator with its OpenAPI
    document, sample records, tests (with the contract suite) and a README."""
    pulls, pushes = tuple(pull or ()), tuple(push or ())
    if not pulls and not pushes:
        pulls, pushes = ("records",), ("results",)
    plan = Plan(name, pulls, pushes, paging, signing)
    from gateway.scaffold.package import write_package  # the templates: only for this command

    root = write_package(plan, directory)
    console.print(f"wrote {root}", highlight=False)
    console.print(f"next: pip install -e {root}  then  (cd {root} && pytest)", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(adapters_app, name="adapters")
