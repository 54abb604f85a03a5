"""Options every command shares. A leaf: adapters' report commands import it without pulling in
the rest of the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="The gateway.yaml to use (default: $GATEWAY_CONFIG, then ./gateway.yaml).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
