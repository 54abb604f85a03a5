"""The offline (air-gapped) install bundle: a wheelhouse installs into a fresh environment
without an index, and the command runs. The bundle is the runtime install (no extras): it has
no web framework, syncs against a simulator served from the development environment, and
`gateway demo` names the extra it needs. Slow (it builds every wheel and needs the package
index to do so), so it runs when GATEWAY_TEST_BUNDLE=1, as CI sets it."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from gateway.config import load_config
from simulators.demo.config import DemoContext, write_config
from simulators.serve import running_simulators
from tests.helpers.paths import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.environ.get("GATEWAY_TEST_BUNDLE") != "1",
        reason="builds every wheel; GATEWAY_TEST_BUNDLE=1",
    ),
    pytest.mark.timeout(900),
]


def run(*command: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, timeout=800, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip wheel` (as `make wheelhouse`), then `pip install --no-index` in a fresh venv: the
    venv's bin directory."""
    tmp_path = tmp_path_factory.mktemp("bundle")
    wheelhouse = tmp_path / "wheelhouse"
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet",
        "-c", ROOT / "constraints.txt", "-w", wheelhouse, ROOT,
    )  # fmt: skip
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    run(
        fresh / "bin" / "python", "-m", "pip", "install", "--quiet",
        "--no-index", "--find-links", wheelhouse, "gov-exchange-gateway",
    )  # fmt: skip
    return fresh / "bin"


def test_wheelhouse_installs_offline_and_runs(fresh: Path) -> None:
    """`gateway --help` of the offline install lists the service command."""
    helped = run(fresh / "gateway", "--help")
    assert "run" in helped.stdout
    assert "leases" in helped.stdout


def test_the_runtime_install_has_no_web_framework(fresh: Path) -> None:
    """Neither FastAPI nor uvicorn comes with the runtime; `gateway simulate` and
    `gateway demo` say in one line which extra brings them, and exit 2."""
    for module in ("fastapi", "uvicorn"):
        imported = subprocess.run(
            [fresh / "python", "-c", f"import {module}"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert imported.returncode != 0, module
        assert "ModuleNotFoundError" in imported.stderr
    for command in ("demo", "simulate"):
        done = subprocess.run(
            [fresh / "gateway", command], capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.strip() == (
            f"gateway {command} needs the simulators: pip install 'gov-exchange-gateway[sim]'"
        )


def test_the_runtime_install_syncs_against_a_simulator(fresh: Path, tmp_path: Path) -> None:
    """The labor-force simulator served from this (development) environment; `gateway sync`
    of the runtime install reads its population."""
    config_path = write_config(DemoContext(tmp_path, size=500, seed=2022))
    with running_simulators(load_config(config_path), only=["labor_force"]):
        synced = run(fresh / "gateway", "sync", "labor-persons", "--config", config_path)
    assert "500 read" in synced.stdout, synced.stdout
