"""What the adapters' reports share: the platform they report on and the jobs of a stream.

A report reads only the store; the configuration says which jobs filled it. Finding them here
keeps the reports' refusals the same everywhere: one line naming what is missing. A report's
:class:`ReportView` is what the web console draws of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from gateway.mapping import load_mapping
from gateway.store import Store, outbox
from mappings import resolve_mapping


def report_platform(config: GatewayConfig, adapter: str, chosen: str | None) -> str:
    """The one platform of ``adapter`` (or ``chosen``, which must be one)."""
    platforms = [name for name, p in config.platforms.items() if p.adapter == adapter]
    if chosen is not None:
        if chosen not in platforms:
            raise ConfigError(f"not a {adapter} platform", platform=chosen)
        return chosen
    if len(platforms) != 1:
        raise ConfigError(
            f"name the {adapter} platform with --platform", found=", ".join(platforms) or "none"
        )
    return platforms[0]


def stream_jobs(
    config: GatewayConfig, platform: str, stream: str, *, pull: bool
) -> tuple[list[str], str]:
    """The jobs that pull (or push) ``stream`` of ``platform``, and the entity they store or
    read (``""`` when there is none)."""
    jobs = [
        name
        for name, job in config.jobs.items()
        if job.platform == platform and job.stream == stream and job.is_pull is pull
    ]
    entities = {
        load_mapping(resolve_mapping(config.jobs[j].mapping, config.base_dir)).entity for j in jobs
    }
    if len(entities) > 1:
        raise ConfigError("the jobs of one stream store different entities", jobs=", ".join(jobs))
    return jobs, entities.pop() if entities else ""


def accepted_keys(store: Store, jobs: list[str]) -> frozenset[str]:
    """Keys (in clear) of records whose current or an earlier version the target of ``jobs``
    accepted."""
    with store.connect() as conn:
        return frozenset(outbox.accepted_keys(conn, jobs))


@dataclass(frozen=True)
class Text:
    """A label in both of the console's languages."""

    zh: str
    en: str


@dataclass(frozen=True)
class ViewTable:
    title: Text
    columns: list[Text]
    rows: list[list[Any]]


@dataclass(frozen=True)
class ViewBars:
    """Stacked bars: one per group (a month, a category), one segment per series."""

    title: Text
    series: list[Text]
    groups: list[tuple[str, list[int]]]


@dataclass(frozen=True)
class ReportView:
    """A report as the web console shows it: headline figures, tables and bar charts, computed
    by the same functions as ``gateway report NAME``."""

    title: Text
    figures: list[tuple[Text, Any]]
    tables: list[ViewTable] = field(default_factory=list)
    charts: list[ViewBars] = field(default_factory=list)


ReportViewer = Callable[[GatewayConfig, Store], ReportView]
