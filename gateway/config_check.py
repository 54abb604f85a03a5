"""What a loaded configuration still gets wrong, found at once, each with its file, line and key.

Pydantic checks each value's shape; this checks what needs the installed adapters, the
scheduler's triggers and the file system: an adapter that is not installed, a stream the
adapter does not have, a schedule the scheduler cannot read, and a store whose directory is
missing. ``gateway status``, ``jobs``, ``sync`` and ``run`` refuse a configuration with any of
these (:func:`refuse_invalid`); ``gateway config check`` lists them all, with the slower checks
(secrets, mappings) and job options their streams' ``options_model`` refuses
(:func:`option_problems`) added.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.adapter import Direction, PullStream, load_adapter, options_issue
from gateway.calendar_years import holiday_book
from gateway.config import GatewayConfig
from gateway.errors import ConfigError


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    line: int | None = None

    def where(self, source: Path | None) -> str:
        place = str(source) if source else "configuration"
        line = f":{self.line}" if self.line else ""
        return f"{place}{line}: {self.key}: {self.message}"


def key_lines(path: Path | None) -> dict[tuple[str, ...], int]:
    """The line (1-based) of every mapping key in the YAML file, by its key path."""
    if path is None:
        return {}
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    found: dict[tuple[str, ...], int] = {}

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                path_ = (*prefix, str(key.value))
                found[path_] = key.start_mark.line + 1
                walk(value, path_)

    walk(root, ())
    return found


def _store_problem(config: GatewayConfig) -> Problem | None:
    try:
        url = make_url(config.store_url)
    except ArgumentError:
        return Problem("store.url", "is not a database URL")
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    # SQLite's URI form (file:PATH?mode=ro with uri=true) names the file after "file:".
    database = url.database.removeprefix("file:").split("?", 1)[0]
    directory = Path(database).parent
    if directory.is_dir() or config.store.create:
        return None
    return Problem(
        "store.url",
        f"the store's directory {directory} does not exist (create it, fix the path, "
        "or set store.create: true for a new store)",
    )


def structural_problems(config: GatewayConfig) -> list[Problem]:
    """Adapters, streams, schedules and the store's directory; each problem once."""
    from gateway.service.triggers import make_trigger

    lines = key_lines(config.source_path)
    found: list[Problem] = []

    def add(key: tuple[str, ...], message: str) -> None:
        line = lines.get(key) or lines.get(key[:-1])
        found.append(Problem(".".join(key), message, line))

    store = _store_problem(config)
    if store is not None:
        found.append(Problem(store.key, store.message, lines.get(("store", "url"))))
    adapters = {}
    for name, platform in sorted(config.platforms.items()):
        try:
            adapters[name] = load_adapter(platform.adapter)
        except ConfigError as exc:
            add(("platforms", name, "adapter"), str(exc))
    for name, job in sorted(config.jobs.items()):
        side = "source" if job.is_pull else "target"
        adapter = adapters.get(job.platform)
        if adapter is not None:
            try:
                stream = adapter.stream(
                    job.stream, Direction.PULL if job.is_pull else Direction.PUSH
                )
            except ConfigError as exc:
                add(("jobs", name, side), str(exc))
            else:
                if job.partitions is not None and isinstance(stream, PullStream):
                    try:
                        stream.partition_values(job.partitions)
                    except ConfigError as exc:
                        add(("jobs", name, "partitions"), str(exc))
        if job.schedule is not None:
            try:
                trigger = make_trigger(name, job.schedule, holiday_book(config))
                trigger.get_next_fire_time(None, datetime.now(UTC))
            except (ConfigError, ValueError) as exc:
                message = str(exc).removeprefix(f"job {name!r}: ")
                add(("jobs", name, "schedule"), message)
    return found


def option_problems(config: GatewayConfig) -> list[Problem]:
    """Job options their stream's ``options_model`` refuses (the runner refuses the run)."""
    lines = key_lines(config.source_path)
    found: list[Problem] = []
    for name, job in sorted(config.jobs.items()):
        try:
            adapter = load_adapter(config.platforms[job.platform].adapter)
            stream = adapter.stream(job.stream, Direction.PULL if job.is_pull else Direction.PUSH)
        except (ConfigError, KeyError):
            continue  # structural_problems names a missing adapter, platform or stream
        issue = options_issue(stream.options_model, {"page_size": job.batch_size, **job.options})
        if issue is not None:
            key = ("jobs", name, "options", *issue[0].split("."))
            line = lines.get(key) or lines.get(key[:4]) or lines.get(key[:3])
            found.append(Problem(".".join(key), issue[1], line))
    return found


def refuse_invalid(config: GatewayConfig) -> None:
    """Raise one :class:`ConfigError` naming the first problem (and how many more there are)."""
    found = structural_problems(config)
    if not found:
        return
    more = f" (and {len(found) - 1} more: gateway config check lists them)" if found[1:] else ""
    raise ConfigError(found[0].where(config.source_path) + more)
