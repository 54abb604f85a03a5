"""A fault of the environment outside a run (a read-only store) ends a command in one line
naming the store, the cause and what to do: never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from gateway.store import Store
from simulators.demo.config import DemoContext, write_config


def test_read_only_store_is_one_line_for_sync_state_and_breakers(tmp_path: Path) -> None:
    """SQLite opened read-only: sync, state clear and breakers reset exit 1 with one line."""
    path = write_config(DemoContext(tmp_path, size=20))
    Store(f"sqlite:///{tmp_path / 'gateway.db'}").close()  # the store exists, migrated
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["store"]["url"] = f"sqlite:///file:{tmp_path / 'gateway.db'}?mode=ro&uri=true"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for command in (
        ["sync", "inspection-items-load"],
        ["state", "clear", "labor-persons"],
        ["breakers", "reset", "labor_force"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "gateway", *command, "--config", str(path)],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr + done.stdout
        lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert len(lines) == 1, done.stderr
        assert "gateway.db" in lines[0]
        assert "read-only" in lines[0]
        assert "permissions" in lines[0]
