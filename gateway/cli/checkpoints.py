"""``gateway audit checkpoint|keygen|witness verify``: signed checkpoints and their witnesses.

Mounted on ``gateway audit`` by :mod:`gateway.cli.audit`. Exit codes as there: 0 done, 1 a
witness failed or a witness file does not verify, 2 bad configuration or arguments.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gateway.audit.settings import checkpoint_verifier, checkpointer
from gateway.audit.signing import CheckpointVerifier, generate_key_pair, load_public_key
from gateway.audit.witness_file import verify_witness_file
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.config import CONFIG_ENV, load_config
from gateway.errors import ConfigError

witness_app = typer.Typer(
    help="Witnesses: where signed checkpoints are kept outside the store.",
    no_args_is_help=True,
)

PublicKeyOption = Annotated[
    Path | None,
    typer.Option("--public-key", help="The checkpoint public key (PEM); default: from config."),
]
AllowUnsignedOption = Annotated[
    bool,
    typer.Option("--allow-unsigned", help="Accept what cannot be authenticated (no key at hand)."),
]


def verifier_for(public_key: Path | None, config_path: Path | None) -> CheckpointVerifier | None:
    """The public key given, else the configuration's if one is at hand, else none."""
    if public_key is not None:
        return CheckpointVerifier(load_public_key(public_key))
    if config_path is None and not os.environ.get(CONFIG_ENV) and not Path("gateway.yaml").exists():
        return None
    return checkpoint_verifier(load_config(config_path))


def checkpoint(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Sign a checkpoint of the log's head now and write it to every witness."""
    cfg = setup(config)
    signer = checkpointer(cfg)
    if signer is None:
        raise ConfigError(
            "audit.checkpoint.private_key is not set: generate a key pair with "
            "'gateway audit keygen' and configure it"
        )
    store = open_store(cfg)
    try:
        written = signer.checkpoint(store)
    finally:
        store.close()
    cp = written.checkpoint
    if json:
        print_json(
            {
                "checkpoint": cp.as_dict(),
                "witnesses": [w.name for w in signer.witnesses],
                "failed": [{"witness": name, "error": error} for name, error in written.failures],
            }
        )
    else:
        console.print(f"Checkpoint {cp.describe()} signed by key id {cp.key_id}")
        for witness in signer.witnesses:
            failed = dict(written.failures).get(witness.name)
            console.print(f"  {witness.name}: " + (f"[red]failed: {failed}[/]" if failed else "ok"))
        if not signer.witnesses:
            console.print("[yellow]no witness configured (audit.witnesses)[/]")
    if written.failures:
        raise typer.Exit(1)


def keygen(
    private_key: Annotated[Path, typer.Argument(help="Where the private key goes (created 0600).")],
    public_key: Annotated[Path, typer.Argument(help="Where the public key goes (for auditors).")],
) -> None:
    """Generate an Ed25519 checkpoint key pair; an existing private key is never replaced."""
    key_id = generate_key_pair(private_key, public_key)
    console.print(f"key id {key_id}: private {private_key} (0600), public {public_key}")


@witness_app.command("verify")
def witness_verify(
    file: Annotated[Path, typer.Argument(help="A witness file (one checkpoint a line).")],
    public_key: PublicKeyOption = None,
    allow_unsigned: AllowUnsignedOption = False,
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Check a witness file on its own: signatures, and no two heads for one seq."""
    report = verify_witness_file(
        file, verifier_for(public_key, config), allow_unsigned=allow_unsigned
    )
    if json:
        print_json(report.as_dict())
    else:
        table = Table(title=f"Witness {file.name}", show_header=False)
        table.add_column("", style="bold")
        table.add_column("", overflow="fold")
        table.add_row("witness", "[green]intact[/]" if report.ok else "[red]BROKEN[/]")
        table.add_row("checkpoints", f"{report.checkpoints:,}")
        if report.latest is not None:
            table.add_row("latest", f"{report.latest.describe()} at {report.latest.time}")
            table.add_row("key id", report.latest.key_id)
        table.add_row("signatures", "checked" if report.signatures_checked else "not checked")
        for problem in report.problems:
            table.add_row("[red]problem[/]", problem)
        for warning in report.warnings:
            table.add_row("[yellow]warning[/]", warning)
        console.print(table)
    if not report.ok:
        raise typer.Exit(1)
