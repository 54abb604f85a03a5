"""What adapter authors import is declared: every name in ``__all__`` exists, and every public
name a module defines is in its ``__all__`` (a name kept out of it starts with ``_``)."""

from __future__ import annotations

import ast
import inspect
from importlib import import_module

import pytest

AUTHOR_MODULES = [
    "gateway.adapter",
    "gateway.http.streams",
    "gateway.http.paging",
    "gateway.testing",
    "gateway.testing.context",
    "gateway.testing.contract",
    "gateway.testing.rig",
    "gateway.testing.openapi",
]


def defined_names(module_name: str) -> set[str]:
    """The names the module's own top-level statements bind (imports excluded)."""
    tree = ast.parse(inspect.getsource(import_module(module_name)))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            found.add(node.name)
        elif isinstance(node, ast.Assign):
            found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            found.add(node.target.id)
    return found - {"__all__"}


@pytest.mark.parametrize("module_name", AUTHOR_MODULES)
def test_every_exported_name_exists(module_name: str) -> None:
    module = import_module(module_name)
    exported = module.__all__
    assert len(exported) == len(set(exported)), "a name is exported twice"
    assert [name for name in exported if not hasattr(module, name)] == []


@pytest.mark.parametrize("module_name", AUTHOR_MODULES)
def test_every_public_name_is_exported(module_name: str) -> None:
    public = {name for name in defined_names(module_name) if not name.startswith("_")}
    assert sorted(public - set(import_module(module_name).__all__)) == []
