"""``gateway erase --id-number -``: remove one person's data, audited as an operator action."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gateway.audit import audit_log_from_config, operator_event
from gateway.audit.settings import key_digester, payload_archive
from gateway.cli.common import console, open_store, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.codes.idnumber import is_valid_id_number
from gateway.erase import erase_person
from gateway.errors import ConfigError
from gateway.masking import mask_id_number


def erase(
    id_number: Annotated[
        str,
        typer.Option(
            "--id-number",
            help="The person's resident ID number; '-' reads it from standard input "
            "(so it stays out of the shell history and the process list).",
        ),
    ],
    config: ConfigOption = None,
    json: JsonOption = False,
) -> None:
    """Remove a person's records, dead letters, outbox keys and archived payloads (PIPL
    art. 47). The audit log keeps its entries (masked keys and keyed digests only) and
    records the erasure."""
    value = (sys.stdin.readline() if id_number == "-" else id_number).strip().upper()
    if not is_valid_id_number(value):
        raise ConfigError("not a valid resident ID number (length, birth date or check digit)")
    cfg = setup(config)
    store = open_store(cfg)
    audit = audit_log_from_config(cfg)
    try:
        report = erase_person(store, payload_archive(cfg), value)
        values = {"key": mask_id_number(value), "key_digest": key_digester(cfg).digest(value),
                  **report.as_dict()}  # fmt: skip
        with store.transaction() as conn:
            audit.append(conn, [operator_event(job="-", action="erase", values=values)])
    finally:
        store.close()
    if json:
        print_json(values)
        return
    console.print(
        f"erased {mask_id_number(value)}: {report.records:,} records, "
        f"{report.dead_letters:,} dead letters, {report.outbox:,} outbox entries, "
        f"{report.archived_payloads:,} archived payloads",
        highlight=False,
    )
    if report.cursors:
        console.print(
            f"the cursor of {', '.join(report.cursors)} names it until the job's next run",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command()(erase)
