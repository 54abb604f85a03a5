"""The ``gateway`` command. ``app`` and ``main`` live in :mod:`gateway.cli.root`; they are
loaded on first use so that sub-command modules can import :mod:`gateway.cli.common` without
mounting themselves half-loaded."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in ("app", "main"):
        from gateway.cli import root

        return getattr(root, name)
    raise AttributeError(name)
