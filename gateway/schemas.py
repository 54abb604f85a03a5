"""JSON Schemas of what people write by hand: the configuration and mapping files.

Editors (VS Code's YAML extension through ``# yaml-language-server: $schema=``) and scripts
validate against them; the gateway itself checks with its own loaders, which say more.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gateway.config import GatewayConfig
from gateway.mapping.schema import mapping_schema

# Set by the loader from where the file is, never written in it.
_DERIVED = ("base_dir", "source_path")


def config_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of ``gateway.yaml``, from the configuration's pydantic models."""
    schema = GatewayConfig.model_json_schema(mode="validation")
    for name in _DERIVED:
        schema["properties"].pop(name, None)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://gateway.invalid/schemas/config.schema.json"
    schema["title"] = "Gateway configuration (gateway.yaml)"
    return schema


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "config": config_schema,
    "mapping": mapping_schema,
}
