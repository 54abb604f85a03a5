"""Adapters are discovered in one place: the runtime's lookup and ``gateway adapters list``
see the same entry points, and refuse one that is not an adapter alike."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

import pytest

import gateway.adapter
from gateway.adapter import (
    ENTRY_POINT_GROUP,
    DeclaredAdapter,
    adapter_names,
    discover_adapters,
    load_adapter,
)
from gateway.errors import ConfigError
from gateway.inventory import installed_adapters


class _Only(DeclaredAdapter):
    name = "only"


ONLY = _Only()
NOT_AN_ADAPTER = object()


def _installed(monkeypatch: pytest.MonkeyPatch, *points: tuple[str, str]) -> None:
    fake = [
        EntryPoint(name, f"{__name__}:{attribute}", ENTRY_POINT_GROUP) for name, attribute in points
    ]

    def entry_points(*, group: str, name: str | None = None) -> list[EntryPoint]:
        return [ep for ep in fake if ep.group == group and name in (None, ep.name)]

    monkeypatch.setattr(gateway.adapter, "entry_points", entry_points)


def test_the_listing_and_the_runtime_see_the_same_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, ("only", "ONLY"))
    assert discover_adapters() == {"only": ONLY}
    assert [(found.name, found.adapter) for found in installed_adapters()] == [("only", ONLY)]
    assert adapter_names() == ["only"]
    assert load_adapter("only") is ONLY


def test_an_entry_point_that_is_no_adapter_is_refused_by_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _installed(monkeypatch, ("odd", "NOT_AN_ADAPTER"))
    calls: list[Any] = [discover_adapters, installed_adapters, lambda: load_adapter("odd")]
    for call in calls:
        with pytest.raises(ConfigError, match="entry point is not an Adapter"):
            call()
