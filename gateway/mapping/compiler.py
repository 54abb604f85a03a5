"""Turns a checked plan into one Python function per mapping, compiled once.

The function is straight-line code: per field, fetch, coerce, transform, translate, parse,
check; then derive, rules, output. Every step is a call to a function built by ``plan.py`` and
bound in the function's namespace, so the generated text holds no value from the file — only
indices — and nothing the file says can become code. A failed step raises ``FieldReject``,
which costs nothing on the happy path; anything unexpected is caught at the top, so the
function never raises.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gateway.mapping.plan import NO_DEFAULT, FieldPlan, Plan, RulePlan
from gateway.mapping.result import ERROR, WARNING, FieldIssue, MapResult
from gateway.mapping.steps import FieldReject
from gateway.masking import MASKERS, PiiClass, scrub_text

FAIL = object()
RECORD = "(record)"
_MAX_SHOWN = 64
_CODE_TAIL = 4


def mask_value(value: Any, pii: PiiClass) -> str | None:
    """A value as it may appear in an issue: masked for its class, scrubbed, kept short."""
    if value is None or value is FAIL:
        return None
    text = value if isinstance(value, str) else repr(value)
    shown = scrub_text(text) if pii is PiiClass.NONE else MASKERS[pii](text)
    return shown if len(shown) <= _MAX_SHOWN else shown[:_MAX_SHOWN] + "…"


def coerce_scalar(value: Any) -> str:
    """Any JSON scalar (or a date from a spreadsheet) as text; containers are refused."""
    cls = value.__class__
    if cls is bool:
        return "true" if value else "false"
    if cls is int or cls is Decimal:
        return str(value)
    if cls is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise FieldReject("type", "not a finite number")
        return repr(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    raise FieldReject("type", f"expected a single value, got {type(value).__name__}")


def coerce_list(value: Any) -> list[str | None]:
    items = value if isinstance(value, list | tuple) else [value]
    return [None if v is None else coerce_scalar(v) for v in items]


def path_getter(source: str) -> Callable[[dict[str, Any]], Any]:
    """``a.b.0.c``: the exact key first (CSV headers may contain dots), then the nested path."""
    parts = source.split(".")

    def get(raw: dict[str, Any]) -> Any:
        found = raw.get(source)
        if found is not None or len(parts) == 1:
            return found
        current: Any = raw
        for part in parts:
            if isinstance(current, dict):
                current = current.get(part)
            elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
                current = current[int(part)]
            else:
                return None
        return current

    return get


class _Emitter:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.ns: dict[str, Any] = {
            "_FAIL": FAIL,
            "_Reject": FieldReject,
            "_Result": MapResult,
            "_coerce": coerce_scalar,
            "_coerce_list": coerce_list,
            "_isdict": isinstance,
            "_dict": dict,
        }
        self.lines: list[str] = []

    def bind(self, name: str, value: Any) -> str:
        self.ns[name] = value
        return name

    def emit(self, line: str, depth: int = 1) -> None:
        self.lines.append("    " * depth + line)

    def source(self) -> str:
        self.emit("def _map(raw):", 0)
        self.emit("try:")
        self.emit("if not _isdict(raw, _dict):", 2)
        self.emit("return _not_a_record(raw)", 3)
        self.emit("errors = []", 2)
        self.emit("warnings = []", 2)
        for fp in self.plan.fields:
            self.field(fp)
        for fp in self.plan.fields:
            if fp.derive is not None:
                self.derive(fp)
        for number, rule in enumerate(self.plan.rules):
            self.bind(f"_rule{number}", _rule_runner(rule, self.plan))
            args = "".join(f", f{i}" for i in rule.field_indexes)
            self.emit(f"_rule{number}(errors, warnings{args})", 2)
        if self.plan.spec.extra_fields != "ignore":
            self.bind("_extra", _extra_checker(self.plan))
            self.emit("_extra(raw, errors, warnings)", 2)
        self.output()
        self.emit("except Exception as exc:")
        self.emit("return _internal(exc)", 2)
        self.ns["_not_a_record"] = _not_a_record
        self.ns["_internal"] = _internal
        return "\n".join(self.lines) + "\n"

    def field(self, fp: FieldPlan) -> None:
        i, fs = fp.index, fp.spec
        listy = fs.multi_source or (
            fp.list_valued and not any(s.name == "split" for s in fs.transforms)
        )
        self.emit(f"# field {i}", 2)
        self.emit("v = None", 2)
        self.emit("try:", 2)
        if fs.multi_source:
            getters = [path_getter(s) for s in fs.sources]
            self.bind(f"_g{i}", lambda raw, gs=getters: [g(raw) for g in gs])
            self.emit(f"v = _coerce_list(_g{i}(raw))", 3)
        else:
            if not fs.sources:
                self.emit("v = None", 3)
            elif "." in fs.sources[0]:
                self.bind(f"_g{i}", path_getter(fs.sources[0]))
                self.emit(f"v = _g{i}(raw)", 3)
            else:
                self.bind(f"_s{i}", fs.sources[0])
                self.emit(f"v = raw.get(_s{i})", 3)
            if listy:
                self.emit("if v is not None:", 3)
                self.emit("v = _coerce_list(v)", 4)
            else:
                self.emit("if v is not None and v.__class__ is not str:", 3)
                self.emit("v = _coerce(v)", 4)
        guarded = False
        for n, step in enumerate(fp.transforms):
            call = f"v.{step.method}()" if step.method else f"{self.bind(f'_t{i}_{n}', step.fn)}(v)"
            if step.warning is not None:
                call = (
                    f"{self.bind(f'_t{i}_{n}', _changer(fp, step.fn, step.warning))}(v, warnings)"
                )
            if step.null_aware:
                self.emit(f"v = {call}", 3)
                guarded = False
                continue
            if not guarded:
                self.emit("if v is not None:", 3)
                guarded = True
            self.emit(f"v = {call}", 4)
            # Consecutive text transforms share one guard unless one may answer None.
            guarded = not step.may_return_none
        self.emit("if not v or not any(v):" if fp.list_valued else "if not v:", 3)
        self.missing(fp)
        self.emit("else:", 3)
        self.present(fp)
        self.emit(f"f{i} = v", 3)
        self.emit("except _Reject as exc:", 2)
        self.bind(f"_fail{i}", _failer(fp))
        self.emit(f"f{i} = _fail{i}(errors, exc, v)", 3)

    def derive(self, fp: FieldPlan) -> None:
        derive = fp.derive
        assert derive is not None
        i, src = fp.index, derive.source_index
        self.bind(f"_rd{i}", derive.read)
        self.bind(f"_mm{i}", _mismatch(fp, self.plan))
        # The source field holds text only when its ID number passed every check.
        self.emit(f"if f{src}.__class__ is str and f{i} is not _FAIL:", 2)
        self.emit(f"d = _rd{i}(f{src})", 3)
        self.emit(f"if f{i} is None:", 3)
        self.emit(f"f{i} = d", 4)
        self.emit(f"elif f{i} != d:", 3)
        self.emit(f"f{i} = _mm{i}(f{i}, d, errors, warnings)", 4)
        if fp.default is not NO_DEFAULT:
            self.bind(f"_d{i}", fp.default)
            self.emit(f"elif f{i} is None:", 2)
            self.emit(f"f{i} = _d{i}", 3)
        elif fp.required:
            self.bind(f"_n{i}", fp.name)
            self.emit(f"elif f{i} is None:", 2)
            self.emit(f'errors.append(_Issue(_n{i}, "required", None, "missing or empty"))', 3)
            self.emit(f"f{i} = _FAIL", 3)
        self.ns["_Issue"] = FieldIssue

    def missing(self, fp: FieldPlan) -> None:
        if fp.spec.derive is not None:
            self.emit("v = None", 4)  # filled from the ID number, or by default, after all fields
        elif fp.default is not NO_DEFAULT:
            self.bind(f"_d{fp.index}", fp.default)
            self.emit(f"v = _d{fp.index}", 4)
        elif fp.required:
            self.emit('raise _Reject("required", "missing or empty")', 4)
        else:
            self.emit("v = None", 4)

    def present(self, fp: FieldPlan) -> None:
        i = fp.index
        emitted = False
        if fp.code_map_inline is not None:
            self.bind(f"_cm{i}", fp.code_map_inline)
            self.emit(f"m = _cm{i}.get(v)", 4)
            self.emit("if m is None:", 4)
            self.emit('raise _Reject("code_map", "value has no entry in code_map")', 5)
            self.emit("v = m", 4)
            emitted = True
        elif fp.code_map is not None:
            self.bind(f"_cm{i}", fp.code_map)
            self.emit(f"v = _cm{i}(v)", 4)
            emitted = True
        if fp.codec.parse is not None:
            self.bind(f"_p{i}", fp.codec.parse)
            self.emit(f"v = _p{i}(v)", 4)
            emitted = True
        if fp.table_inline is not None:
            codes, detail = fp.table_inline
            self.bind(f"_tb{i}", codes)
            self.bind(f"_tbd{i}", detail)
            self.emit(f"if v not in _tb{i}:", 4)
            self.emit(f'raise _Reject("code_table", _tbd{i})', 5)
            emitted = True
        elif fp.table is not None:
            self.bind(f"_tb{i}", fp.table)
            self.emit(f"_tb{i}(v)", 4)
            emitted = True
        if fp.checks:
            self.bind(f"_w{i}", _warner(fp))
        for n, check in enumerate(fp.checks):
            self.bind(f"_c{i}_{n}", check)
            self.emit(f"w = _c{i}_{n}(v)", 4)
            self.emit("if w:", 4)
            self.emit(f"_w{i}(warnings, w, v)", 5)
            emitted = True
        if not emitted:
            self.emit("pass", 4)

    def output(self) -> None:
        parts = []
        for fp in self.plan.fields:
            self.bind(f"_n{fp.index}", fp.name)
            value = f"f{fp.index}"
            if fp.codec.serialize is not None:
                self.bind(f"_ser{fp.index}", fp.codec.serialize)
                value = f"(None if f{fp.index} is None else _ser{fp.index}(f{fp.index}))"
            parts.append(f"_n{fp.index}: {value}")
        keys = self.plan.key_indexes
        # A record key is text, whatever its field's type: a lone text field is its own key.
        if len(keys) == 1 and self.plan.fields[keys[0]].spec.type_name == "str":
            self.emit(f"key = None if f{keys[0]} is _FAIL else f{keys[0]}", 2)
        else:
            self.bind("_key", _key_maker(self.plan))
            self.emit(f"key = _key({', '.join(f'f{i}' for i in keys)})", 2)
        self.emit("if errors:", 2)
        self.emit("return _Result(None, key, errors, warnings)", 3)
        self.emit("return _Result({" + ", ".join(parts) + "}, key, errors, warnings)", 2)


def _failer(fp: FieldPlan) -> Callable[[list[FieldIssue], FieldReject, Any], Any]:
    name, pii = fp.name, fp.pii

    def fail(errors: list[FieldIssue], exc: FieldReject, value: Any) -> Any:
        shown = None if exc.rule == "required" else mask_value(value, pii)
        errors.append(FieldIssue(name, exc.rule, shown, exc.detail))
        return FAIL

    return fail


def _warner(fp: FieldPlan) -> Callable[[list[FieldIssue], Any, Any], None]:
    name, pii = fp.name, fp.pii

    def warn(warnings: list[FieldIssue], found: Any, value: Any) -> None:
        shown = mask_value(value, pii)
        warnings.extend(
            FieldIssue(name, rule, shown, detail, level) for rule, detail, level in found
        )

    return warn


def _changer(
    fp: FieldPlan, fn: Callable[[Any], Any], warning: tuple[str, str]
) -> Callable[[Any, list[FieldIssue]], Any]:
    """A transform that warns when it changes the value (the value shown is the one read)."""
    name, pii = fp.name, fp.pii
    rule, detail = warning

    def change(value: Any, warnings: list[FieldIssue]) -> Any:
        result = fn(value)
        if result != value:
            warnings.append(FieldIssue(name, rule, mask_value(value, pii), detail, WARNING))
        return result

    return change


def _mismatch(fp: FieldPlan, plan: Plan) -> Callable[..., Any]:
    """What happens when a field and the value derived from the ID number differ."""
    derive = fp.derive
    assert derive is not None
    name, pii, part, on_mismatch = fp.name, fp.pii, derive.part, derive.on_mismatch
    detail = f"does not match the {part} in {plan.fields[derive.source_index].name}"

    def mismatch(
        value: Any, derived: Any, errors: list[FieldIssue], warnings: list[FieldIssue]
    ) -> Any:
        if part == "gender" and value in ("0", "9"):
            return derived if on_mismatch == "prefer_id" else value  # unknown/unstated: no clash
        shown = mask_value(_shown(value), pii)
        if on_mismatch == "reject":
            errors.append(FieldIssue(name, "derive_mismatch", shown, detail))
            return FAIL
        warnings.append(FieldIssue(name, "derive_mismatch", shown, detail, WARNING))
        return derived if on_mismatch == "prefer_id" else value

    return mismatch


def _shown(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _rule_runner(rule: RulePlan, plan: Plan) -> Callable[..., None]:
    names = rule.rule.fields
    evaluate = rule.rule.evaluate
    level = rule.spec.level
    field_name = rule.spec.name or (names[0] if names else RECORD)
    detail = f"rule failed: {rule.rule.text}"

    def run(errors: list[FieldIssue], warnings: list[FieldIssue], *values: Any) -> None:
        record = {n: (None if v is FAIL else v) for n, v in zip(names, values, strict=True)}
        if evaluate(record) is False:
            target = errors if level == "error" else warnings
            target.append(FieldIssue(field_name, "rule", None, detail, level))

    return run


def _extra_checker(
    plan: Plan,
) -> Callable[[dict[str, Any], list[FieldIssue], list[FieldIssue]], None]:
    known = frozenset(s.split(".")[0] for fp in plan.fields for s in fp.spec.sources) | frozenset(
        s for fp in plan.fields for s in fp.spec.sources
    )
    reject = plan.spec.extra_fields == "reject"

    def check(raw: dict[str, Any], errors: list[FieldIssue], warnings: list[FieldIssue]) -> None:
        for name in raw.keys() - known:
            issue = FieldIssue(
                scrub_text(str(name)),
                "extra_field",
                None,
                "not read by this mapping",
                ERROR if reject else WARNING,
            )
            (errors if reject else warnings).append(issue)

    return check


def _key_maker(plan: Plan) -> Callable[..., str | None]:
    serializers = [plan.fields[i].codec.serialize for i in plan.key_indexes]

    def make(*values: Any) -> str | None:
        parts = []
        for value, serialize in zip(values, serializers, strict=True):
            if value is None or value is FAIL:
                return None
            parts.append(str(serialize(value) if serialize is not None else value))
        return "|".join(parts)

    return make


def _not_a_record(raw: Any) -> MapResult:
    issue = FieldIssue(RECORD, "type", None, f"expected an object, got {type(raw).__name__}")
    return MapResult(None, None, [issue], [])


def _internal(exc: Exception) -> MapResult:
    # The exception's text could quote a value; only its type is safe to report.
    issue = FieldIssue(RECORD, "internal", None, f"unexpected {type(exc).__name__}")
    return MapResult(None, None, [issue], [])


def compile_plan(plan: Plan) -> tuple[Callable[[Any], MapResult], str]:
    """The record function and its source text (shown by ``gateway mappings explain --source``)."""
    emitter = _Emitter(plan)
    text = emitter.source()
    code = compile(text, f"<mapping {plan.spec.name}>", "exec")
    exec(code, emitter.ns)  # noqa: S102 - our own generated text; file values stay in the namespace
    function: Callable[[Any], MapResult] = emitter.ns["_map"]
    return function, text
