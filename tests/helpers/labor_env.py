"""A demo working directory with the labor-force simulator running, for end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from gateway.config import GatewayConfig, load_config
from gateway.pipeline import JobRunner, RunSummary
from gateway.store import Store
from gateway.store.keyring import data_sealer
from simulators.demo.config import DemoContext, write_config
from simulators.serve import running_simulators


@dataclass
class LaborEnv:
    config_path: Path
    config: GatewayConfig
    store: Store
    sim_url: str

    def run(self, job: str) -> RunSummary:
        return JobRunner(self.config, self.store).run(job)

    def sim(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = httpx.request(method, f"{self.sim_url}{path}", timeout=30, **kwargs)  # type: ignore[arg-type]
        response.raise_for_status()
        return response


@contextmanager
def labor_env(
    directory: Path,
    size: int = 3000,
    seed: int = 2022,
    store_url: str | None = None,
    *,
    encrypted: bool = True,
) -> Iterator[LaborEnv]:
    """``store_url`` replaces the demo's SQLite store (in ``config``, not in the file);
    ``encrypted=False`` writes the demo's configuration without its data key."""
    config_path = write_config(DemoContext(directory, size=size, seed=seed))
    if not encrypted:
        document = yaml.safe_load(config_path.read_text("utf-8"))
        document["store"].pop("encryption", None)
        config_path.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")
    config = load_config(config_path)
    if store_url is not None:
        store = config.store.model_copy(update={"url": store_url})
        config = config.model_copy(update={"store": store})
    store = Store(config.store_url, sealer=data_sealer(config))
    try:
        with running_simulators(config, only=["labor_force"]) as urls:
            yield LaborEnv(config_path, config, store, urls["labor_force"])
    finally:
        store.close()
