"""Running the ``gateway`` command as an operator would: in a child process, with its environment.

Also the people of the demo's labor-force population, to look for in what the demo leaves behind.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from simulators.labor_force.population import Population

ROOT = Path(__file__).resolve().parents[2]
# What ``gateway demo`` builds by default (simulators.demo.config.DemoContext); tests use this size.
DEMO_SIZE = 300
DEMO_SEED = 2022


def gateway_env(config: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COLUMNS"] = "250"  # wide tables: no number is wrapped across two lines unseen
    if config is not None:
        env["GATEWAY_CONFIG"] = str(config)
    return env


def run_gateway(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, cwd=cwd, timeout=120, check=False,
    )  # fmt: skip


def run_gateway_in(
    args: list[str], cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``gateway ARGS`` in a demo directory, with its ``gateway.yaml`` as the configuration."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd, env=gateway_env(cwd / "gateway.yaml"), input=stdin,
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


@contextmanager
def simulators_running(demo: Path, data: dict[str, Any]) -> Iterator[None]:
    """``gateway simulate`` in the background, until every platform answers."""
    served = subprocess.Popen(
        [sys.executable, "-m", "gateway", "simulate", "--config", str(demo / "gateway.yaml")],
        cwd=demo, env=gateway_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for platform in data["platforms"].values():
            if "simulator" in platform:
                wait_for_port(urlsplit(platform["base_url"]).port or 80)
        yield
    finally:
        served.terminate()
        served.wait(timeout=30)


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.2)
    raise AssertionError(f"no simulator on port {port}")


def demo_population() -> list[dict[str, Any]]:
    """The labor-force people of ``gateway demo --size 300``."""
    population = Population(size=DEMO_SIZE, seed=DEMO_SEED)
    return [population.person(i) for i in range(DEMO_SIZE)]
