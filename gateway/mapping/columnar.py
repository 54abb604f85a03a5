"""The columnar engine: a checked plan compiled onto Polars expressions over a whole page.

The row engine (:mod:`gateway.mapping.compiler`) stays the definition of what a mapping does.
This engine computes, for every record of a page at once, the canonical record *and* whether
the record is *plain*: every step's vectorised form is exact for it and it passes every check
without an error or a warning. A plain record's canonical JSON and key come from the vectorised
expressions; every other record (a reject, a warning, input a vectorised form cannot treat
exactly, such as a number where text was expected) is mapped again by the row engine, so its
issues are the row engine's own. A step without a vectorised form makes the whole mapping use
the row engine; :func:`compile_columnar` says which step (decision 0017).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import pairwise
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import polars as pl

from gateway.codes import regions
from gateway.codes.regions import RESIDENCE_PERMIT_REGIONS
from gateway.codes.uscc import CATEGORIES, USCC_ALPHABET
from gateway.mapping.compiler import mask_value
from gateway.mapping.formats import TOKENS, Pattern
from gateway.mapping.plan import NO_DEFAULT, FieldPlan, Plan, RulePlan, literal_parser
from gateway.mapping.result import FieldIssue, MappedPage, MapResult
from gateway.mapping.rules import WORDS
from gateway.mapping.validators import id_warning

# Every character str.isspace() accepts: what str.strip() and str.split() treat as space
# (a test holds this to the running Python's own answer).
PY_SPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACE_CLASS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in PY_SPACE) + "]"
_ASCII = r"^[\x00-\x7f]*$"
_FULLWIDTH = {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)} | {"\u3000": " "}
_ID_FORMAT = r"^[0-9]{17}[0-9X]$"
_MOBILE = r"^1[3-9][0-9]{9}$"
_EXCEL_ASCII = r"^[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+$"
_USCC_SHAPE = "^[1-9ANY][0-9A-HJ-NPQRTUW-Y][0-9]{6}[0-9A-HJ-NPQRTUW-Y]{10}$"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_DIGITS = {"YYYY": 4, "MM": 2, "DD": 2, "HH": 2, "mm": 2, "ss": 2, "M": -2, "D": -2, "H": -2}
_DIGITS |= {"m": -2, "s": -2}
_SAFE_REGEX = re.compile(r"[^\\()]|\\[^A-Za-z0-9]|\((?!\?)")


class Unsupported(Exception):
    """A step of the mapping has no vectorised form; the message names it."""


@dataclass
class _Field:
    """One field's expressions: the typed value, whether it is plain, and its output."""

    value: pl.Expr
    plain: pl.Expr
    output: pl.Expr


def _lit_str(value: str) -> pl.Expr:
    return pl.lit(value, dtype=pl.String)


def _among(values: Sequence[str]) -> pl.Expr:
    """A set of texts for ``is_in``, hashed once per evaluation."""
    return pl.lit(pl.Series(values, dtype=pl.String)).implode()


def _member(v: pl.Expr, values: Sequence[str]) -> pl.Expr:
    """Whether the text is one of ``values`` (null for null): a cast to an enumeration of
    them, which costs no hash table per page as ``is_in`` does."""
    return v.cast(pl.Enum(sorted(set(values))), strict=False).is_not_null()


def _all_of(exprs: Sequence[pl.Expr]) -> pl.Expr:
    return pl.all_horizontal(exprs) if exprs else pl.lit(True)


def _ok(cond: pl.Expr) -> pl.Expr:
    """A check on a value that may be missing: a missing value passes (others check it)."""
    return cond.fill_null(True)


def _rust_literal(text: str) -> str:
    return "".join(c if c.isalnum() or ord(c) > 127 else "\\" + c for c in text)


def _safe_regex(pattern: str) -> str:
    """A Python pattern Rust's regex reads the same way, or :class:`Unsupported`.

    Only literals, escaped punctuation, classes, quantifiers, alternation and plain groups:
    no ``\\d``/``\\s``/``\\w`` (their Unicode tables differ), no ``(?…)`` constructs, no
    anchors (Python's ``$`` also matches before a final line break) and no ``{,n}``."""
    unsafe = ("[:", "$", "{,")
    anchored = re.search(r"(?<!\[)\^", pattern) is not None
    if (
        "".join(_SAFE_REGEX.findall(pattern)) != pattern
        or anchored
        or any(u in pattern for u in unsafe)
    ):
        raise Unsupported(f"regular expression {pattern!r}")
    return f"^(?:{pattern})$"


class _Compiler:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.today = date.today()
        self.sources: dict[str, str] = {}
        self.fields: dict[int, _Field] = {}
        self.steps: list[list[pl.Expr]] = []  # the n-th transform of every field
        self.parsed: list[pl.Expr] = []
        self.warnings: dict[int, pl.Expr] = {}  # informational warnings, by field
        # Datetimes are written with the zone's offset: plain where it can no longer change.
        self.offsets: list[pl.Expr] = []

    def column(self, source: str) -> pl.Expr:
        if source not in self.sources:
            self.sources[source] = f"s{len(self.sources)}"
        return pl.col(self.sources[source])

    def compile(self) -> None:
        plan = self.plan
        for fp in plan.fields:
            if fp.list_valued or fp.spec.multi_source:
                raise Unsupported(f"field {fp.name!r}: list values")
            if any("." in s for s in fp.spec.sources):
                raise Unsupported(f"field {fp.name!r}: nested source path")
            self.fields[fp.index] = self.field(fp)
        self.derived = {fp.index: self.derive(fp) for fp in plan.fields if fp.derive is not None}
        self.rule_checks = [self.rule(rp) for rp in plan.rules]

    # --- one field -------------------------------------------------------------------------

    def field(self, fp: FieldPlan) -> _Field:
        """Each transform's result, then the parsed value, is a column of its own: a value
        several checks read is computed once."""
        fs, i = fp.spec, fp.index
        value: pl.Expr = self.column(fs.sources[0]) if fs.sources else pl.lit(None, pl.String)
        plain: list[pl.Expr] = []
        for n, step in enumerate(fs.transforms):
            if len(self.steps) <= n:
                self.steps.append([])
            result = self.transform(step.name, step.args, value, plain)
            self.steps[n].append(result.alias(f"t{i}_{n}"))
            value = pl.col(f"t{i}_{n}")
        missing = value.is_null() | (value == "")
        parsed = self.parse(fp, value)
        typed = value
        if parsed is not value:  # text without a code map is its own typed value
            self.parsed.append(parsed.alias(f"p{i}"))
            typed = pl.col(f"p{i}")
        checks = [typed.is_not_null(), *self.checks(fp, typed)]
        plain += [_ok(missing | c) for c in checks]
        if fs.derive is not None:
            typed = pl.when(~missing).then(typed)  # filled from the ID number after all fields
        elif fp.default is not NO_DEFAULT:
            typed = pl.when(missing).then(self.literal(fp, fp.default)).otherwise(typed)
        else:
            if fp.required:
                plain.append(~missing)
            typed = pl.when(~missing).then(typed)
        return _Field(typed, _all_of(plain), self.serialize(fp))

    def transform(
        self, name: str, args: tuple[Any, ...], v: pl.Expr, plain: list[pl.Expr]
    ) -> pl.Expr:
        ascii_only = v.str.contains(_ASCII)
        if name == "trim":
            return v.str.strip_chars(PY_SPACE)
        if name in ("upper", "lower"):
            plain.append(_ok(ascii_only))  # Unicode case rules differ between engines
            return v.str.to_uppercase() if name == "upper" else v.str.to_lowercase()
        if name == "fullwidth_to_halfwidth":
            return v.str.replace_many(_FULLWIDTH)
        if name == "strip_spaces":
            return v.str.replace_all(_SPACE_CLASS + "+", "")
        if name == "collapse_spaces":
            return v.str.replace_all(_SPACE_CLASS + "+", " ").str.strip_chars(" ")
        if name == "phone":
            plain.append(_ok(v.str.contains(_MOBILE)))  # a mobile number stays as it is
            return v
        if name == "id_number":
            plain.append(_ok(ascii_only))
            untouched = v.str.contains(_EXCEL_ASCII) | (
                v.str.contains("^[0-9A-Za-z]*$") & ~v.str.contains("x", literal=True)
            )
            cleaned = v.str.replace_many({" ": "", "\t": "", "-": "", ".": "", "x": "X"})
            return pl.when(untouched).then(v).otherwise(cleaned)
        if name == "uscc":
            plain.append(_ok(ascii_only))
            return v.str.replace_many({" ": "", "\t": ""}).str.to_uppercase()
        if name == "upgrade_id15":
            plain.append(_ok(~v.str.contains("^[0-9]{15}$")))  # upgraded with a warning
            return v
        if name == "number":
            noise = dict.fromkeys(",，\u00a0 _¥￥元", "")
            table = {c: ("" if h in noise else h) for c, h in _FULLWIDTH.items()} | noise
            cleaned = v.str.replace_many(table)
            plain.append(_ok(~cleaned.str.ends_with("%")))
            return cleaned
        if name == "default":
            return pl.when(v.is_null() | (v == "")).then(_lit_str(args[0])).otherwise(v)
        if name == "constant":
            return _lit_str(args[0])
        if name == "nullif":
            placeholder = v.is_in(_among(list(args[0])))
            return pl.when(placeholder).then(pl.lit(None, pl.String)).otherwise(v)
        if name == "replace":
            return v.str.replace_all(args[0], args[1], literal=True)
        if name == "remove":
            return v.str.replace_many(dict.fromkeys(args[0], ""))
        if name == "prefix":
            return _lit_str(args[0]) + v
        if name == "suffix":
            return v + _lit_str(args[0])
        if name == "zfill":
            plain.append(_ok(ascii_only))
            return v.str.zfill(args[0])
        if name == "slice" and args[0] >= 0 and (args[1] is None or args[1] >= 0):
            start, end = args
            return v.str.slice(start, None if end is None else max(end - start, 0))
        raise Unsupported(f"transform {name!r}")

    def checks(self, fp: FieldPlan, typed: pl.Expr) -> list[pl.Expr]:
        """What keeps a value that is there plain, beyond being read: table, validators."""
        checks: list[pl.Expr] = []
        if fp.spec.code_table is not None:
            if fp.table_inline is None:
                raise Unsupported(f"field {fp.name!r}: code table on type {fp.spec.type_name}")
            checks.append(_member(typed, list(fp.table_inline[0])))
        for step in fp.spec.validators:
            checks.append(self.validator(fp, step.name, step.args, typed))
        return checks

    def parse(self, fp: FieldPlan, v: pl.Expr) -> pl.Expr:
        """The typed value: translated by the code map and read as the type; null where
        either refuses it (the row engine gives an issue then)."""
        if fp.spec.code_map is not None:
            assert fp.code_map_inline is not None
            v = _translate(v, fp.code_map_inline)
        type_name = fp.spec.type_name
        if type_name == "str":
            return v
        if type_name == "int":
            return pl.when(v.str.contains("^[0-9]{1,18}$")).then(v.str.to_integer(strict=False))
        if type_name in ("date", "datetime"):
            if self.plan.spec.direction != "pull":
                raise Unsupported(f"field {fp.name!r}: {type_name} in a push mapping")
            patterns = fp.spec.patterns
            if not patterns:
                raise Unsupported(f"field {fp.name!r}: {type_name} without a format")
            with_time = type_name == "datetime"
            fixed = _fixed_format(patterns, with_time)
            if fixed is not None:
                return _fixed_parse(v, fixed, with_time)
            iso = self.iso_text(patterns, v, with_time)
            if type_name == "date":
                return iso.str.to_date("%Y-%m-%d", strict=False)
            return iso.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
        raise Unsupported(f"field {fp.name!r}: type {type_name}")

    def iso_text(self, patterns: tuple[Pattern, ...], v: pl.Expr, with_time: bool) -> pl.Expr:
        """``YYYY-MM-DD[ HH:MM:SS]`` of a value the first fitting pattern reads as a real
        date (and time); null otherwise, as the row engine's reader refuses it then."""
        chain: Any = None
        for pattern in patterns:
            regex, offset = "", 0
            parts: dict[str, tuple[int, int, int]] = {}
            for token in _tokens(pattern.text):
                width = _DIGITS.get(token)
                if token in ("SSS", "SSSSSS"):
                    raise Unsupported(f"format {pattern.text!r}: fractions of a second")
                if width is None:
                    regex += _rust_literal(token)
                    offset = offset + len(token) if offset >= 0 else offset
                    continue
                regex += f"([0-9]{{{width}}})" if width > 0 else "([0-9]{1,2})"
                parts[token] = (len(parts) + 1, offset if width > 0 else -1, abs(width))
                offset = offset + width if width > 0 and offset >= 0 else -1
            shape = f"^{regex}$"
            # Fixed-width parts are sliced; one- or two-digit ones need the regex's groups.
            groups = {
                token: v.str.slice(at, width) if at >= 0 else v.str.extract(shape, group)
                for token, (group, at, width) in parts.items()
            }
            matched = v.str.contains(shape)
            iso = self.assemble(groups, with_time)
            chain = (pl.when(matched) if chain is None else chain.when(matched)).then(iso)
        iso_text: pl.Expr = chain.otherwise(pl.lit(None, pl.String))
        return iso_text

    @staticmethod
    def assemble(groups: dict[str, pl.Expr], with_time: bool) -> pl.Expr:
        def part(names: tuple[str, ...], width: int) -> pl.Expr:
            found = next((groups[n] for n in names if n in groups), None)
            return (found if found is not None else _lit_str("0")).str.zfill(width)

        year, month, day = part(("YYYY",), 4), part(("MM", "M"), 2), part(("DD", "D"), 2)
        text = pl.concat_str([year, _lit_str("-"), month, _lit_str("-"), day])
        valid = (year != "0000") & _real_date(text, "%Y-%m-%d")
        if with_time:
            hour, minute = part(("HH", "H"), 2), part(("mm", "m"), 2)
            second = part(("ss", "s"), 2)
            valid = valid & (hour < "24") & (minute < "60") & (second < "60")
            sep = _lit_str(":")
            text = pl.concat_str([text, _lit_str(" "), hour, sep, minute, sep, second])
        return pl.when(valid).then(text)

    def validator(self, fp: FieldPlan, name: str, args: tuple[Any, ...], v: pl.Expr) -> pl.Expr:
        if name == "resident_id":
            plain, warning = self.resident_id(v)
            self.warnings[fp.index] = warning
            return plain
        if name == "uscc":
            return _uscc_plain(v)
        if name == "mobile":
            return v.str.contains(_MOBILE)
        if name == "region":
            return _member(v, list(regions.current_codes()))
        if name == "regex":
            return v.str.contains(_safe_regex(args[0].pattern))
        if name == "length":
            exact, low, high = args
            lo, hi = (exact, exact) if exact is not None else (low or 0, high)
            n = v.str.len_chars()
            return (n >= lo) & (n <= hi) if hi is not None else n >= lo
        if name == "range":
            low, high = args
            cond = pl.lit(True)
            if low is not None:
                cond = cond & (v >= self.literal(fp, _parse_literal(self.plan, fp, low)))
            if high is not None:
                cond = cond & (v <= self.literal(fp, _parse_literal(self.plan, fp, high)))
            return cond
        if name == "not_future":
            if fp.spec.type_name == "date":
                return v <= pl.lit(date.today())
            now = datetime.now(self.plan.zone).replace(tzinfo=None)
            return v <= pl.lit(now, dtype=pl.Datetime("us"))
        raise Unsupported(f"validator {name!r}")

    def resident_id(self, v: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        """GB 11643: shape, check character, a birth date from 1900 to today, and a region
        that gives no warning for the birth year but the informational one (residence permits
        give none); and that warning's code where it applies."""
        # The check character's value is (12 - 2·int(first17, 13) mod 11) mod 11, X being 10.
        total = v.str.slice(0, 17).str.to_integer(base=13, strict=False)
        last = v.str.slice(17, 1)
        given = pl.when(last == "X").then(10).otherwise(last.str.to_integer(strict=False))
        region, birth = v.str.slice(0, 6), v.str.slice(6, 8)
        codes, years = _quiet_table()
        since = pl.lit(years).gather(region.cast(codes, strict=False).to_physical())
        permit = region.is_in(_among(sorted(RESIDENCE_PERMIT_REGIONS)))
        plain = (
            v.str.contains(_ID_FORMAT)
            & ((12 - (total % 11) * 2 % 11) % 11 == given)
            & (birth >= "19000101")
            & (birth <= self.today.strftime("%Y%m%d"))
            & _real_date(birth, "%Y%m%d")
            & (permit | since.is_not_null())
        )
        created_after = ~permit & (birth.str.slice(0, 4) < since)
        warning = pl.when(created_after).then(_lit_str("region_created_after_birth"))
        return plain, warning

    def literal(self, fp: FieldPlan, value: Any) -> pl.Expr:
        type_name = fp.spec.type_name
        if type_name == "str":
            return _lit_str(value)
        if type_name == "int":
            return pl.lit(value, dtype=pl.Int64)
        if type_name == "date":
            return pl.lit(value, dtype=pl.Date)
        if type_name == "datetime":
            return pl.lit(value, dtype=pl.Datetime("us"))
        raise Unsupported(f"field {fp.name!r}: a {type_name} literal")

    def serialize(self, fp: FieldPlan) -> pl.Expr:
        """The field's canonical value, from its typed column."""
        typed = pl.col(f"f{fp.index}")
        type_name = fp.spec.type_name
        if type_name in ("str", "int"):
            return typed
        if type_name == "date":
            return typed.dt.strftime("%Y-%m-%d")
        since, offset = stable_offset(self.plan.spec.timezone)
        if offset is None:
            raise Unsupported(f"field {fp.name!r}: datetime in a zone that still changes offset")
        self.offsets.append(pl.col(f"f{fp.index}").is_null() | (typed >= pl.lit(since)))
        return pl.concat_str([typed.dt.strftime("%Y-%m-%dT%H:%M:%S"), _lit_str(offset)])

    # --- derive, rules ---------------------------------------------------------------------

    def derive(self, fp: FieldPlan) -> _Field:
        """Runs on the typed columns of the first stage, as the row engine derives after all
        fields: fill a missing value from the ID number, or compare it with that."""
        derive = fp.derive
        assert derive is not None
        id_number = pl.col(f"f{derive.source_index}")
        if derive.part == "gender":
            odd = id_number.str.slice(16, 1).str.to_integer(strict=False) % 2 == 1
            derived = pl.when(odd).then(_lit_str("1")).otherwise(_lit_str("2"))
        elif derive.part == "region":
            derived = id_number.str.slice(0, 6)
        else:
            derived = id_number.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
        value = pl.col(f"f{fp.index}")
        exempt = value.is_in(_among(["0", "9"])) if derive.part == "gender" else pl.lit(False)
        # A differing value is a mismatch issue (rejected or warned): not plain in any case.
        agrees = value.is_null() | (value == derived) | exempt
        # prefer_id: an unknown or unstated gender (0, 9) gives way to the ID number's too.
        taken = value.is_null() | exempt if derive.on_mismatch == "prefer_id" else value.is_null()
        filled = pl.when(taken).then(derived)
        without_id = id_number.is_null()
        plain = [pl.col(f"k{fp.index}"), (without_id | agrees).fill_null(False)]
        if fp.default is not NO_DEFAULT:
            fallback = pl.when(value.is_null()).then(self.literal(fp, fp.default)).otherwise(value)
        else:
            fallback = value
            if fp.required:
                plain.append(~(without_id & value.is_null()))
        result = pl.when(without_id).then(fallback).otherwise(filled.otherwise(value))
        return _Field(result, _all_of(plain), self.serialize(fp))

    def rule(self, rp: RulePlan) -> pl.Expr:
        """Plain unless the rule is false (a false rule is an issue, error or warning)."""
        names = {fp.name: fp for fp in self.plan.fields}
        tree = ast.parse(rp.rule.text.strip(), mode="eval")
        return self.boolean(tree.body, names).fill_null(True)

    def boolean(self, node: Any, names: dict[str, FieldPlan]) -> pl.Expr:
        if isinstance(node, ast.BoolOp):
            parts = [self.boolean(v, names) for v in node.values]
            return (
                pl.all_horizontal(parts)
                if isinstance(node.op, ast.And)
                else pl.any_horizontal(parts)
            )
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ~self.boolean(node.operand, names)
        if not isinstance(node, ast.Compare):
            raise Unsupported("rule construct")
        operands = [node.left, *node.comparators]
        typed = next(
            (names[o.id] for o in operands if isinstance(o, ast.Name) and o.id not in WORDS),
            None,
        )
        values = [self.operand(o, typed, names) for o in operands]
        pairs = []
        for n, op in enumerate(node.ops):
            a, b = values[n], values[n + 1]
            if isinstance(op, ast.In | ast.NotIn):
                found = a.is_in(self.members(operands[n + 1], typed))
                pairs.append(found if isinstance(op, ast.In) else ~found)
                continue
            compare = _COMPARE.get(type(op).__name__)
            if compare is None:
                raise Unsupported(f"rule operator {type(op).__name__}")
            pairs.append(compare(a, b))
        nulls = [v.is_null() for v in values if v is not _MEMBERS]
        return (
            pl.when(pl.any_horizontal(nulls))
            .then(pl.lit(None, pl.Boolean))
            .otherwise(pl.all_horizontal(pairs))
        )

    def members(self, node: Any, typed: FieldPlan | None) -> pl.Expr:
        """The literal list after ``in``: texts only (other types compare by Python rules)."""
        if not isinstance(node, ast.List | ast.Tuple) or typed is None:
            raise Unsupported("rule: in needs a list of literals")
        if typed.spec.type_name != "str":
            raise Unsupported(f"rule: in on a field of type {typed.spec.type_name}")
        items = [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
        if len(items) != len(node.elts):
            raise Unsupported("rule: in needs a list of texts")
        return _among(items)

    def operand(self, node: Any, typed: FieldPlan | None, names: dict[str, FieldPlan]) -> pl.Expr:
        if isinstance(node, ast.List | ast.Tuple):
            return _MEMBERS
        if isinstance(node, ast.Name):
            if node.id in WORDS:
                word = WORDS[node.id]
                if word is None:
                    return pl.lit(None)
                raise Unsupported("rule with true/false")
            return pl.col(f"f{names[node.id].index}")
        if isinstance(node, ast.Constant) and typed is not None and node.value is not None:
            return self.literal(typed, _parse_literal(self.plan, typed, node.value))
        raise Unsupported("rule literal")


# Stands for a literal list in a rule's operands: never null, read by ``members``.
_MEMBERS = pl.lit(True)

_COMPARE: dict[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
    "Eq": lambda a, b: a == b,
    "NotEq": lambda a, b: a != b,
    "Lt": lambda a, b: a < b,
    "LtE": lambda a, b: a <= b,
    "Gt": lambda a, b: a > b,
    "GtE": lambda a, b: a >= b,
}


def _parse_literal(plan: Plan, fp: FieldPlan, value: Any) -> Any:
    parsed = literal_parser(fp.spec.type_name, plan.zone)(value)
    if isinstance(parsed, Decimal):
        raise Unsupported(f"field {fp.name!r}: decimal")
    return parsed


@cache
def stable_offset(zone_name: str) -> tuple[datetime, str | None]:
    """From when on ``zone_name`` keeps one UTC offset (up to 2100), and that offset as the
    row engine writes it (``+08:00``); ``None`` for a zone that keeps changing it.

    The offset at noon of each day, walked back from 2100 a week at a time until it differs,
    then that week day by day: the day after the last differing one. (Walking every day of
    two centuries forwards took a tenth of a second of every run's start.) An offset held for
    less than a week after the last sample that differed would be missed; no zone has one."""
    zone = ZoneInfo(zone_name)

    def offset_at(day: date) -> timedelta | None:
        return datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()

    first, last = date(1900, 1, 1), date(2099, 12, 31)
    final = offset_at(last)
    day = last
    while day > first and offset_at(day) == final:
        day = max(first, day - timedelta(days=7))
    if offset_at(day) == final:
        return datetime(1900, 1, 1), _offset_text(zone)
    while offset_at(day + timedelta(days=1)) != final or any(
        offset_at(day + timedelta(days=n)) != final for n in range(2, 8)
    ):
        day += timedelta(days=1)
    since = datetime(day.year, day.month, day.day) + timedelta(days=2)
    if since.year >= 2030:
        return since, None
    return since, _offset_text(zone)


def _offset_text(zone: ZoneInfo) -> str:
    return datetime(2030, 1, 1, tzinfo=zone).isoformat()[19:]


_CHRONO = {"YYYY": "%Y", "MM": "%m", "DD": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def _fixed_format(patterns: tuple[Pattern, ...], with_time: bool) -> str | None:
    """The strftime form of a single pattern of fixed-width parts (``YYYY-MM-DD HH:mm:ss``)."""
    if len(patterns) != 1:
        return None
    parts = []
    for token in _tokens(patterns[0].text):
        if token in _CHRONO:
            parts.append(_CHRONO[token])
        elif token in _DIGITS or token.startswith("S"):
            return None
        else:
            parts.append(token.replace("%", "%%"))
    fmt = "".join(parts)
    needed = ("%Y", "%m", "%d", "%H", "%M", "%S") if with_time else ("%Y", "%m", "%d")
    return fmt if all(n in fmt for n in needed) and fmt.count("%Y") == 1 else None


def _fixed_parse(v: pl.Expr, fmt: str, with_time: bool) -> pl.Expr:
    """Read with ``fmt``, kept only where writing it back gives the text read: that is the
    shape and a real day and time, whatever the parser tolerates. Year 0 and a leap second
    would write back too; the row engine refuses both."""
    if with_time:
        moment = v.str.to_datetime(fmt, strict=False, time_unit="us")
        exact = (moment.dt.strftime(fmt) == v) & (moment.dt.second() < 60)
    else:
        moment = v.str.to_date(fmt, strict=False)
        exact = moment.dt.strftime(fmt) == v
    return pl.when(exact & (moment.dt.year() >= 1)).then(moment)


def _translate(v: pl.Expr, table: dict[str, str]) -> pl.Expr:
    """A code map: a short one as a chain of comparisons, a long one as a lookup table."""
    if len(table) > 16:
        return v.replace_strict(table, default=None, return_dtype=pl.String)
    chain: Any = None
    for code, value in table.items():
        chain = (pl.when(v == code) if chain is None else chain.when(v == code)).then(
            _lit_str(value)
        )
    found: pl.Expr = chain.otherwise(pl.lit(None, pl.String))
    return found


def _real_date(text: pl.Expr, fmt: str) -> pl.Expr:
    """Whether ``text`` (digits where ``fmt`` has them) is a real day: it reads as a date that
    writes back the same (this refuses what the parser's leniency would accept)."""
    return text.str.to_date(fmt, strict=False).dt.strftime(fmt) == text


def _tokens(text: str) -> list[str]:
    found, i = [], 0
    while i < len(text):
        if text[i] == "[":
            end = text.index("]", i)
            found += list(text[i + 1 : end])
            i = end + 1
            continue
        token = next((t for t in TOKENS if text.startswith(t, i)), text[i])
        found.append(token)
        i += len(token)
    return found


def _uscc_plain(v: pl.Expr) -> pl.Expr:
    """GB 32100: shape, check character, and neither warning (category, organisation code)."""
    values = {c: n for n, c in enumerate(USCC_ALPHABET)}
    total = pl.sum_horizontal(
        [
            v.str.slice(i, 1).replace_strict(values, default=0, return_dtype=pl.Int64) * (3**i % 31)
            for i in range(17)
        ]
    )
    check = ((31 - total % 31) % 31).replace_strict(
        list(range(31)), list(USCC_ALPHABET), default=None, return_dtype=pl.String
    )
    pairs = sorted(a + c for a, cats in CATEGORIES.items() for c in cats)
    base36 = {c: int(c, 36) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
    org_total = pl.sum_horizontal(
        [
            v.str.slice(8 + i, 1).replace_strict(base36, default=0, return_dtype=pl.Int64) * w
            for i, w in enumerate(_ORG_WEIGHTS)
        ]
    )
    org_check = (11 - org_total % 11).replace_strict(
        [10, 11], ["X", "0"], default=None, return_dtype=pl.String
    )
    org_check = (
        pl.when(11 - org_total % 11 < 10)
        .then((11 - org_total % 11).cast(pl.String))
        .otherwise(org_check)
    )
    return (
        v.str.contains(_USCC_SHAPE)
        & (check == v.str.slice(17, 1))
        & _member(v.str.slice(0, 2), pairs)
        & (org_check == v.str.slice(16, 1))
    )


@cache
def _quiet_table() -> tuple[pl.Enum, pl.Series]:
    """:func:`quiet_regions` as an enumeration of the codes and their years in its order."""
    quiet = quiet_regions()
    codes = sorted(quiet)
    return pl.Enum(codes), pl.Series([quiet[code] for code in codes], dtype=pl.String)


@cache
def quiet_regions() -> Mapping[str, str]:
    """County codes in force today, in force without a gap since they first were → the first
    birth year (as text) an ID number issued under them raises no warning for; before it the
    only one is the informational ``region_created_after_birth``. Computed once from the
    shipped region table, which does not change while the process runs."""
    found: dict[str, str] = {}
    for code, periods in regions.region_periods().items():
        if regions.region_level(code) != "county" or code.startswith("71"):
            continue
        if code in RESIDENCE_PERMIT_REGIONS or periods[-1].valid_to is not None:
            continue
        if any(a.valid_to is None or b.valid_from != a.valid_to + 1 for a, b in pairwise(periods)):
            continue
        found[code] = f"{max(1900, periods[0].valid_from or 1900):04d}"
    return MappingProxyType(found)


class ColumnarMapping:
    """A plan compiled onto expressions; :meth:`map_page` maps a whole page."""

    def __init__(self, plan: Plan, row: Callable[[Any], MapResult]) -> None:
        compiler = _Compiler(plan)
        compiler.compile()
        self._plan = plan
        self._row = row
        self._sources = dict(compiler.sources)
        self._names = tuple(fp.name for fp in plan.fields)
        fields, derived = compiler.fields, compiler.derived
        self._stages = [*compiler.steps, compiler.parsed]
        # Stage one: every field from its source; stage two: the derived fields over those.
        self._first = [
            expr
            for fp in plan.fields
            for expr in (
                fields[fp.index].value.alias(f"f{fp.index}"),
                fields[fp.index].plain.alias(f"k{fp.index}"),
            )
        ]
        self._second = [
            expr
            for index, found in derived.items()
            for expr in (found.value.alias(f"f{index}"), found.plain.alias(f"k{index}"))
        ]
        plain = [pl.col(f"k{fp.index}") for fp in plan.fields] + compiler.rule_checks
        plain += compiler.offsets
        self._plain = _all_of(plain).fill_null(False).alias("plain")
        by_name = sorted(plan.fields, key=lambda fp: fp.name)
        outputs = [fields[fp.index].output.alias(fp.name) for fp in by_name]
        self._payload = pl.struct(outputs).struct.json_encode().alias("payload")
        keys = [fields[i].output.cast(pl.String) for i in plan.key_indexes]
        self._key = (keys[0] if len(keys) == 1 else pl.concat_str(keys, separator="|")).alias("key")
        known = {s.split(".")[0] for fp in plan.fields for s in fp.spec.sources}
        self._known = frozenset(known) if plan.spec.extra_fields != "ignore" else None
        self._warnings = [
            (fp, expr.alias(f"w{fp.index}"))
            for fp in plan.fields
            if (expr := compiler.warnings.get(fp.index)) is not None
        ]

    def _frame(self, raws: Sequence[Any]) -> tuple[pl.DataFrame, list[bool] | None]:
        """The page's source columns as text, and the records no column may stand for (not an
        object, a value that is not text, a field the mapping does not read)."""
        odd: list[bool] | None = None
        if not all(raw.__class__ is dict for raw in raws):
            odd = [raw.__class__ is not dict for raw in raws]
            raws = [raw if raw.__class__ is dict else {} for raw in raws]
        columns = {}
        for source, name in self._sources.items():
            values = [raw.get(source) for raw in raws]
            try:
                columns[name] = pl.Series(name, values, dtype=pl.String, strict=True)
            except (TypeError, pl.exceptions.PolarsError):
                marks = odd or [False] * len(raws)
                odd = [
                    mark or not (v is None or v.__class__ is str)
                    for mark, v in zip(marks, values, strict=True)
                ]
                kept = [v if v.__class__ is str else None for v in values]
                columns[name] = pl.Series(name, kept, dtype=pl.String)
        if self._known is not None:
            known = self._known
            extra = [not raw.keys() <= known for raw in raws]
            odd = extra if odd is None else [a or b for a, b in zip(odd, extra, strict=True)]
        return pl.DataFrame(columns, height=len(raws)), odd

    def map_page(self, raws: Sequence[Any]) -> MappedPage:
        """Every record of ``raws`` mapped; the same keys, JSON and issues as the row engine."""
        if not raws:
            return MappedPage([], [], {})
        frame, odd = self._frame(raws)
        query = frame.lazy()
        for stage in self._stages:
            query = query.with_columns(stage)
        query = query.with_columns(self._first)
        if self._second:
            query = query.with_columns(self._second)
        out = query.select(
            self._key,
            self._payload,
            self._plain,
            *(pl.col(f"f{fp.index}") for fp, _ in self._warnings),
            *(expr for _, expr in self._warnings),
        ).collect()
        plain: list[bool] = out["plain"].to_list()
        keys: list[str | None] = out["key"].to_list()
        payloads: list[str | None] = out["payload"].to_list()
        if odd is not None:
            plain = [p and not o for p, o in zip(plain, odd, strict=True)]
        row_results: dict[int, MapResult] = {}
        row = self._row
        for index, ok in enumerate(plain):
            if ok:
                continue
            result = row_results[index] = row(raws[index])
            keys[index] = result.key
            payloads[index] = (
                orjson.dumps(result.record, option=orjson.OPT_SORT_KEYS).decode()
                if result.ok and result.record is not None
                else None
            )
        return MappedPage(keys, payloads, row_results, self._notes(out, plain))

    def _notes(self, out: pl.DataFrame, plain: list[bool]) -> dict[int, list[FieldIssue]]:
        notes: dict[int, list[FieldIssue]] = {}
        for fp, _ in self._warnings:
            codes = out[f"w{fp.index}"]
            if codes.null_count() == len(codes):
                continue
            values = out[f"f{fp.index}"].to_list()
            for index, code in enumerate(codes.to_list()):
                if code is not None and plain[index]:
                    rule, detail, level = id_warning(code)
                    shown = mask_value(values[index], fp.pii)
                    notes.setdefault(index, []).append(
                        FieldIssue(fp.name, rule, shown, detail, level)
                    )
        return notes

    def map_many(self, raws: Sequence[Any]) -> list[MapResult]:
        page = self.map_page(raws)
        return [page.result(i, self._names) for i in range(len(raws))]


def compile_columnar(
    plan: Plan, row: Callable[[Any], MapResult]
) -> tuple[ColumnarMapping | None, str | None]:
    """The columnar form of ``plan``, or ``None`` and the step that has no vectorised form."""
    if plan.spec.direction != "pull":
        return None, "push mappings map one record at a time"
    try:
        return ColumnarMapping(plan, row), None
    except Unsupported as exc:
        return None, f"no columnar form for {exc}"
