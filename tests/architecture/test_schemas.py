"""JSON Schemas for editors: printed by ``gateway schema``, shipped beside the files they
describe, and in step with the loaders (what the schema refuses by shape, the loader refuses too).

``GATEWAY_REGENERATE_DOCS=1`` rewrites the shipped schema files from the code."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from gateway.cli.root import app
from gateway.config import GatewayConfig
from gateway.mapping import check_mapping
from gateway.mapping.spec import DERIVE_KEYS, FIELD_KEYS, RULE_KEYS, TOP_KEYS
from gateway.schemas import SCHEMAS
from mappings import MAPPINGS_DIR
from tests.helpers.paths import ROOT

SHIPPED = {
    "mapping": MAPPINGS_DIR / "mapping.schema.json",
    "config": ROOT / "deploy" / "config.schema.json",
}
MAPPING_FILES = sorted(MAPPINGS_DIR.glob("*/*.yaml"))
CONFIG_FILES = [ROOT / "deploy" / "gateway.example.yaml"]
PERSONS = MAPPINGS_DIR / "labor_force" / "persons.yaml"


def validator(kind: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(SCHEMAS[kind]())


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_the_command_prints_a_valid_schema(kind: str) -> None:
    result = CliRunner().invoke(app, ["schema", kind])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == SCHEMAS[kind]()


@pytest.mark.parametrize("kind", sorted(SHIPPED))
def test_the_shipped_schema_files_are_the_generated_ones(kind: str) -> None:
    text = json.dumps(SCHEMAS[kind](), indent=2, ensure_ascii=False) + "\n"
    if os.environ.get("GATEWAY_REGENERATE_DOCS") == "1":
        SHIPPED[kind].write_text(text, encoding="utf-8")
    assert json.loads(SHIPPED[kind].read_text(encoding="utf-8")) == json.loads(text), (
        f"{SHIPPED[kind].name} is stale: "
        "GATEWAY_REGENERATE_DOCS=1 pytest tests/architecture/test_schemas.py"
    )


@pytest.mark.parametrize("path", MAPPING_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_mapping_validates_and_names_its_schema(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../mapping.schema.json"
    errors = [e.message for e in validator("mapping").iter_errors(yaml.safe_load(text))]
    assert errors == []


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: p.name)
def test_every_shipped_config_validates(path: Path) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [e.message for e in validator("config").iter_errors(document)] == []
    GatewayConfig.model_validate(document)


def test_the_schema_knows_every_key_the_reader_knows() -> None:
    schema = SCHEMAS["mapping"]()
    top = schema["properties"]
    field = top["fields"]["additionalProperties"]["anyOf"][1]["properties"]
    rule = top["rules"]["items"]["anyOf"][1]["properties"]
    assert set(top) == set(TOP_KEYS)
    assert set(field) == set(FIELD_KEYS)
    assert set(field["derive"]["properties"]) == set(DERIVE_KEYS)
    assert set(rule) == set(RULE_KEYS)


def _mutations() -> list[tuple[str, Any]]:
    def top_key(doc: dict[str, Any]) -> None:
        doc["colour"] = "blue"

    def field_key(doc: dict[str, Any]) -> None:
        doc["fields"]["id_number"]["sorce"] = "AAC002"

    def transform(doc: dict[str, Any]) -> None:
        doc["fields"]["id_number"]["transforms"] = ["trim", "uppercase_everything"]

    def validator_name(doc: dict[str, Any]) -> None:
        doc["fields"]["id_number"]["validators"] = ["resident_id_card"]

    def type_name(doc: dict[str, Any]) -> None:
        doc["fields"]["id_number"]["type"] = "text"

    def direction(doc: dict[str, Any]) -> None:
        doc["direction"] = "sideways"

    def pii(doc: dict[str, Any]) -> None:
        doc["fields"]["id_number"]["pii"] = "secretish"

    def missing_fields(doc: dict[str, Any]) -> None:
        del doc["fields"]

    def version(doc: dict[str, Any]) -> None:
        doc["version"] = 2

    return [
        (f.__name__, f)
        for f in (
            top_key,
            field_key,
            transform,
            validator_name,
            type_name,
            direction,
            pii,
            missing_fields,
            version,
        )
    ]


@pytest.mark.parametrize(("name", "mutate"), _mutations(), ids=[n for n, _ in _mutations()])
def test_what_the_schema_refuses_the_loader_refuses(name: str, mutate: Any, tmp_path: Path) -> None:
    document = copy.deepcopy(yaml.safe_load(PERSONS.read_text(encoding="utf-8")))
    mutate(document)
    assert list(validator("mapping").iter_errors(document)), f"schema accepted {name}"
    path = tmp_path / "persons.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    assert check_mapping(path), f"the loader accepted {name}"
