"""What every command shares: the --config option, the console, and JSON output."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.console import Console
from sqlalchemy import make_url

from gateway.config import GatewayConfig, load_config
from gateway.config_check import refuse_invalid
from gateway.logging import configure_logging
from gateway.store import Store
from gateway.store.keyring import data_sealer

# Piped output (CI logs, files) gets wide tables instead of Rich's 80-column default, unless
# COLUMNS says how wide the reader is.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
err_console = Console(stderr=True)


def setup(
    config_path: Path | None, *, log_to_file: bool = True, check: bool = False
) -> GatewayConfig:
    """Load the configuration and route logs as it says; ``check``: also refuse what
    :mod:`gateway.config_check` finds (unknown adapters and streams, bad schedules, a missing
    store directory), as every command that runs or schedules jobs must."""
    config = load_config(config_path)
    if check:
        refuse_invalid(config)
    log_file = config.path(config.logging.file) if config.logging.file and log_to_file else None
    configure_logging(
        config.logging.level, config.logging.format, log_file, secrets=config.secret_values()
    )
    # The terminal shows tables and progress; its log lines are warnings and errors only,
    # while the log file keeps the configured level.
    for handler in logging.getLogger().handlers:
        if not isinstance(handler, logging.FileHandler):
            handler.setLevel(max(logging.WARNING, logging.getLevelName(config.logging.level)))
    return config


# The store this command opened, so a fault of its environment (read-only, disk full, locked)
# can name it in the one line the command ends with (gateway.cli.root.main).
opened_stores: list[str] = []


def open_store(config: GatewayConfig) -> Store:
    # Named before it opens: opening (migrations, its data key) may be what the disk refuses.
    opened_stores.append(make_url(config.store_url).render_as_string(hide_password=True))
    return Store(config.store_url, sealer=data_sealer(config))


def print_json(value: Any) -> None:
    typer.echo(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode())
