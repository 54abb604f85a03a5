"""The offline (air-gapped) install bundle: a wheelhouse installs into a fresh environment
without an index, and the command runs. Slow (it builds every wheel and needs the package
index to do so), so it runs when GATEWAY_TEST_BUNDLE=1, as CI sets it."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

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


def test_wheelhouse_installs_offline_and_runs(tmp_path: Path) -> None:
    """`pip wheel` (as `make wheelhouse`), then `pip install --no-index` in a fresh venv;
    `gateway --help` lists the service command."""
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
    helped = run(fresh / "bin" / "gateway", "--help")
    assert "run" in helped.stdout
    assert "leases" in helped.stdout
