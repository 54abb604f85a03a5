"""``gateway console``: the read-only web console alone, e.g. over an auditor's copy of the
store (``gateway run`` serves it beside the scheduler)."""

from __future__ import annotations

from typing import Annotated

import typer

from gateway.cli.common import open_store, setup
from gateway.cli.options import ConfigOption
from gateway.console import missing_extra
from gateway.errors import ConfigError


def console(
    config: ConfigOption = None,
    host: Annotated[
        str | None,
        typer.Option(
            help="Address to listen on (default: console.host, 127.0.0.1).", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port (default: console.port).", show_default=False),
    ] = None,
) -> None:
    """Serve the web console (sign-in with `gateway users add`) until Ctrl-C; it changes nothing
    but records sign-ins and trace queries in the exchange log."""
    missing = missing_extra()
    if missing is not None:
        raise ConfigError(missing)
    from gateway.console.server import check_port, server_for

    cfg = setup(config)
    chosen_host, chosen_port = host or cfg.console.host, port or cfg.console.port
    check_port(chosen_host, chosen_port)
    store = open_store(cfg)
    try:
        server = server_for(cfg, store, chosen_host, chosen_port)
        typer.echo(f"web console on http://{chosen_host}:{chosen_port}/ (Ctrl-C stops it)")
        server.run()
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.command()(console)
