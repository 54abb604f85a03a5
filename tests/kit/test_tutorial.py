"""docs/adapters/tutorial.md, run as written: its ``sh`` blocks, in order, in one shell, in an
empty directory. The package it installs is uninstalled whatever happens."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.kit.conftest import ROOT, kit_env, run

TUTORIAL = ROOT / "docs" / "adapters" / "tutorial.md"
BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)


def commands() -> list[str]:
    return BLOCK.findall(TUTORIAL.read_text(encoding="utf-8"))


def test_the_tutorial_has_its_steps() -> None:
    text = "".join(commands())
    for step in ("gateway adapters new", "pip install -e", "pytest", "gateway sync",
                 "gateway audit verify", "gateway jobs", "pip uninstall"):  # fmt: skip
        assert step in text


def test_every_command_of_the_tutorial_runs(tmp_path: Path) -> None:
    script = "set -euo pipefail\n" + "\n".join(commands())
    try:
        done = subprocess.run(
            ["bash", "-c", script], cwd=tmp_path, env=kit_env(), capture_output=True,
            text=True, timeout=400, check=False,
        )  # fmt: skip
    finally:
        pid = tmp_path / "social_insurance" / "example" / "simulate.pid"
        if pid.exists():
            subprocess.run(["kill", pid.read_text().strip()], check=False, capture_output=True)
        run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", "social-insurance"], tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    assert "passed" in done.stdout
    assert "social_insurance-registrations  succeeded" in done.stdout
