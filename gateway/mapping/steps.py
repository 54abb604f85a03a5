"""What transforms and validators have in common: a name, typed parameters, a factory.

A step is written in a mapping file as a bare name (``trim``), a call with one argument
(``split(,)`` or ``regex(^XK\\d{8}$)``) or a one-key mapping whose value holds the arguments
(``{split: ","}``, ``{replace: ["-", ""]}``, ``{length: {min: 2, max: 20}}``). The factory
runs once, when the mapping compiles, and returns the function that runs for every record.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gateway.errors import RecordError
from gateway.mapping.yamlnodes import Node, Problem

ParamKind = Literal["text", "int", "regex", "texts", "value"]
_CALL = re.compile(r"^([a-z_][a-z0-9_]*)\((.*)\)$", re.DOTALL)


class FieldReject(RecordError):
    """One rule refused one field's value; raised inside a compiled mapping, never out of it."""

    def __init__(self, rule: str, detail: str | None = None) -> None:
        super().__init__(rule)
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True)
class Param:
    name: str
    kind: ParamKind
    required: bool = True


@dataclass(frozen=True)
class Op:
    """One transform or validator as the registry knows it."""

    name: str
    params: tuple[Param, ...]
    build: Callable[..., Any]
    doc: str


@dataclass(frozen=True)
class Step:
    """One step as written in a file: the op, its checked arguments, where it was written."""

    op: Op
    args: tuple[Any, ...]
    node: Node

    @property
    def name(self) -> str:
        return self.op.name

    def describe(self) -> str:
        if not self.args:
            return self.op.name
        shown = ", ".join(
            repr(a) if not isinstance(a, re.Pattern) else repr(a.pattern) for a in self.args
        )
        return f"{self.op.name}({shown})"


def _convert(param: Param, node: Node, problems: list[Problem]) -> tuple[bool, Any]:
    value = node.value
    if param.kind == "value":
        return True, node.plain()
    if param.kind == "text":
        if not node.is_scalar or value is None:
            problems.append(node.problem(f"{param.name}: expected a text value"))
            return False, None
        return True, node.text
    if param.kind == "int":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return True, int(value)  # the call form ``zfill(2)`` carries text
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(node.problem(f"{param.name}: expected a whole number"))
            return False, None
        return True, value
    if param.kind == "texts":
        items = value if isinstance(value, list) else [node]
        if not all(item.is_scalar and item.value is not None for item in items):
            problems.append(node.problem(f"{param.name}: expected text values"))
            return False, None
        return True, tuple(str(item.text) for item in items)
    if not node.is_scalar or value is None:
        problems.append(node.problem(f"{param.name}: expected a regular expression"))
        return False, None
    try:
        return True, re.compile(str(node.text))
    except re.error as exc:
        problems.append(node.problem(f"{param.name}: invalid regular expression: {exc}"))
        return False, None


def _text_node(text: str, at: Node) -> Node:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return Node(text, at.line, at.column, text=text)


def parse_step(
    node: Node, registry: dict[str, Op], what: str, problems: list[Problem]
) -> Step | None:
    """Read one step; unknown names and bad arguments become problems naming what is allowed."""
    allowed = ", ".join(sorted(registry))
    arg_nodes: list[Node] | dict[str, Node]
    if node.is_scalar and isinstance(node.value, str):
        call = _CALL.match(node.value.strip())
        if call:
            name, arg_nodes = call.group(1), [_text_node(call.group(2), node)]
        else:
            name, arg_nodes = node.value.strip(), []
    elif node.is_map and len(node.value) == 1:
        name, arg_node = next(iter(node.value.items()))
        if arg_node.is_map:
            arg_nodes = dict(arg_node.value)
        elif arg_node.is_list and len(registry.get(name, _NO_OP).params) > 1:
            arg_nodes = list(arg_node.value)
        else:
            arg_nodes = [arg_node]
    else:
        problems.append(node.problem(f"a {what} is a name or a one-key mapping", allowed))
        return None
    op = registry.get(name)
    if op is None:
        problems.append(node.problem(f"unknown {what} {name!r}", allowed))
        return None
    return _bind(op, node, arg_nodes, what, problems)


def _bind(
    op: Op, node: Node, arg_nodes: list[Node] | dict[str, Node], what: str, problems: list[Problem]
) -> Step | None:
    names = [p.name for p in op.params]
    if isinstance(arg_nodes, dict):
        unknown = [k for k in arg_nodes if k not in names]
        if unknown:
            problems.append(
                arg_nodes[unknown[0]].problem(
                    f"{what} {op.name!r} has no parameter {unknown[0]!r}",
                    ", ".join(names) or "none",
                )
            )
            return None
        given = arg_nodes
    else:
        keyword_only = op.params and not any(p.required for p in op.params)
        if keyword_only and len(arg_nodes) > 1:
            # {length: [1, 2, 3]} would bind exact, min and max by position: refused, since
            # nobody writing it meant that. Such steps name their arguments.
            example = ", ".join(f"{name}: ..." for name in names)
            problems.append(
                node.problem(f"{what} {op.name!r} takes named arguments, e.g. {{{example}}}")
            )
            return None
        if len(arg_nodes) > len(op.params):
            problems.append(node.problem(f"{what} {op.name!r} takes {len(op.params)} argument(s)"))
            return None
        given = dict(zip(names, arg_nodes, strict=False))
    args: list[Any] = []
    ok = True
    for param in op.params:
        if param.name not in given:
            if param.required:
                problems.append(node.problem(f"{what} {op.name!r} needs {param.name!r}"))
                ok = False
            args.append(None)
            continue
        converted, value = _convert(param, given[param.name], problems)
        ok = ok and converted
        args.append(value)
    return Step(op, tuple(args), node) if ok else None


_NO_OP = Op("", (), lambda: None, "")
