"""``gateway users add|list``: the web console's local accounts. A password is read from a
prompt (or one line of standard input), never from the command line."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.display import Column, local, zone
from gateway.cli.display import table as display_table
from gateway.cli.options import ConfigOption, JsonOption
from gateway.console import missing_extra
from gateway.errors import ConfigError

app = typer.Typer(help="The web console's accounts (auditors and operators).", no_args_is_help=True)


class RoleChoice(StrEnum):
    AUDITOR = "auditor"
    OPERATOR = "operator"


def _password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The account's name (a-z, 0-9, '.', '_', '-').")],
    role: Annotated[RoleChoice, typer.Option("--role", help="auditor or operator.")],
    config: ConfigOption = None,
) -> None:
    """Add an account; its password is asked for (or read from standard input)."""
    missing = missing_extra()
    if missing is not None:
        raise ConfigError(missing)
    from gateway.console.auth import Role, add_user, check_name

    check_name(name)
    cfg = setup(config, log_to_file=False)
    password = _password()
    store = open_store(cfg)
    try:
        add_user(store, name, Role(role.value), password)
    finally:
        store.close()
    console.print(f"user {name} added ({role.value})", highlight=False)


@app.command("list")
def list_users(config: ConfigOption = None, json: JsonOption = False) -> None:
    """The accounts: role, when added, last sign-in and failures in a row."""
    missing = missing_extra()
    if missing is not None:
        raise ConfigError(missing)
    from gateway.console.auth import list_users as users

    cfg = setup(config, log_to_file=False)
    store = open_store(cfg)
    try:
        rows = users(store)
    finally:
        store.close()
    if json:
        print_json(rows)
        return
    tz = zone(cfg)
    columns = [Column("user", "key"), Column("role", "key"), Column("added"),
               Column("last sign-in"), Column("failures", "number")]  # fmt: skip
    cells = [
        [str(r["name"]), str(r["role"]), local(str(r["created_at"]), tz),
         local(str(r["last_sign_in_at"] or ""), tz), str(r["failures"])]
        for r in rows
    ]  # fmt: skip
    console.print(display_table("Console users", columns, cells, console.width))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="users")
