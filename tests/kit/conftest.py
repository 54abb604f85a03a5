"""A generated adapter package installed (editable) into this environment for the module that
asks for it, and uninstalled afterwards whatever happened."""

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

ROOT = Path(__file__).resolve().parents[2]


def kit_env(path: str | None = None) -> dict[str, str]:
    """The environment a user's shell would have: this venv's commands first; pip installs
    offline, against what is installed (the build backend is). ``path``: a directory whose
    packages import without being installed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY")}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [path, str(ROOT)]))
    env["COLUMNS"] = "200"
    env["PIP_NO_DEPS"] = "1"
    env["PIP_NO_BUILD_ISOLATION"] = "0"  # pip reads "0" here as: no isolated build
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    return env


def run(
    args: list[str], cwd: Path, timeout: float = 240, env_path: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=kit_env(env_path), capture_output=True, text=True, timeout=timeout,
        check=False,
    )  # fmt: skip


def gateway(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "gateway", *args], cwd)


@contextmanager
def installed(package: Path, distribution: str) -> Iterator[Path]:
    done = run([sys.executable, "-m", "pip", "install", "-q", "-e", str(package)], package.parent)
    try:
        assert done.returncode == 0, done.stderr[-2000:]
        sys.path.insert(0, str(package))
        yield package
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(str(package))
        run([sys.executable, "-m", "pip", "uninstall", "-q", "-y", distribution], package.parent)


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing serves port {port}")
