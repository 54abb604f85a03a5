"""What the resilience tests share: a working directory with its gateway.yaml, the labor-force
simulator on a real socket, the bureau's verification file, and the expected final state.

Everything is derived from seeds that the tests print, so a failure can be replayed.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import orjson
import structlog
import yaml

from gateway.config import GatewayConfig, load_config
from gateway.mapping import load_mapping
from gateway.pipeline.context import content_hash
from gateway.store import Store
from gateway.store.keyring import data_sealer
from gateway.store.records import iter_hashes
from mappings import MAPPINGS_DIR
from simulators.demo.config import free_port
from simulators.labor_force.population import Population
from simulators.serve import running_simulators

PERSONS_JOB = "labor-persons"
LOAD_JOB = "verifications-load"
PUSH_JOB = "labor-verifications-push"
PERSONS_MAPPING = MAPPINGS_DIR / "labor_force" / "persons.yaml"
EMPLOYMENT_LABELS = ("已就业", "未就业", "自主创业", "灵活就业", "务农", "其他")
STATUS_LABELS = ("已核查", "已核查", "已核查", "核查异常")
GATEWAY = [sys.executable, "-m", "gateway"]


@dataclass
class World:
    """A gateway working directory against one simulated labor-force platform."""

    directory: Path
    size: int
    seed: int

    @property
    def config_path(self) -> Path:
        return self.directory / "gateway.yaml"

    @property
    def config(self) -> GatewayConfig:
        return load_config(self.config_path)

    @property
    def url(self) -> str:
        return str(self.config.platforms["labor_force"].base_url)

    def store(self) -> Store:
        return Store(self.config.store_url, sealer=data_sealer(self.config))

    def sim(self, path: str, body: Any = None) -> Any:
        """A harness call (``/_sim/...``): GET, or POST when a body is given."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            response = client.post(path, json=body) if body is not None else client.get(path)
        response.raise_for_status()
        return response.json()

    def set_faults(self, **faults: Any) -> None:
        self.sim("/_sim/faults", {"seed": self.seed, **faults})

    @contextmanager
    def simulator(self) -> Iterator[str]:
        with running_simulators(self.config) as urls:
            yield urls["labor_force"]

    def gateway(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """The real command line, in its own process."""
        return subprocess.run(
            [*GATEWAY, *args, "--config", str(self.config_path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            check=False,
        )


def make_world(
    directory: Path,
    *,
    size: int,
    seed: int,
    page_size: int = 250,
    push_batch: int = 50,
    faults: dict[str, Any] | None = None,
    platform: dict[str, Any] | None = None,
    persons_mapping: Path | None = None,
    push_mapping: Path | None = None,
) -> World:
    """Write ``gateway.yaml``, its secrets and an empty inbox; the simulator is not started."""
    directory.mkdir(parents=True, exist_ok=True)
    secrets = directory / "secrets"
    secrets.mkdir(exist_ok=True)
    (secrets / "audit.key").write_text(f"audit-key-for-tests-{seed:08d}", encoding="utf-8")
    (secrets / "labor-force.txt").write_text(f"labor-force-secret-{seed}", encoding="utf-8")
    (directory / "inbox").mkdir(exist_ok=True)
    labor_force: dict[str, Any] = {
        "adapter": "labor_force",
        "base_url": f"http://127.0.0.1:{free_port()}",
        "app_key": "bureau-test",
        "app_secret": "file:secrets/labor-force.txt",
        "rate_limit": {"per_second": 1000, "burst": 1000},
        "retry": {"max_attempts": 8, "max_seconds": 30, "initial_backoff": 0.05,
                  "max_backoff": 0.5, "jitter": 0.05},
        "simulator": {"size": size, "seed": seed, "faults": {"seed": seed, **(faults or {})}},
        **(platform or {}),
    }  # fmt: skip
    config = {
        "version": 1,
        "store": {"url": "sqlite:///store.db"},
        "audit": {"key": "file:secrets/audit.key"},
        "logging": {"level": "WARNING", "format": "json", "file": "logs/gateway.log"},
        "platforms": {
            "labor_force": labor_force,
            "inbox": {"adapter": "files", "options": {"inbox": "inbox", "outbox": "outbox"}},
        },
        "jobs": {
            PERSONS_JOB: {
                "source": "labor_force.persons",
                "target": "store",
                "mapping": str(persons_mapping or PERSONS_MAPPING),
                "batch_size": page_size,
            },
            LOAD_JOB: {
                "source": "inbox.verifications",
                "target": "store",
                "mapping": "files/verifications.yaml",
                "options": {"pattern": "verifications*.csv", "settle_seconds": 0.2},
            },
            PUSH_JOB: {
                "source": "store",
                "target": "labor_force.verifications",
                "mapping": str(push_mapping or "labor_force/verifications.push.yaml"),
                "batch_size": push_batch,
            },
        },
    }
    (directory / "gateway.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return World(directory, size, seed)


def write_verifications(
    world: World, *, every: int = 5, strangers: int = 0, long_checker: int = 0
) -> int:
    """The bureau's result file for every ``every``-th valid person, plus ``strangers`` valid ID
    numbers the platform does not know and ``long_checker`` rows whose checker name is longer
    than the platform takes. Returns how many rows map cleanly (all of them)."""
    population = Population(size=world.size, seed=world.seed)
    checked_at = datetime(2024, 11, 2, 9, 0, 0)  # well in the past: times must not be future
    rows: list[list[str]] = []
    for n, index in enumerate(range(0, world.size, every)):
        if population.invalid_kind(index) is not None:
            continue
        rows.append(_row(population.person(index)["AAC002"], n, checked_at))
    other = Population(size=world.size, seed=world.seed + 1)
    added = 0
    for index in range(world.size):
        if added == strangers:
            break
        id_number = other.person(index)["AAC002"]
        if other.invalid_kind(index) is None and population.index_of(id_number) is None:
            rows.append(_row(id_number, 10_000 + added, checked_at))
            added += 1
    for n in range(long_checker):
        row = _row(population.person(1 + n * 3)["AAC002"], 20_000 + n, checked_at)
        if population.invalid_kind(1 + n * 3) is None:
            row[5] = "核查员" * 20
            rows.append(row)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["身份证号", "核查状态", "就业状态", "工作地点", "核查时间", "核查人"])
    writer.writerows(rows)
    path = world.directory / "inbox" / "verifications-test.csv"
    path.write_bytes(buffer.getvalue().encode("gb18030"))
    return len(rows)


def _row(id_number: str, n: int, start: datetime) -> list[str]:
    return [
        id_number,
        STATUS_LABELS[n % len(STATUS_LABELS)],
        EMPLOYMENT_LABELS[n % len(EMPLOYMENT_LABELS)],
        "贵州省凯里市经济开发区",
        (start + timedelta(minutes=3 * n)).strftime("%Y-%m-%d %H:%M:%S"),
        f"核查员{n % 9 + 1:02d}",
    ]


class Fingerprint(NamedTuple):
    """A count and a digest of many rows: compared like the rows, but a failing assertion
    prints no record key (keys are ID numbers, even if simulated ones)."""

    rows: int
    sha256: str


def fingerprint(rows: Iterable[Any]) -> Fingerprint:
    ordered = sorted(rows)
    return Fingerprint(len(ordered), hashlib.sha256(repr(ordered).encode()).hexdigest())


def expected_persons(
    size: int, seed: int, mapping: Path = PERSONS_MAPPING
) -> tuple[Fingerprint, int]:
    """The fingerprint of (entity, key, content hash) of every person a complete pull stores,
    and how many persons it dead-letters: computed from the population without any HTTP."""
    compiled = load_mapping(mapping)
    population = Population(size=size, seed=seed)
    found: dict[str, str] = {}
    rejected = 0
    for index in range(size):
        result = compiled.map(population.person(index))
        if result.ok and result.record is not None and result.key:
            payload = orjson.dumps(result.record, option=orjson.OPT_SORT_KEYS)
            found[result.key] = content_hash(payload)
        else:
            rejected += 1
    return fingerprint((compiled.entity, k, h) for k, h in found.items()), rejected


def reset_logging() -> None:
    """Undo what an in-process CLI command configured: its console handler writes to a stream
    the CLI test runner closes afterwards."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()


def hashes(store: Store, entity: str | None = None) -> Fingerprint:
    """What ``iter_hashes`` gives, for comparing two stores (or a store and the expectation)."""
    with store.connect() as conn:
        return fingerprint(iter_hashes(conn, entity))
