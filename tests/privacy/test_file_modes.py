"""Every file the gateway creates is 0600 and every folder 0700, under an operator's umask 022.

The demo (store, WAL, reserve, logs, secrets, processed inbox files), a refused inbox file and
its reason file, an audit export and an ``audit show --payload --out`` file are all created by
commands started with umask 022; then ``status`` warns about a store someone made readable.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers.gateway_cli import gateway_env, simulators_running

SIZE = 200


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def _gateway(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """The command as an operator starts it: a new process with the umask it inherits."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        cwd=cwd,
        env=gateway_env(cwd / "gateway.yaml" if (cwd / "gateway.yaml").exists() else None),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _modes(root: Path) -> dict[str, int]:
    return {
        str(path.relative_to(root)): stat.S_IMODE(path.lstat().st_mode)
        for path in [root, *root.rglob("*")]
    }


def test_every_file_created_is_private_under_umask_022(tmp_path: Path, umask_022: None) -> None:
    """Demo, a refused file, an export, a payload file: files 0600, folders 0700."""
    demo = tmp_path / "demo"
    done = _gateway(["demo", "--dir", str(demo), "--size", str(SIZE)], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    config = demo / "gateway.yaml"
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["audit"]["archive_payloads"] = True
    config.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    os.chmod(config, 0o600)  # written by this test, not by the gateway
    (demo / "inbox" / "inspection-items-2099.csv").write_bytes(b"\xff\xfe\x00 not a table")
    with simulators_running(demo, data):
        pulled = _gateway(["sync", "labor-persons"], demo)
        assert pulled.returncode in (0, 1), pulled.stdout + pulled.stderr
    for args in (
        ["sync", "inspection-items-load"],
        ["audit", "export", str(demo / "exports" / "audit.jsonl")],
    ):
        ran = _gateway(args, demo)
        assert ran.returncode in (0, 1), ran.stdout + ran.stderr
    listing = _gateway(["audit", "search", "--json", "--limit", "1000"], demo)
    seqs = [
        e["seq"]
        for e in yaml.safe_load(listing.stdout)
        if e["job"] == "labor-persons" and e.get("response_digest")
    ]
    out = demo / "payload.bin"
    shown = _gateway(
        ["audit", "show", str(max(seqs)), "--payload", "response", "--out", str(out)], demo
    )
    assert shown.returncode == 0, shown.stderr
    modes = _modes(demo)
    assert any(name.endswith(".reason.txt") for name in modes), sorted(modes)
    assert any(name.startswith("inbox/processed/") for name in modes)
    assert any(name.startswith("exports/") for name in modes)
    assert "gateway.db" in modes
    assert "payload.bin" in modes
    assert any(name.startswith("audit-archive/") for name in modes)
    assert "logs/gateway.log" in modes
    wrong = {
        name: oct(mode)
        for name, mode in modes.items()
        if mode != (0o700 if (demo / name).is_dir() else 0o600)
    }
    assert wrong == {}


def test_status_warns_about_a_readable_store(tmp_path: Path, umask_022: None) -> None:
    """A store or log someone opened to the group or the world is named, with the fix."""
    demo = tmp_path / "demo"
    assert _gateway(["demo", "--dir", str(demo), "--size", str(SIZE)], tmp_path).returncode == 0
    quiet = _gateway(["status"], demo)
    assert "-readable" not in quiet.stdout
    os.chmod(demo / "gateway.db", 0o644)
    os.chmod(demo / "logs" / "gateway.log", 0o640)
    warned = _gateway(["status"], demo)
    assert f"{demo / 'gateway.db'} is world-readable" in warned.stdout
    assert f"{demo / 'logs' / 'gateway.log'} is group-readable" in warned.stdout
    assert "chmod 600" in warned.stdout
