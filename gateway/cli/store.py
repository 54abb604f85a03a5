"""``gateway store rotate-key``: seal the store again under the configured data key."""

from __future__ import annotations

import typer

from gateway.audit import audit_log_from_config, operator_event
from gateway.cli.common import console, print_json, setup
from gateway.cli.options import ConfigOption, JsonOption
from gateway.errors import ConfigError
from gateway.store import Store
from gateway.store.keyring import data_sealer
from gateway.store.rotate import rotate

app = typer.Typer(help="The canonical store's data keys.", no_args_is_help=True)


@app.command("rotate-key")
def rotate_key(config: ConfigOption = None, json: JsonOption = False) -> None:
    """Re-seal every value under store.encryption.key (the old key listed in
    store.encryption.previous until this ends); a store in clear is sealed the first time.
    Resumable: run it again after an interruption. Audited as an operator action."""
    cfg = setup(config)
    sealer = data_sealer(cfg)
    if sealer is None:
        raise ConfigError("store.encryption.key is not set: there is no key to seal with")
    store = Store(cfg.store_url, sealer=sealer, sealing=True)
    audit = audit_log_from_config(cfg)
    try:
        report = rotate(store)
        with store.transaction() as conn:
            values = {"key_id": sealer.current.id, **report.as_dict()}
            audit.append(conn, [operator_event(job="-", action="store.rotate_key", values=values)])
    finally:
        store.close()
    if json:
        print_json({"key_id": sealer.current.id, **report.as_dict()})
        return
    counts = ", ".join(f"{n:,} {table}" for table, n in report.rewritten.items())
    console.print(f"sealed under key {sealer.current.id}: {counts}", highlight=False)
    if report.retired:
        console.print(
            f"retired keys {', '.join(report.retired)}: remove them from store.encryption.previous",
            highlight=False,
        )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="store")
