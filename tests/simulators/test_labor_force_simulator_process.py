"""The labor-force simulator as its own process, as the benchmark starts it (integration)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from simulators.kit import signed_client

KEY = "bench"
SECRET = "process-test-secret"


@pytest.fixture
def simulator() -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``python -m simulators.labor_force.simulator`` on port 0, and the URL it printed."""
    env = {**os.environ, "LABOR_SIM_SECRET": SECRET}
    command = [
        sys.executable,
        "-m",
        "simulators.labor_force.simulator",
        "--port",
        "0",
        "--size",
        "1000",
        "--seed",
        "3",
        "--app-key",
        KEY,
        "--secret-env",
        "LABOR_SIM_SECRET",
        "--busy-rate",
        "0",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_module_prints_its_url_and_serves_signed_requests(
    simulator: tuple[subprocess.Popen[str], str],
) -> None:
    """The printed URL serves the signed API as soon as it is printed; SIGTERM stops it."""
    process, url = simulator
    assert url.startswith("http://127.0.0.1:")
    with signed_client(url, KEY, SECRET.encode()) as client:
        envelope = client.get("/api/v1/persons", params={"page_size": 1000}).json()
    assert envelope["code"] == "0"
    assert len(envelope["data"]["items"]) == 1000
    assert envelope["data"]["has_more"] is False
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught: killed by SIGTERM.
    assert process.wait(timeout=10) in (0, -signal.SIGTERM)


def test_missing_secret_variable_exits_with_a_message() -> None:
    """An unset --secret-env variable: exit code 2 and a message naming the variable."""
    env = {k: v for k, v in os.environ.items() if k != "LABOR_SIM_UNSET"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulators.labor_force.simulator",
            "--app-key",
            KEY,
            "--secret-env",
            "LABOR_SIM_UNSET",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "LABOR_SIM_UNSET" in result.stderr
    assert "Traceback" not in result.stderr
