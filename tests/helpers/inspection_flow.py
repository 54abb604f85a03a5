"""Running every inspection job from a demo context: its config file and the jobs in order."""

from __future__ import annotations

from typing import Any

import yaml

from gateway.config import GatewayConfig, load_config
from gateway.pipeline import JobRunner, RunSummary
from simulators.demo.config import DemoContext, job_order


def write_config(
    ctx: DemoContext, platforms: dict[str, Any], jobs: dict[str, Any]
) -> GatewayConfig:
    config = {
        "version": 1,
        "store": {"url": "sqlite:///gateway.db"},
        "audit": {"key": ctx.secret("audit-key")},
        "logging": {"level": "WARNING", "format": "json", "file": "logs/gateway.log"},
        "platforms": platforms,
        "jobs": jobs,
    }
    path = ctx.directory / "gateway.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return load_config(path)


def run_all(runner: JobRunner, config: GatewayConfig) -> dict[str, RunSummary]:
    return {job: runner.run(job) for job in job_order(config)}
