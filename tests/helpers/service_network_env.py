"""A demo working directory with only the service network's part, its simulator running."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

import gateway.adapter
from adapters.service_network import adapter
from gateway.config import GatewayConfig, load_config
from gateway.http.signing import SignatureAlgorithm
from gateway.pipeline import JobRunner, RunSummary
from gateway.store import Store
from simulators.demo.config import DemoContext
from simulators.demo.service_network import demo_part
from simulators.kit import signed_client
from simulators.serve import running_simulators

PLATFORM = "service_network"


@dataclass
class ServiceNetworkEnv:
    directory: Path
    config: GatewayConfig
    store: Store
    url: str

    def run(self, job: str) -> RunSummary:
        return JobRunner(self.config, self.store).run(job)

    def client(self) -> httpx.Client:
        """A client signing like the gateway, with the demo's app key and secret."""
        platform = self.config.platforms[PLATFORM]
        assert platform.app_key is not None
        assert platform.app_secret is not None
        secret = platform.app_secret.resolve(self.config.base_dir).encode()
        return signed_client(self.url, platform.app_key, secret, SignatureAlgorithm.HMAC_SM3)


_installed = gateway.adapter.discover_adapters


def _with_this_adapter() -> dict[str, gateway.adapter.Adapter]:
    # The adapter under test is found even where the package's entry points are not refreshed.
    return {**_installed(), PLATFORM: adapter}


@contextmanager
def service_network_env(
    directory: Path,
    *,
    platform: dict[str, Any] | None = None,
    jobs: dict[str, dict[str, Any]] | None = None,
    **simulator: Any,
) -> Iterator[ServiceNetworkEnv]:
    """``gateway.yaml`` from the service network's demo part, the store, and the simulator
    serving on the configured port. ``platform`` and ``jobs`` update the platform's and the
    jobs' settings, ``simulator`` the simulator's. A test that sets ``cases`` gets that many
    registrations alone, unless it sets ``licence_cases`` too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gateway.adapter, "discover_adapters", _with_this_adapter)
        ctx = DemoContext(directory, size=100, seed=2022)
        part = demo_part(ctx)
        part.platforms[PLATFORM].update(platform or {})
        if "cases" in simulator:
            simulator = {"licence_cases": 0, **simulator}
        part.platforms[PLATFORM]["simulator"].update(simulator)
        for job, settings in (jobs or {}).items():
            part.jobs[job].update(settings)
        document = {
            "version": 1,
            "store": {"url": "sqlite:///gateway.db"},
            "audit": {"key": ctx.secret("audit-key")},
            "logging": {"level": "WARNING", "format": "json", "file": None},
            "platforms": part.platforms,
            "jobs": part.jobs,
        }
        path = directory / "gateway.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        config = load_config(path)
        store = Store(config.store_url)
        try:
            with running_simulators(config, only=[PLATFORM]) as urls:
                yield ServiceNetworkEnv(directory, config, store, urls[PLATFORM])
        finally:
            store.close()
