"""A sync killed with SIGKILL and run again ends with the same store as an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from sqlalchemy import select

from gateway.config import StoreConfig
from gateway.pipeline import JobRunner
from gateway.store import Store, schema
from gateway.store.records import iter_hashes
from tests.helpers.labor_env import labor_env

SIZE = 6000


def _hashes(store: Store) -> list[tuple[str, str, str]]:
    with store.connect() as conn:
        return list(iter_hashes(conn))


def _read_so_far(store: Store) -> int:
    with store.connect() as conn:
        return sum(conn.execute(select(schema.runs.c.read)).scalars())


def test_sigkill_mid_sync_then_rerun_converges(tmp_path: Path) -> None:
    """Kill -9 after some pages committed; the re-run completes to the uninterrupted store."""
    with labor_env(tmp_path / "demo", SIZE) as env:
        data = yaml.safe_load(env.config_path.read_text(encoding="utf-8"))
        data["jobs"]["labor-persons"]["batch_size"] = 200
        env.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "gateway",
            "sync",
            "labor-persons",
            "--config",
            str(env.config_path),
        ]
        victim = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while _read_so_far(env.store) < 1000 and victim.poll() is None:
            assert time.monotonic() < deadline, "the sync made no progress"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait()
        assert _read_so_far(env.store) < SIZE, "the sync finished before it could be killed"
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

        reference_store = Store(f"sqlite:///{tmp_path / 'reference.db'}")
        reference = env.config.model_copy(
            update={"store": StoreConfig(url=f"sqlite:///{tmp_path / 'reference.db'}")}
        )
        assert JobRunner(reference, reference_store).run("labor-persons").status == "succeeded"
        assert _hashes(env.store) == _hashes(reference_store)
        reference_store.close()


def test_wrong_credentials_fail_with_one_line(tmp_path: Path) -> None:
    """A secret the platform does not know: exit 1, one line, nothing written."""
    with labor_env(tmp_path, 500) as env:
        (tmp_path / "secrets" / "labor-force.txt").write_text(
            "not-the-right-secret", encoding="utf-8"
        )
        command = ["sync", "labor-persons", "--config", str(env.config_path)]
        done = subprocess.run(
            [sys.executable, "-m", "gateway", *command],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 1
        assert "refused our credentials" in done.stdout
        assert "Traceback" not in done.stdout + done.stderr
        assert _hashes(env.store) == []
