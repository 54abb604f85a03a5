"""Record rules: comparisons between fields and literals, such as ``valid_until > publish_date``.

An expression is parsed with :mod:`ast` and only a whitelist of node kinds is accepted: field
names, literals (text, numbers, ``true``/``false``/``null``), lists of literals, comparisons
(``== != < <= > >= in``, ``not in``), ``and``, ``or``, ``not`` and parentheses. Nothing is
evaluated by Python; the tree compiles into closures. A literal compared with a typed field is
read as that type (``birth_date >= "1900-01-01"`` compares dates). A comparison with a missing
field is *unknown* and does not fail the rule: ``required`` says whether a field must be there.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# A rule closure answers True, False or None (unknown: some field it reads is missing).
Eval = Callable[[Mapping[str, Any]], bool | None]
_OPS: dict[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
WORDS = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}


class RuleError(ValueError):
    """The expression is not in the allowed form; the message says what is wrong."""


@dataclass(frozen=True)
class FieldInfo:
    """What a rule needs to know of a field: its kind and how to read a literal as its type."""

    kind: str
    parse_literal: Callable[[Any], Any]


@dataclass(frozen=True)
class CompiledRule:
    text: str
    fields: tuple[str, ...]
    evaluate: Eval


def compile_rule(text: str, fields: Mapping[str, FieldInfo]) -> CompiledRule:
    """Compile ``text``; :class:`RuleError` names the unknown field or the refused construct."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise RuleError(f"not an expression: {exc.msg}") from None
    used: list[str] = []
    evaluate = _Compiler(fields, used).boolean(tree.body)
    return CompiledRule(text, tuple(dict.fromkeys(used)), evaluate)


class _Compiler:
    def __init__(self, fields: Mapping[str, FieldInfo], used: list[str]) -> None:
        self.fields = fields
        self.used = used

    def boolean(self, node: ast.expr) -> Eval:
        if isinstance(node, ast.BoolOp):
            parts = [self.boolean(v) for v in node.values]
            return _all(parts) if isinstance(node.op, ast.And) else _any(parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.boolean(node.operand)
            return lambda rec: None if (r := inner(rec)) is None else not r
        if isinstance(node, ast.Compare):
            return self.compare(node)
        raise RuleError(f"expected a comparison, found {_describe(node)}")

    def compare(self, node: ast.Compare) -> Eval:
        operands = [node.left, *node.comparators]
        infos = [self.info(o) for o in operands]
        typed = [i for i in infos if i is not None]
        if len({i.kind for i in typed}) > 1:
            raise RuleError(f"cannot compare {' with '.join(sorted({i.kind for i in typed}))}")
        getters = [self.operand(o, typed[0] if typed else None) for o in operands]
        ops = []
        for op in node.ops:
            fn = _OPS.get(type(op))
            if fn is None:
                raise RuleError(f"operator {type(op).__name__} is not allowed")
            ops.append(fn)

        def evaluate(rec: Mapping[str, Any]) -> bool | None:
            values = [g(rec) for g in getters]
            if any(v is None for v in values):
                return None
            return all(op(values[i], values[i + 1]) for i, op in enumerate(ops))

        return evaluate

    def info(self, node: ast.expr) -> FieldInfo | None:
        if isinstance(node, ast.Name) and node.id not in WORDS:
            found = self.fields.get(node.id)
            if found is None:
                raise RuleError(f"unknown field {node.id!r}")
            return found
        return None

    def operand(self, node: ast.expr, info: FieldInfo | None) -> Callable[[Mapping[str, Any]], Any]:
        if isinstance(node, ast.Name):
            if node.id in WORDS:
                word = WORDS[node.id]
                return lambda _rec: word
            self.used.append(node.id)
            name = node.id
            return lambda rec: rec.get(name)
        value = self.literal(node, info)
        return lambda _rec: value

    def literal(self, node: ast.expr, info: FieldInfo | None) -> Any:
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, str | int | float | bool):
            return self.as_type(node.value, info)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = node.operand
            if isinstance(inner, ast.Constant) and isinstance(inner.value, int | float):
                return self.as_type(-inner.value, info)
        if isinstance(node, ast.List | ast.Tuple):
            return frozenset(self.literal(e, info) for e in node.elts)
        raise RuleError(f"{_describe(node)} is not allowed in a rule")

    @staticmethod
    def as_type(value: Any, info: FieldInfo | None) -> Any:
        if info is None:
            return value
        try:
            return info.parse_literal(value)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise RuleError(f"literal {value!r} is not a {info.kind}: {exc}") from None


def _all(parts: list[Eval]) -> Eval:
    def evaluate(rec: Mapping[str, Any]) -> bool | None:
        results = [p(rec) for p in parts]
        if False in results:
            return False
        return None if None in results else True

    return evaluate


def _any(parts: list[Eval]) -> Eval:
    def evaluate(rec: Mapping[str, Any]) -> bool | None:
        results = [p(rec) for p in parts]
        if True in results:
            return True
        return None if None in results else False

    return evaluate


def _describe(node: ast.AST) -> str:
    return {
        ast.Call: "a function call",
        ast.Attribute: "an attribute",
        ast.BinOp: "arithmetic",
        ast.Subscript: "indexing",
        ast.Lambda: "a lambda",
    }.get(type(node), type(node).__name__)
