"""``gateway schema config|mapping``: print a JSON Schema for editors and scripts."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from gateway.cli.common import print_json
from gateway.schemas import SCHEMAS


class Kind(StrEnum):
    CONFIG = "config"
    MAPPING = "mapping"


def schema(
    kind: Annotated[
        Kind, typer.Argument(help="config (gateway.yaml) or mapping (a mapping file).")
    ],
) -> None:
    """Print the JSON Schema of the configuration or of a mapping file."""
    print_json(SCHEMAS[kind.value]())


def register(app: typer.Typer) -> None:
    app.command()(schema)
