"""Serving the simulators a configuration names (``gateway simulate``, ``gateway demo``).

Each adapter's simulator is found through the ``gateway.simulators`` entry-point group, by the
adapter's name: a factory ``build_app(settings)`` answering an ASGI app.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from importlib.metadata import entry_points
from typing import Any
from urllib.parse import urlsplit

from gateway.cli.common import console
from gateway.config import GatewayConfig
from gateway.errors import ConfigError
from simulators.kit import run_in_thread
from simulators.kit.cli import parse_fault_assignments

SIMULATORS_GROUP = "gateway.simulators"


def simulator_factory(adapter: str) -> Callable[[Mapping[str, Any]], Any]:
    """The installed simulator of ``adapter``: ``build_app(settings)``."""
    for ep in entry_points(group=SIMULATORS_GROUP, name=adapter):
        factory: Callable[[Mapping[str, Any]], Any] = ep.load()
        return factory
    raise ConfigError("adapter has no simulator", adapter=adapter)


@contextmanager
def running_simulators(
    config: GatewayConfig, only: list[str] | None = None, faults: dict[str, Any] | None = None
) -> Iterator[dict[str, str]]:
    """Start the simulator of every platform that has ``simulator`` settings; yield their URLs."""
    urls: dict[str, str] = {}
    with ExitStack() as stack:
        for name, platform in config.platforms.items():
            if platform.simulator is None or (only and name not in only):
                continue
            if platform.base_url is None or platform.app_secret is None:
                raise ConfigError(
                    "a simulated platform needs base_url and app_secret", platform=name
                )
            settings = {
                **platform.simulator,
                "app_key": platform.app_key,
                "secret": platform.app_secret.resolve(config.base_dir),
                "algorithm": platform.signature,
            }
            if faults:
                settings["faults"] = {**settings.get("faults", {}), **faults}
            app = simulator_factory(platform.adapter)(settings)
            port = urlsplit(platform.base_url).port or 80
            server = stack.enter_context(run_in_thread(app, host="127.0.0.1", port=port))
            urls[name] = server.url
        yield urls


def simulate(config: GatewayConfig, platforms: list[str], faults: list[str]) -> int:
    """``gateway simulate``: serve the platforms' simulators until Ctrl-C; the exit code."""
    settings = parse_fault_assignments(faults).model_dump(exclude_defaults=True)
    with running_simulators(config, only=platforms, faults=settings) as urls:
        if not urls:
            console.print("no platform in this configuration has simulator settings")
            return 1
        for name, url in urls.items():
            console.print(f"{name:20} {url}")
        console.print("serving; Ctrl-C stops")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            console.print("stopped")
    return 0
