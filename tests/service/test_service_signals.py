"""SIGTERM handling of the service process, with a stand-in job that honours its stop event or
ignores it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from gateway.store import Store, schema

SERVICE = """
import sys, time
from gateway.config import load_config
from gateway.logging import configure_logging
from gateway.service import Service
from gateway.store import Store

config = load_config(sys.argv[1])
configure_logging("INFO", "json")  # to stderr: stdout carries "running" to the test
store = Store(config.store_url)
honour_stop = sys.argv[2] == "honour"

class Outcome:
    seconds = 0.0
    inserted = updated = unchanged = rejected = retried = 0
    def __init__(self, status):
        self.status = status

def execute(job, stop, progress, observe):
    run_id = store.start_run(job, "sig", None)
    print("running", flush=True)
    while not (honour_stop and stop.is_set()):
        time.sleep(0.05)  # one "batch"
    with store.transaction() as conn:
        store.finish_run(conn, run_id, "interrupted", None)
    return Outcome("interrupted")

sys.exit(Service(config, store, execute, instance="sig").run_until_signalled())
"""


def start(tmp_path: Path, behaviour: str) -> tuple[subprocess.Popen[str], Path]:
    """The service in a subprocess, once its first run is under way."""
    database = tmp_path / "store.db"
    config = tmp_path / "gateway.yaml"
    config.write_text(
        f"store: {{url: 'sqlite:///{database}'}}\n"
        "logging: {file: null}\n"
        "service: {metrics_port: 0, grace_seconds: 2}\n"
        "platforms: {inbox: {adapter: files}}\n"
        "jobs: {loads: {source: inbox.things, target: store, mapping: m, schedule: every 1s}}\n",
        encoding="utf-8",
    )
    process = subprocess.Popen(
        [sys.executable, "-c", SERVICE, str(config), behaviour],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "running":
        process.kill()
        process.communicate()
        pytest.fail("the service did not start its run")
    return process, database


def statuses(database: Path) -> list[str]:
    store = Store(f"sqlite:///{database}")
    with store.connect() as conn:
        found = list(conn.execute(select(schema.runs.c.status)).scalars())
    store.close()
    return found


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_run_and_exits_zero(tmp_path: Path, sig: signal.Signals) -> None:
    """The run in flight is asked to stop, ends, and the process exits 0 within the grace."""
    process, database = start(tmp_path, "honour")
    with process:
        process.send_signal(sig)
        assert process.wait(timeout=2) == 0
    assert statuses(database) == ["interrupted"]


def test_a_run_that_outlives_the_grace_period_is_abandoned(tmp_path: Path) -> None:
    """A run that ignores its stop event does not keep the process: exit 1 when grace ends,
    the run left 'running' for the next lease holder to close."""
    process, database = start(tmp_path, "ignore")
    with process:
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        assert process.wait(timeout=10) == 1
        assert time.monotonic() - signalled >= 1.5  # it did wait for the run, most of the grace
    assert statuses(database) == ["running"]
