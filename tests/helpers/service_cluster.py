"""`gateway run` processes on one store, against the labor-force simulator, for service tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from gateway.clock import parse_iso
from gateway.config import GatewayConfig, load_config
from gateway.store import Store, schema
from simulators.demo.config import DemoContext, build_config, free_port
from simulators.serve import running_simulators

JOB = "labor-persons"


@dataclass
class Instance:
    name: str
    process: subprocess.Popen[bytes]
    port: int


@dataclass
class Cluster:
    config_path: Path
    config: GatewayConfig
    store: Store
    env: dict[str, str]
    instances: dict[str, Instance] = field(default_factory=dict)

    def start(self, *names: str) -> None:
        """Start `gateway run` as each named instance; return once all report ready."""
        for name in names:
            port = free_port()
            command = [
                sys.executable, "-m", "gateway", "run", "--config", str(self.config_path),
                "--metrics-port", str(port), "--instance-id", name,
            ]  # fmt: skip
            process = subprocess.Popen(
                command, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            self.instances[name] = Instance(name, process, port)
        for name in names:
            wait_until(partial(self._ready, self.instances[name]), 60, f"{name} never ready")

    def _ready(self, instance: Instance) -> bool:
        assert instance.process.poll() is None, f"{instance.name} exited: see its log"
        try:
            return httpx.get(f"http://127.0.0.1:{instance.port}/readyz", timeout=5).is_success
        except httpx.TransportError:
            return False

    def metrics(self, name: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = httpx.get(f"http://127.0.0.1:{self.instances[name].port}/metrics", timeout=10).text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def terminate(self, name: str) -> int:
        """SIGTERM; the exit code, which must come within the grace period."""
        process = self.instances.pop(name).process
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=self.config.service.grace_seconds)

    def kill(self, name: str) -> None:
        process = self.instances.pop(name).process
        process.send_signal(signal.SIGKILL)
        process.wait()

    def runs(self) -> list[dict[str, Any]]:
        table = schema.runs
        with self.store.connect() as conn:
            rows = conn.execute(
                select(table).where(table.c.job == JOB).order_by(table.c.started_at)
            )
            return [dict(row._mapping) for row in rows]

    def counts(self) -> tuple[int, int]:
        """(records, dead letters) in the store."""
        with self.store.connect() as conn:
            records = conn.execute(select(func.count()).select_from(schema.records)).scalar_one()
            letters = conn.execute(select(func.count()).select_from(schema.dead_letters))
            return int(records), int(letters.scalar_one())


def wait_until(condition: Any, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def started(run: dict[str, Any]) -> datetime:
    return parse_iso(run["started_at"])


@contextmanager
def cluster(
    directory: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
    *,
    size: int,
    schedule: str,
    latency: float = 0.0,
    lease_seconds: float = 60,
    grace_seconds: float = 15,
    partitions: list[str] | str | None = None,
) -> Iterator[Cluster]:
    """A demo directory with only the labor-force persons job (in ``partitions`` when given),
    its simulator running in this process, and the store on PostgreSQL through
    ``GATEWAY__STORE__URL``."""
    data = build_config(DemoContext(directory, size=size))
    platform = data["platforms"]["labor_force"]
    platform["simulator"]["faults"] = {"latency_seconds": latency}
    job = {**data["jobs"][JOB], "schedule": schedule, "batch_size": 100}
    if partitions is not None:
        job["partitions"] = partitions
    data.update(
        platforms={"labor_force": platform},
        jobs={JOB: job},
        logging={"level": "INFO", "format": "json", "file": "logs/gateway.log"},
    )
    data["service"].update(lease_seconds=lease_seconds, grace_seconds=grace_seconds)
    config_path = directory / "gateway.yaml"
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("GATEWAY__STORE__URL", pg_url)
    config = load_config(config_path)
    store = Store(config.store_url)
    env = {**os.environ, "GATEWAY__STORE__URL": pg_url}
    group = Cluster(config_path, config, store, env)
    try:
        with running_simulators(config, only=["labor_force"]):
            yield group
            for name in list(group.instances):
                group.terminate(name)
    finally:
        for name in list(group.instances):
            group.kill(name)
        store.close()
