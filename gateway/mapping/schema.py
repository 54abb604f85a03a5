"""A JSON Schema of the mapping language, for editors and scripts.

Generated from the definitions the reader checks against (the key lists of :mod:`spec`, the
transform and validator registries with their parameters, the types and the personal-data
classes), so it cannot drift from what ``gateway mappings check`` accepts. It describes the
shape only: what needs the whole file (a derive's source field, a rule's expression, types
against validators) is still ``mappings check``'s to say.
"""

from __future__ import annotations

from typing import Any

from gateway.mapping.spec import (
    DIRECTIONS,
    EXTRA_FIELDS,
    LEVELS,
    ON_MISMATCH,
    PII_CLASSES,
    REQUIRED_TOP,
    SUPPORTED_VERSIONS,
)
from gateway.mapping.steps import Op, Param
from gateway.mapping.transforms import TRANSFORMS
from gateway.mapping.types import TYPES
from gateway.mapping.validators import VALIDATORS

SCHEMA_ID = "https://gateway.invalid/schemas/mapping.schema.json"
_TEXT: dict[str, Any] = {"type": ["string", "number", "boolean"]}
_CODES: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": _TEXT,
    "description": "code: value",
}
_PARAM_KINDS: dict[str, dict[str, Any]] = {
    "text": _TEXT,
    "int": {"type": ["integer", "string"]},
    "regex": {"type": "string", "format": "regex"},
    "texts": {"oneOf": [_TEXT, {"type": "array", "items": _TEXT}]},
    "value": {},
}


def _param(param: Param) -> dict[str, Any]:
    return dict(_PARAM_KINDS[param.kind])


def _step(op: Op) -> list[dict[str, Any]]:
    """The forms a step may be written in: ``name``, ``name(arg)``, ``{name: args}``."""
    doc = op.doc.strip().splitlines()[0] if op.doc.strip() else op.name
    forms: list[dict[str, Any]] = []
    if not any(p.required for p in op.params):
        forms.append({"const": op.name, "description": doc})
    if op.params:
        forms.append({"type": "string", "pattern": rf"^{op.name}\(.*\)$", "description": doc})
        named = {
            "type": "object",
            "properties": {p.name: _param(p) for p in op.params},
            "required": [p.name for p in op.params if p.required],
            "additionalProperties": False,
        }
        first = op.params[0]
        values: list[dict[str, Any]] = [named]
        if len(op.params) > 1 and any(p.required for p in op.params):
            values.append({"type": "array", "maxItems": len(op.params)})
        if first.required or len(op.params) == 1:
            values.append(_param(first))
        forms.append(
            {
                "type": "object",
                "properties": {op.name: {"anyOf": values}},
                "required": [op.name],
                "additionalProperties": False,
                "description": doc,
            }
        )
    return forms


def _steps(registry: dict[str, Any]) -> dict[str, Any]:
    one: dict[str, Any] = {"anyOf": [form for op in registry.values() for form in _step(op)]}
    return {"anyOf": [one, {"type": "array", "items": one}]}


def _text_or_texts() -> dict[str, Any]:
    return {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}


def mapping_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a mapping file."""
    field_props: dict[str, Any] = {
        "source": _text_or_texts(),
        "type": {"enum": list(TYPES)},
        "format": _text_or_texts(),
        "transforms": {"$ref": "#/$defs/transforms"},
        "validators": {"$ref": "#/$defs/validators"},
        "code_map": {"anyOf": [{"type": "string"}, _CODES]},
        "code_table": {"type": "string"},
        "required": {"type": "boolean"},
        "default": {},
        "pii": {"enum": list(PII_CLASSES)},
        "derive": {
            "type": "object",
            "properties": {
                "from": {"type": "string"},
                "part": {"type": "string"},
                "on_mismatch": {"enum": list(ON_MISMATCH)},
            },
            "required": ["from", "part"],
            "additionalProperties": False,
        },
        "description": {"type": "string"},
    }
    rule = {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {
                    "rule": {"type": "string"},
                    "name": {"type": "string"},
                    "level": {"enum": list(LEVELS)},
                },
                "required": ["rule"],
                "additionalProperties": False,
            },
        ]
    }
    top: dict[str, Any] = {
        "version": {"enum": list(SUPPORTED_VERSIONS)},
        "name": {"type": "string"},
        "direction": {"enum": list(DIRECTIONS)},
        "entity": {"type": "string", "description": "The canonical entity the records are."},
        "key": _text_or_texts(),
        "description": {"type": "string"},
        "timezone": {"type": "string"},
        "extra_fields": {"enum": list(EXTRA_FIELDS)},
        "code_tables": {"type": "object", "additionalProperties": _CODES},
        "code_maps": {"type": "object", "additionalProperties": _CODES},
        "fields": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", "description": "shorthand: copy one source field"},
                    {
                        "type": "object",
                        "properties": field_props,
                        "additionalProperties": False,
                    },
                ]
            },
        },
        "rules": {"type": "array", "items": rule},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "Gateway mapping file",
        "type": "object",
        "properties": top,
        "required": list(REQUIRED_TOP),
        "additionalProperties": False,
        "$defs": {"transforms": _steps(TRANSFORMS), "validators": _steps(VALIDATORS)},
    }
