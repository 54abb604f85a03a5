"""The runtime's import graph, read statically: no cycles, no simulator, no adapter in the core.

Every module of the ``gateway`` and ``adapters`` packages is parsed with :mod:`ast` (nothing is
imported). What counts as an import of module A by module B:

- ``import A`` and ``from A import name`` anywhere in B: at the top, inside a function (a
  function-local import still runs, it only runs later; hiding a cycle in one is what this
  test is for) or under ``try``;
- ``from P import name`` is an import of ``P.name`` when that is a module of its own, else of
  the package ``P`` (its ``__init__``), as import-linter's graph (grimp) has it; relative
  imports are resolved against B's package. So ``from gateway.store import schema`` inside
  ``gateway.store.engine`` is no cycle with ``gateway/store/__init__.py`` importing the engine:
  a submodule's parent package is always imported first, and a submodule named that way is
  found even while the package is half-initialised;
- an import under ``if TYPE_CHECKING:`` is listed separately: it never runs, so it is left out
  of the cycle check, but it is a dependency all the same, so the simulator and adapter rules
  count it.

Imports by name at run time (``importlib.import_module``, entry points) are not seen; that is
how the gateway finds adapters, on purpose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.helpers.paths import ROOT

RUNTIME_PACKAGES = ("gateway", "adapters")
# What the runtime must not import: the simulators and the demo (moving out to `simulators`).
SIMULATOR_MODULES = ("simulators",)


@dataclass
class Imports:
    """What one module imports: modules whose import runs, and those only type checkers see."""

    runtime: set[str] = field(default_factory=set)
    type_only: set[str] = field(default_factory=set)

    @property
    def every(self) -> set[str]:
        return self.runtime | self.type_only


def module_files() -> dict[str, Path]:
    """Every module of the runtime packages, by dotted name (a package by its ``__init__``)."""
    found: dict[str, Path] = {}
    for package in RUNTIME_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(nodes: Iterable[ast.AST], type_only: bool) -> Iterator[tuple[ast.AST, bool]]:
    """Every import statement below ``nodes``, with whether it sits under TYPE_CHECKING."""
    for node in nodes:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, type_only
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from _walk(node.body, True)
            yield from _walk(node.orelse, type_only)
        else:
            yield from _walk(ast.iter_child_nodes(node), type_only)


def _targets(node: ast.AST, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    assert isinstance(node, ast.ImportFrom)
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in known else base


def import_graph() -> dict[str, Imports]:
    files = module_files()
    known = set(files)
    graph: dict[str, Imports] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        imports = Imports()
        for node, type_only in _walk(tree.body, False):
            for target in _targets(node, module, path.name == "__init__.py", known):
                (imports.type_only if type_only else imports.runtime).add(target)
        imports.type_only -= imports.runtime
        graph[module] = imports
    return graph


def cycles(graph: dict[str, Imports]) -> list[list[str]]:
    """The import cycles among runtime imports: each as one closed path, A → … → A.

    One path per strongly connected component (Tarjan), found by a search inside it.
    """
    edges = {m: sorted(t for t in i.runtime if t in graph and t != m) for m, i in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return [_closed_path(component, edges) for component in components]


def _closed_path(component: list[str], edges: dict[str, list[str]]) -> list[str]:
    """A shortest cycle through the component's first module (breadth-first, inside it)."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for target in edges[node]:
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target in members and target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {component}")


def _under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(f"{p}.") for p in prefixes)


def _describe(found: list[list[str]]) -> str:
    return "\n".join(" → ".join(path) for path in found)


@pytest.fixture(scope="module")
def graph() -> dict[str, Imports]:
    return import_graph()


def test_the_walk_sees_every_kind_of_import() -> None:
    """Function-local imports count as runtime; TYPE_CHECKING ones are kept apart."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "import gateway.errors\n"
        "from . import config\n"
        "from .store import Store\n"
        "if TYPE_CHECKING:\n"
        "    from gateway.http import client\n"
        "def later():\n"
        "    from gateway.store import dlq\n"
    )
    known = {"gateway", "gateway.errors", "gateway.config", "gateway.store", "gateway.store.dlq"}
    found = Imports()
    for node, type_only in _walk(ast.parse(source).body, False):
        for target in _targets(node, "gateway.example", False, known):
            (found.type_only if type_only else found.runtime).add(target)
    assert found.runtime == {
        "typing",
        "gateway.errors",
        "gateway.config",
        "gateway.store",
        "gateway.store.dlq",
    }
    assert found.type_only == {"gateway.http"}


def test_cycles_are_found_and_named() -> None:
    """A three-module loop is reported as one closed path; a module importing itself is not."""
    graph = {
        "a": Imports(runtime={"b", "a"}),
        "b": Imports(runtime={"c"}),
        "c": Imports(runtime={"a"}, type_only={"d"}),
        "d": Imports(runtime={"c"}),
    }
    assert cycles(graph) == [["a", "b", "c", "a"]]


def test_no_import_cycle_among_runtime_modules(graph: dict[str, Imports]) -> None:
    """No runtime module reaches itself through runtime imports."""
    found = cycles(graph)
    assert not found, f"import cycles among runtime modules:\n{_describe(found)}"


def test_no_runtime_module_imports_a_simulator(graph: dict[str, Imports]) -> None:
    """Neither a runtime import nor a TYPE_CHECKING one names the simulators or the demo."""
    found = sorted(
        f"{module} imports {target}"
        for module, imports in graph.items()
        for target in imports.every
        if _under(target, SIMULATOR_MODULES)
    )
    assert not found, "runtime modules importing simulator modules:\n" + "\n".join(found)


def test_gateway_never_imports_an_adapter(graph: dict[str, Imports]) -> None:
    """The core finds adapters through their entry points, never by importing them."""
    found = sorted(
        f"{module} imports {target}"
        for module, imports in graph.items()
        if _under(module, ["gateway"])
        for target in imports.every
        if _under(target, ["adapters"])
    )
    assert not found, "gateway modules importing adapters:\n" + "\n".join(found)
