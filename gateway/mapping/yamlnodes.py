"""YAML read into a tree that remembers where each value was written (line and column).

PyYAML's composer gives nodes with marks; this module turns them into plain values wrapped in
:class:`Node`, so the mapping checker can name the line and column of anything it refuses.
Scalars keep the text as written (``01`` stays ``"01"`` for code tables) beside the value YAML
would resolve (``01`` → ``1``). Duplicate keys, which PyYAML silently overwrites, are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml


@dataclass
class Problem:
    """One thing wrong in a mapping file, where it is, and what would be allowed."""

    message: str
    line: int
    column: int
    allowed: str | None = None


@dataclass
class Node:
    """A value from the file with its 1-based position.

    ``value`` is a Python scalar, a ``dict[str, Node]`` or a ``list[Node]``; ``text`` is the
    scalar as written; ``keys`` holds each mapping key's own node (for its position).
    """

    value: Any
    line: int
    column: int
    text: str | None = None
    keys: dict[str, Node] = field(default_factory=dict)

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not (self.is_map or self.is_list)

    def problem(self, message: str, allowed: str | None = None) -> Problem:
        return Problem(message, self.line, self.column, allowed)

    def plain(self) -> Any:
        """The value with every nested :class:`Node` unwrapped."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class _Builder:
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node) -> Node:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, line, column)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.build(item) for item in node.value], line, column)
        assert isinstance(node, yaml.ScalarNode)
        value = self.constructor.construct_object(node, deep=True)
        return Node(value, line, column, text=str(node.value))

    def _mapping(self, node: yaml.MappingNode, line: int, column: int) -> Node:
        self.constructor.flatten_mapping(node)
        result: dict[str, Node] = {}
        keys: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = self.build(key_node)
            if not key.is_scalar:
                self.problems.append(key.problem("a mapping key must be a plain value"))
                continue
            name = key.text if key.text is not None else str(key.value)
            if name in result:
                self.problems.append(key.problem(f"duplicate key {name!r}"))
            result[name] = self.build(value_node)
            keys[name] = key
        return Node(result, line, column, keys=keys)


def parse_yaml(text: str, problems: list[Problem]) -> Node | None:
    """Parse one YAML document; syntax errors become problems with their position."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(f"YAML syntax: {exc.problem or exc.context}", line, column))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(f"YAML syntax: {exc}", 1, 1))
        return None
    if root is None:
        problems.append(Problem("the file is empty", 1, 1))
        return None
    try:
        return _Builder(problems).build(root)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problems.append(Problem(f"YAML value: {exc.problem}", line, column))
        return None
