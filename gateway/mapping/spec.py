"""Reading a mapping file into specs: every key, name and shape checked, every problem kept.

This is the first of two checking passes; it needs nothing but the file. ``plan.py`` then checks
what fields mean together (types against validators, derive sources, rules) and builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gateway.codes.tables import CodeTable, make_table
from gateway.mapping.formats import Pattern, compile_pattern
from gateway.mapping.steps import Step, parse_step
from gateway.mapping.transforms import TRANSFORMS
from gateway.mapping.types import TYPES
from gateway.mapping.validators import VALIDATORS
from gateway.mapping.yamlnodes import Node, Problem
from gateway.masking import PiiClass

SUPPORTED_VERSIONS = (1,)
DIRECTIONS = ("pull", "push")
TOP_KEYS = (
    "version",
    "name",
    "direction",
    "entity",
    "key",
    "description",
    "timezone",
    "extra_fields",
    "code_tables",
    "code_maps",
    "fields",
    "rules",
)
REQUIRED_TOP = ("version", "name", "direction", "entity", "key", "fields")
FIELD_KEYS = (
    "source",
    "type",
    "format",
    "transforms",
    "code_map",
    "code_table",
    "validators",
    "required",
    "default",
    "pii",
    "derive",
    "description",
)
DERIVE_KEYS = ("from", "part", "on_mismatch")
RULE_KEYS = ("rule", "name", "level")
EXTRA_FIELDS = ("ignore", "warn", "reject")
ON_MISMATCH = ("warn", "reject", "prefer_id")
LEVELS = ("error", "warning")
PII_CLASSES = tuple(p.value for p in PiiClass)


@dataclass
class DeriveSpec:
    source_field: str
    part: str
    on_mismatch: str
    node: Node


@dataclass
class RuleSpec:
    text: str
    name: str | None
    level: str
    node: Node


@dataclass
class FieldSpec:
    name: str
    node: Node
    sources: tuple[str, ...] = ()
    multi_source: bool = False
    type_name: str = "str"
    patterns: tuple[Pattern, ...] = ()
    places: int | None = None
    transforms: list[Step] = field(default_factory=list)
    code_map: dict[str, str] | None = None
    code_table: str | None = None
    code_table_node: Node | None = None
    validators: list[Step] = field(default_factory=list)
    required: bool = False
    default: Node | None = None
    pii: PiiClass | None = None
    derive: DeriveSpec | None = None
    description: str = ""


@dataclass
class MappingSpec:
    version: int = 1
    name: str = ""
    direction: str = "pull"
    entity: str = ""
    key: tuple[str, ...] = ()
    key_node: Node | None = None
    description: str = ""
    timezone: str = "Asia/Shanghai"
    timezone_node: Node | None = None
    extra_fields: str = "ignore"
    code_tables: dict[str, CodeTable] = field(default_factory=dict)
    code_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    rules: list[RuleSpec] = field(default_factory=list)


class _Reader:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems

    def fail(self, node: Node, message: str, allowed: str | None = None) -> None:
        self.problems.append(node.problem(message, allowed))

    def text(self, node: Node, what: str) -> str | None:
        if not node.is_scalar or node.value is None or isinstance(node.value, bool):
            self.fail(node, f"{what} must be a text value")
            return None
        return str(node.text)

    def choice(self, node: Node, what: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(node, what)
        if value is not None and value not in allowed:
            self.fail(node, f"{what} {value!r} is not allowed", ", ".join(allowed))
            return None
        return value

    def keys(self, node: Node, allowed: tuple[str, ...], what: str) -> bool:
        if not node.is_map:
            self.fail(node, f"{what} must be a mapping")
            return False
        for key in node.value:
            if key not in allowed:
                self.fail(node.keys[key], f"unknown key {key!r} in {what}", ", ".join(allowed))
        return True

    def codes(self, node: Node, what: str) -> dict[str, str] | None:
        if not node.is_map or not node.value:
            self.fail(node, f"{what} must be a non-empty mapping of code: value")
            return None
        result: dict[str, str] = {}
        for key, value in node.value.items():
            if not value.is_scalar or value.value is None:
                self.fail(value, f"{what}: the value for {key!r} must be a text value")
                continue
            result[key] = str(value.text)
        return result

    def read(self, root: Node) -> MappingSpec:
        spec = MappingSpec()
        if not self.keys(root, TOP_KEYS, "the mapping file"):
            return spec
        top: dict[str, Node] = root.value
        for key in REQUIRED_TOP:
            if key not in top:
                self.fail(root, f"missing required key {key!r}")
        if "version" in top:
            version = top["version"].value
            if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
                self.fail(top["version"], f"unsupported version {version!r}", "1")
        for attr in ("name", "entity", "description"):
            if attr in top:
                setattr(spec, attr, self.text(top[attr], attr) or "")
        if "direction" in top:
            spec.direction = self.choice(top["direction"], "direction", DIRECTIONS) or "pull"
        if "timezone" in top:
            spec.timezone = self.text(top["timezone"], "timezone") or spec.timezone
            spec.timezone_node = top["timezone"]
        if "extra_fields" in top:
            spec.extra_fields = (
                self.choice(top["extra_fields"], "extra_fields", EXTRA_FIELDS) or "ignore"
            )
        if "code_tables" in top:
            spec.code_tables = self.named(top["code_tables"], "code_tables", table=True)
        if "code_maps" in top:
            spec.code_maps = self.named(top["code_maps"], "code_maps", table=False)
        if "key" in top:
            spec.key, spec.key_node = self.key(top["key"]), top["key"]
        if "fields" in top:
            self.fields(top["fields"], spec)
        if "rules" in top:
            self.rules(top["rules"], spec)
        return spec

    def named(self, node: Node, what: str, *, table: bool) -> dict[str, Any]:
        if not node.is_map:
            self.fail(node, f"{what} must be a mapping of name: {{code: value}}")
            return {}
        result: dict[str, Any] = {}
        for name, body in node.value.items():
            codes = self.codes(body, f"{what}.{name}")
            if codes is not None:
                result[name] = make_table(name, codes, source="inline") if table else codes
        return result

    def key(self, node: Node) -> tuple[str, ...]:
        items = node.value if node.is_list else [node]
        names = tuple(n for n in (self.text(i, "a key field") for i in items) if n)
        if not names:
            self.fail(node, "key must name at least one output field")
        return names

    def fields(self, node: Node, spec: MappingSpec) -> None:
        if not node.is_map or not node.value:
            self.fail(node, "fields must be a non-empty mapping of output field: spec")
            return
        for name, body in node.value.items():
            if body.is_map and self.keys(body, FIELD_KEYS, f"field {name!r}"):
                spec.fields[name] = self.field(name, body, spec)
            elif body.is_scalar and isinstance(body.value, str):
                # Shorthand: ``name: SOURCE`` copies one source field as text.
                spec.fields[name] = FieldSpec(name, body, sources=(body.value,))
            else:
                self.fail(body, f"field {name!r} must be a mapping or a source name")

    def field(self, name: str, body: Node, spec: MappingSpec) -> FieldSpec:
        keys: dict[str, Node] = body.value
        fs = FieldSpec(name, body)
        if "source" in keys:
            self.source(keys["source"], fs)
        if "type" in keys:
            fs.type_name = self.choice(keys["type"], "type", TYPES) or "str"
        if "format" in keys:
            self.format(keys["format"], fs)
        if "transforms" in keys:
            fs.transforms = self.steps(keys["transforms"], TRANSFORMS, "transform")
        if "validators" in keys:
            fs.validators = self.steps(keys["validators"], VALIDATORS, "validator")
        if "code_map" in keys:
            fs.code_map = self.code_map(keys["code_map"], spec)
        if "code_table" in keys:
            fs.code_table = self.text(keys["code_table"], "code_table")
            fs.code_table_node = keys["code_table"]
        if "required" in keys:
            if not isinstance(keys["required"].value, bool):
                self.fail(keys["required"], "required must be true or false", "true, false")
            else:
                fs.required = keys["required"].value
        if "default" in keys:
            fs.default = keys["default"]
        if "pii" in keys:
            pii = self.choice(keys["pii"], "pii", PII_CLASSES)
            fs.pii = PiiClass(pii) if pii else None
        if "derive" in keys:
            fs.derive = self.derive(keys["derive"])
        if "description" in keys:
            fs.description = self.text(keys["description"], "description") or ""
        return fs

    def source(self, node: Node, fs: FieldSpec) -> None:
        if node.is_list:
            fs.multi_source = True
            names = [self.text(i, "a source") for i in node.value]
            fs.sources = tuple(n for n in names if n)
            if not fs.sources:
                self.fail(node, "source list is empty")
            return
        text = self.text(node, "source")
        if text:
            fs.sources = (text,)

    def format(self, node: Node, fs: FieldSpec) -> None:
        items = node.value if node.is_list else [node]
        patterns = []
        for item in items:
            text = self.text(item, "format")
            if text is None:
                continue
            if text.startswith("0"):
                fs.places = self.places(item, text)
                continue
            try:
                patterns.append(compile_pattern(text))
            except ValueError as exc:
                self.fail(item, f"format {text!r}: {exc}", "YYYY MM M DD D HH H mm m ss s SSS")
        fs.patterns = tuple(patterns)

    def places(self, node: Node, text: str) -> int | None:
        whole, _, fraction = text.partition(".")
        if whole != "0" or fraction.strip("0"):
            self.fail(node, f"decimal format {text!r} must look like 0, 0.0 or 0.00")
            return None
        return len(fraction)

    def steps(self, node: Node, registry: dict[str, Any], what: str) -> list[Step]:
        items = node.value if node.is_list else [node]
        steps = [parse_step(item, registry, what, self.problems) for item in items]
        return [s for s in steps if s is not None]

    def code_map(self, node: Node, spec: MappingSpec) -> dict[str, str] | None:
        if node.is_scalar and isinstance(node.value, str):
            found = spec.code_maps.get(node.value)
            if found is None:
                self.fail(node, f"no code map named {node.value!r}", ", ".join(spec.code_maps))
            return found
        return self.codes(node, "code_map")

    def derive(self, node: Node) -> DeriveSpec | None:
        if not self.keys(node, DERIVE_KEYS, "derive"):
            return None
        keys: dict[str, Node] = node.value
        if "from" not in keys or "part" not in keys:
            self.fail(node, "derive needs 'from' (a field) and 'part'")
            return None
        source = self.text(keys["from"], "derive.from")
        part = self.text(keys["part"], "derive.part")
        mismatch = "warn"
        if "on_mismatch" in keys:
            mismatch = self.choice(keys["on_mismatch"], "on_mismatch", ON_MISMATCH) or "warn"
        if source is None or part is None:
            return None
        return DeriveSpec(source, part, mismatch, node)

    def rules(self, node: Node, spec: MappingSpec) -> None:
        if not node.is_list:
            self.fail(node, "rules must be a list")
            return
        for item in node.value:
            if item.is_scalar and isinstance(item.value, str):
                spec.rules.append(RuleSpec(item.value, None, "error", item))
                continue
            if not self.keys(item, RULE_KEYS, "a rule"):
                continue
            keys: dict[str, Node] = item.value
            if "rule" not in keys:
                self.fail(item, "a rule needs 'rule' (the expression)")
                continue
            text = self.text(keys["rule"], "rule")
            name = self.text(keys["name"], "rule name") if "name" in keys else None
            level = self.choice(keys["level"], "level", LEVELS) if "level" in keys else "error"
            if text:
                spec.rules.append(RuleSpec(text, name, level or "error", keys["rule"]))


def read_spec(root: Node, problems: list[Problem]) -> MappingSpec:
    """Read the file's tree; every problem found is appended to ``problems``."""
    return _Reader(problems).read(root)
