"""What the installed adapters are, as data: each with its streams (name, direction, key,
paging, options schema) and where it comes from (the distribution that installed its entry
point, and that distribution's version). ``gateway adapters list`` shows it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.adapter import (
    Adapter,
    Direction,
    ExportStream,
    PullStream,
    PushStream,
    adapter_entry_points,
)
from gateway.http.paging import (
    KeysetPaginator,
    NextLinkPaginator,
    OffsetPaginator,
    PageNumberPaginator,
)
from gateway.http.streams import IncrementalPullStream, ReceiptPushStream

__all__ = ["InstalledAdapter", "describe", "installed_adapters", "stream_record"]

_PAGING_KINDS: Mapping[type, str] = {
    KeysetPaginator: "keyset",
    PageNumberPaginator: "page",
    OffsetPaginator: "offset",
    NextLinkPaginator: "link",
}


@dataclass(frozen=True)
class InstalledAdapter:
    name: str
    adapter: Adapter
    distribution: str | None
    version: str | None
    entry_point: str


def installed_adapters() -> list[InstalledAdapter]:
    """Every adapter installed in this environment with its origin, by name."""
    found = []
    for ep, adapter in adapter_entry_points():
        dist = ep.dist
        found.append(
            InstalledAdapter(
                ep.name,
                adapter,
                dist.metadata["Name"] if dist is not None else None,
                dist.version if dist is not None else None,
                ep.value,
            )
        )
    return found


def _paging(stream: PullStream | PushStream) -> dict[str, Any] | None:
    if not isinstance(stream, IncrementalPullStream):
        return None
    paginator = stream.paging()
    kind = _PAGING_KINDS.get(type(paginator), type(paginator).__name__)
    fields: dict[str, Any] = (
        dataclasses.asdict(paginator) if dataclasses.is_dataclass(paginator) else {}
    )
    return {"kind": kind, **fields}


def stream_record(stream: PullStream | PushStream) -> dict[str, Any]:
    """One stream as data: name, direction, key field, paging and options schema."""
    record: dict[str, Any] = {
        "name": stream.name,
        "direction": stream.direction.value,
        "key": stream.key_field if isinstance(stream, IncrementalPullStream) else None,
        "paging": _paging(stream),
        "options_schema": stream.options_model.model_json_schema(),
    }
    if isinstance(stream, ExportStream):
        record["export"] = True
    if isinstance(stream, IncrementalPullStream):
        record["path"] = stream.path
        record["reconcilable"] = stream.reconcilable
    if isinstance(stream, ReceiptPushStream):
        record["path"] = stream.path
        record["receipts_path"] = stream.receipts_path
    return record


def describe(installed: InstalledAdapter) -> dict[str, Any]:
    """An installed adapter as ``gateway adapters list --json`` gives it."""
    adapter = installed.adapter
    sides: dict[Direction, Mapping[str, PullStream] | Mapping[str, PushStream]] = {
        Direction.PULL: adapter.pull_streams(),
        Direction.PUSH: adapter.push_streams(),
    }
    streams: list[dict[str, Any]] = []
    for direction, found in sides.items():
        if direction not in adapter.any_stream:
            streams += [stream_record(found[name]) for name in sorted(found)]
    return {
        "adapter": installed.name,
        "description": adapter.description,
        "version": installed.version,
        "origin": {
            "distribution": installed.distribution,
            "version": installed.version,
            "entry_point": installed.entry_point,
        },
        "pull": sorted(sides[Direction.PULL]),
        "push": sorted(sides[Direction.PUSH]),
        # The directions in which any stream name is a stream (its streams are not listed).
        "any_name": sorted(d.value for d in adapter.any_stream),
        "any_stream": bool(adapter.any_stream),
        "streams": streams,
    }
