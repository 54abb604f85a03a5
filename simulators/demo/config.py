"""The demo's working directory: its ``gateway.yaml``, secrets and inbox files.

Each platform contributes its part (platforms, jobs, inbox files) through the
``gateway.demo_parts`` entry-point group, so the demo names no platform here.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from gateway.audit.signing import generate_key_pair
from gateway.config import GatewayConfig
from gateway.errors import ConfigError

DEMO_PARTS_GROUP = "gateway.demo_parts"
DEFAULT_SIZE = 20_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The simulated data are the bureau's own figures at the end of its 2022 report's period.
REPORT_DAY = date(2022, 11, 30)


@dataclass
class DemoContext:
    directory: Path
    size: int = DEFAULT_SIZE
    seed: int = 2022

    def secret(self, name: str, nbytes: int = 24) -> str:
        """Write a fresh random secret (hex) to ``secrets/NAME.txt``; return its reference."""
        path = self.directory / "secrets" / f"{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(secrets.token_hex(nbytes), encoding="utf-8")
            path.chmod(0o600)
        return f"file:secrets/{name}.txt"

    def key_pair(self, name: str) -> tuple[str, str]:
        """An Ed25519 key pair: ``secrets/NAME.pem`` (0600) and ``NAME.pub.pem``; references."""
        private = self.directory / "secrets" / f"{name}.pem"
        public = self.directory / f"{name}.pub.pem"
        if not private.exists():
            public.unlink(missing_ok=True)
            generate_key_pair(private, public)
        return f"file:secrets/{name}.pem", f"{name}.pub.pem"

    def inbox(self) -> Path:
        path = self.directory / "inbox"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def platform_url(self) -> str:
        return f"http://127.0.0.1:{free_port()}"


@dataclass
class DemoPart:
    platforms: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)


def build_config(ctx: DemoContext) -> dict[str, Any]:
    """The demo's gateway.yaml, assembled from every installed demo part."""
    private_key, public_key = ctx.key_pair("checkpoint")
    config: dict[str, Any] = {
        "version": 1,
        # Personal data at rest sealed with SM4 under a data key of its own (docs/privacy.md).
        "store": {"url": "sqlite:///gateway.db", "encryption": {"key": ctx.secret("data-key", 16)}},
        "audit": {
            "key": ctx.secret("audit-key"),
            "retention_days": 180,
            # Signed checkpoints of the log's head, kept outside the store: a log cut short
            # at its end no longer verifies (docs/audit.md §3).
            "checkpoint": {"private_key": private_key, "public_key": public_key},
            "witnesses": [{"type": "file", "path": "witness/checkpoints.jsonl"}],
        },
        "logging": {"level": "INFO", "format": "json", "file": "logs/gateway.log"},
        "service": {"host": "127.0.0.1", "metrics_port": free_port()},
        "platforms": {},
        "jobs": {},
    }
    for ep in sorted(entry_points(group=DEMO_PARTS_GROUP), key=lambda ep: ep.name):
        contribute: Callable[[DemoContext], DemoPart] = ep.load()
        part = contribute(ctx)
        name = ep.name
        for platform, settings in part.platforms.items():
            existing = config["platforms"].get(platform)
            if existing is not None and existing != settings:
                raise ConfigError(
                    "two demo parts define one platform differently",
                    platform=platform,
                    part=name,
                )
            config["platforms"][platform] = settings
        config["jobs"].update(part.jobs)
    return config


def write_config(ctx: DemoContext) -> Path:
    ctx.directory.mkdir(parents=True, exist_ok=True)
    path = ctx.directory / "gateway.yaml"
    header = (
        "# Written by `gateway demo`. Secrets are file references under secrets/;\n"
        "# `gateway simulate --config gateway.yaml` starts the simulators named here.\n"
    )
    body = yaml.safe_dump(build_config(ctx), allow_unicode=True, sort_keys=False)
    path.write_text(header + body, encoding="utf-8")
    return path


def job_order(config: GatewayConfig) -> list[str]:
    """Jobs in dependency order; ties keep the configuration's order."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in order:
            return
        if name in visiting:
            raise ConfigError("jobs depend on each other in a cycle", job=name)
        visiting.add(name)
        for dep in config.jobs[name].depends_on:
            visit(dep)
        visiting.discard(name)
        order.append(name)

    for name, job in config.jobs.items():
        if job.enabled:
            visit(name)
    return order
