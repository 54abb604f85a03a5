"""The second checking pass: what the fields mean together, built into ready-to-run parts.

Everything a record needs is decided here, once: each transform's function (wrapped to work
element by element on lists), the type codec, the code table, the validators, the typed
default, how a field is derived from the ID number, and the compiled record rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gateway.codes.idnumber import id_birth_date, id_gender, id_region
from gateway.codes.shipped import code_table as shipped_table
from gateway.errors import ConfigError
from gateway.mapping.rules import CompiledRule, FieldInfo, RuleError, compile_rule
from gateway.mapping.spec import FieldSpec, MappingSpec, RuleSpec
from gateway.mapping.steps import FieldReject, Step
from gateway.mapping.transforms import TransformOp, elementwise
from gateway.mapping.types import Codec, make_codec, typed_kind
from gateway.mapping.validators import Check, Context, ValidatorOp
from gateway.mapping.yamlnodes import Node, Problem
from gateway.masking import PiiClass

NO_DEFAULT = object()
# part → (the field type it fills, how to read it from a valid ID number)
DERIVE_PARTS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "birth_date": ("date", id_birth_date),
    "gender": ("str", id_gender),
    "region": ("str", id_region),
}
_PII_BY_VALIDATOR = {
    "resident_id": PiiClass.ID_NUMBER,
    "mobile": PiiClass.PHONE,
    "landline": PiiClass.PHONE,
    "phone": PiiClass.PHONE,
}


@dataclass(frozen=True)
class TransformPlan:
    """One transform ready to run; ``method`` names a ``str`` method the compiler may inline."""

    fn: Callable[[Any], Any]
    null_aware: bool
    may_return_none: bool
    method: str | None = None
    warning: tuple[str, str] | None = None


_INLINE_METHODS = {"trim": "strip", "upper": "upper", "lower": "lower"}


@dataclass
class DerivePlan:
    source_index: int
    part: str
    read: Callable[[str], Any]
    on_mismatch: str


@dataclass
class FieldPlan:
    spec: FieldSpec
    index: int
    pii: PiiClass
    list_valued: bool
    transforms: list[TransformPlan] = field(default_factory=list)
    code_map: Callable[[Any], Any] | None = None
    code_map_inline: dict[str, str] | None = None
    codec: Codec = field(default_factory=lambda: Codec(None, None))
    table: Callable[[Any], None] | None = None
    table_inline: tuple[frozenset[str], str] | None = None
    checks: list[Check] = field(default_factory=list)
    default: Any = NO_DEFAULT
    derive: DerivePlan | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def required(self) -> bool:
        return self.spec.required


@dataclass
class RulePlan:
    rule: CompiledRule
    spec: RuleSpec
    field_indexes: tuple[int, ...]


@dataclass
class Plan:
    spec: MappingSpec
    zone: ZoneInfo
    fields: list[FieldPlan]
    rules: list[RulePlan]
    key_indexes: tuple[int, ...]


def literal_parser(type_name: str, zone: ZoneInfo) -> Callable[[Any], Any]:
    """How a literal in the file (a range bound, a rule operand) becomes a value of the type."""

    def as_datetime(v: Any) -> datetime:
        moment = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        return moment.astimezone(zone).replace(tzinfo=None) if moment.tzinfo else moment

    def as_int(v: Any) -> int:
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ValueError("not a whole number")
        return int(v)

    def as_bool(v: Any) -> bool:
        if not isinstance(v, bool):
            raise ValueError("not true or false")
        return v

    parsers: dict[str, Callable[[Any], Any]] = {
        "int": as_int,
        "decimal": lambda v: Decimal(str(v)),
        "bool": as_bool,
        "date": lambda v: v if isinstance(v, date) else date.fromisoformat(str(v)),
        "datetime": as_datetime,
    }
    return parsers.get(type_name, str)


class _Planner:
    def __init__(self, spec: MappingSpec, problems: list[Problem]) -> None:
        self.spec = spec
        self.problems = problems
        self.zone = self._zone()
        self.index = {name: i for i, name in enumerate(spec.fields)}

    def fail(self, node: Node, message: str, allowed: str | None = None) -> None:
        self.problems.append(node.problem(message, allowed))

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.spec.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            if self.spec.timezone_node is not None:
                self.fail(self.spec.timezone_node, f"unknown time zone {self.spec.timezone!r}")
            return ZoneInfo("Asia/Shanghai")

    def plan(self) -> Plan:
        fields = [self.field(i, fs) for i, fs in enumerate(self.spec.fields.values())]
        _mark_quasi_identifiers(fields)
        for fp in fields:
            if fp.spec.derive is not None:
                fp.derive = self.derive(fp, fields)
        return Plan(self.spec, self.zone, fields, self.rules(fields), self.key(fields))

    def key(self, fields: list[FieldPlan]) -> tuple[int, ...]:
        indexes = []
        for name in self.spec.key:
            if name not in self.index:
                if self.spec.key_node is not None:
                    self.fail(
                        self.spec.key_node,
                        f"key field {name!r} is not a field",
                        ", ".join(self.spec.fields),
                    )
                continue
            fp = fields[self.index[name]]
            fp.spec.required = True  # a record without its key cannot be stored or sent
            if fp.list_valued:
                self.fail(fp.spec.node, f"key field {name!r} cannot be a list")
            indexes.append(fp.index)
        return tuple(indexes)

    def field(self, index: int, fs: FieldSpec) -> FieldPlan:
        kind = (
            "list"
            if fs.multi_source
            or (fs.type_name == "list" and not any(s.name == "split" for s in fs.transforms))
            else "str"
        )
        fp = FieldPlan(fs, index, fs.pii or self._pii(fs), fs.type_name == "list")
        fills = fs.default is not None or fs.derive is not None
        for step in fs.transforms:
            kind = self.transform(fp, step, kind)
            fills = fills or step.name in ("default", "constant")
        if not fs.sources and not fills:
            self.fail(fs.node, f"field {fs.name!r} needs a source (or a default, constant, derive)")
        if kind == "list" and fs.type_name != "list":
            self.fail(
                fs.node,
                f"field {fs.name!r} holds a list here: add join or coalesce, or declare type: list",
            )
        elif kind == "str" and fs.type_name == "list" and fs.transforms:
            self.fail(fs.node, f"field {fs.name!r} is type list but its value is text")
        if fs.code_map is not None:
            fp.code_map = _code_mapper(fs.code_map, fp.list_valued)
            fp.code_map_inline = None if fp.list_valued else dict(fs.code_map)
        self.codec(fp)
        self.table(fp)
        for step in fs.validators:
            self.validator(fp, step)
        if fs.default is not None:
            fp.default = self.default(fp, fs.default)
        return fp

    def _pii(self, fs: FieldSpec) -> PiiClass:
        for step in fs.validators:
            if step.name in _PII_BY_VALIDATOR:
                return _PII_BY_VALIDATOR[step.name]
        return PiiClass.NONE

    def transform(self, fp: FieldPlan, step: Step, kind: str) -> str:
        op = step.op
        assert isinstance(op, TransformOp)
        if op.takes == "list" and kind != "list":
            self.fail(step.node, f"transform {op.name!r} needs a list (several sources or split)")
            return "str"
        if op.name == "split" and kind == "list":
            self.fail(step.node, "split needs text, but the value is already a list")
            return kind
        try:
            fn = op.build(*step.args)
        except ValueError as exc:
            self.fail(step.node, f"transform {op.name!r}: {exc}")
            return kind
        method = _INLINE_METHODS.get(op.name)
        if op.takes == "str" and kind == "list" and op.gives != "list":
            fn, method = elementwise(fn), None
        fp.transforms.append(
            TransformPlan(fn, op.null_aware, op.name in ("nullif", "coalesce"), method, op.warning)
        )
        return kind if op.gives == "same" else op.gives

    def codec(self, fp: FieldPlan) -> None:
        fs = fp.spec
        if fs.patterns and fs.type_name not in ("date", "datetime"):
            self.fail(fs.node, f"field {fs.name!r}: a date format needs type date or datetime")
        if fs.places is not None and fs.type_name != "decimal":
            self.fail(fs.node, f"field {fs.name!r}: a decimal format needs type decimal")
        for pattern in fs.patterns:
            if fs.type_name == "date" and pattern.has_time:
                self.fail(fs.node, f"format {pattern.text!r} has a time but the type is date")
        fp.codec = make_codec(fs.type_name, self.spec.direction, fs.patterns, self.zone, fs.places)

    def table(self, fp: FieldPlan) -> None:
        fs = fp.spec
        if fs.code_table is None or fs.code_table_node is None:
            return
        table = self.spec.code_tables.get(fs.code_table)
        if table is None:
            try:
                table = shipped_table(fs.code_table)
            except ConfigError as exc:
                self.fail(
                    fs.code_table_node,
                    f"unknown code table {fs.code_table!r}",
                    str(exc.context.get("known", "")),
                )
                return
        codes = frozenset(table.codes)
        detail = f"not in code table {table.name}"

        def check(value: Any) -> None:
            if value not in codes:
                raise FieldReject("code_table", detail)

        fp.table = _each(check) if fp.list_valued else check
        if not fp.list_valued and fs.type_name == "str":
            fp.table_inline = (codes, detail)

    def validator(self, fp: FieldPlan, step: Step) -> None:
        op = step.op
        assert isinstance(op, ValidatorOp)
        type_name = fp.spec.type_name
        elementwise_ok = type_name == "list" and "list" in op.types
        if type_name not in op.types and not elementwise_ok:
            self.fail(
                step.node,
                f"validator {op.name!r} does not apply to type {type_name}",
                ", ".join(sorted(op.types)),
            )
            return
        ctx = Context(type_name, literal_parser(type_name, self.zone), self.zone)
        try:
            check = op.build(ctx, *step.args)
        except (ValueError, TypeError, ArithmeticError) as exc:
            self.fail(step.node, f"validator {op.name!r}: {exc}")
            return
        fp.checks.append(_each(check) if elementwise_ok else check)

    def default(self, fp: FieldPlan, node: Node) -> Any:
        raw: Any = [str(n.text) for n in node.value] if node.is_list else node.text
        if node.value is None:
            return NO_DEFAULT
        try:
            value = fp.code_map(raw) if fp.code_map else raw
            if fp.codec.parse is not None:
                value = fp.codec.parse(value)
            if fp.table is not None:
                fp.table(value)
            for check in fp.checks:
                check(value)
        except FieldReject as exc:
            self.fail(node, f"default for {fp.name!r} is invalid: {exc.rule}: {exc.detail}")
            return NO_DEFAULT
        return value

    def derive(self, fp: FieldPlan, fields: list[FieldPlan]) -> DerivePlan | None:
        spec = fp.spec.derive
        assert spec is not None
        if spec.part not in DERIVE_PARTS:
            self.fail(spec.node, f"cannot derive {spec.part!r}", ", ".join(DERIVE_PARTS))
            return None
        part_type, read = DERIVE_PARTS[spec.part]
        if fp.spec.type_name != part_type:
            self.fail(spec.node, f"derived {spec.part} needs type {part_type}")
            return None
        source = self.index.get(spec.source_field)
        if source is None or not any(
            s.name == "resident_id" for s in fields[source].spec.validators
        ):
            self.fail(
                spec.node,
                f"derive from {spec.source_field!r}: it must be a field with "
                "the resident_id validator",
            )
            return None
        return DerivePlan(
            source,
            spec.part,
            _memo_by_birth(read) if spec.part == "birth_date" else read,
            spec.on_mismatch,
        )

    def rules(self, fields: list[FieldPlan]) -> list[RulePlan]:
        infos = {
            fp.name: FieldInfo(
                typed_kind(fp.spec.type_name), literal_parser(fp.spec.type_name, self.zone)
            )
            for fp in fields
        }
        plans = []
        for rs in self.spec.rules:
            try:
                rule = compile_rule(rs.text, infos)
            except RuleError as exc:
                self.fail(rs.node, f"rule {rs.text!r}: {exc}")
                continue
            plans.append(RulePlan(rule, rs, tuple(self.index[n] for n in rule.fields)))
        return plans


def _memo_by_birth(read: Callable[[str], Any]) -> Callable[[str], Any]:
    # Birth dates repeat across millions of people: build each date object once.
    memo: dict[str, Any] = {}

    def cached(id_number: str) -> Any:
        found = memo.get(id_number[6:14])
        if found is None:
            found = memo[id_number[6:14]] = read(id_number)
        return found

    return cached


def _code_mapper(codes: dict[str, str], list_valued: bool) -> Callable[[Any], Any]:
    def translate(value: str) -> str:
        found = codes.get(value)
        if found is None:
            raise FieldReject("code_map", "value has no entry in code_map")
        return found

    return elementwise_strict(translate) if list_valued else translate


def elementwise_strict(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda values: [None if v is None else fn(v) for v in values]


def _each(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def each(values: list[Any]) -> Any:
        found: list[Any] = []
        for value in values:
            found.extend(check(value) or ())
        return tuple(found) or None

    return each


# What a field derived from an ID number holds of it: the parts its mask hides.
_PII_BY_PART = {"birth_date": PiiClass.BIRTH_DATE, "region": PiiClass.REGION}


def _mark_quasi_identifiers(fields: list[FieldPlan]) -> None:
    """Birth dates and region codes of a record that holds an ID number are masked too.

    Shown beside a masked ID number they would give back the digits the mask hides; a region
    code in a record without an ID number (an enterprise's) stays visible.
    """
    if not any(fp.pii is PiiClass.ID_NUMBER for fp in fields):
        return
    for fp in fields:
        if fp.pii is not PiiClass.NONE:
            continue
        derive = fp.spec.derive
        if derive is not None and derive.part in _PII_BY_PART:
            fp.pii = _PII_BY_PART[derive.part]
        elif fp.spec.type_name == "date" and "birth" in fp.name.lower():
            fp.pii = PiiClass.BIRTH_DATE
        elif any(step.name == "region" for step in fp.spec.validators):
            fp.pii = PiiClass.REGION


def build_plan(spec: MappingSpec, problems: list[Problem]) -> Plan:
    """Check what the fields mean together and build them; problems are appended."""
    return _Planner(spec, problems).plan()
