"""On by default: the demo signs checkpoints into a witness file, and both verifiers use them."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import orjson
from typer.testing import CliRunner

from gateway.audit.witnesses import read_lines
from tests.helpers.audit import run_cli
from tests.helpers.paths import ROOT

TOOL = ROOT / "tools" / "verify_export.py"


def test_demo_log_is_witnessed_and_its_export_verifies_independently(tmp_path: Path) -> None:
    """After the demo: verify compares with the witness; a fresh export passes the independent
    verifier with the demo's public key alone; the private key is 0600."""
    from gateway.cli.root import app

    directory = tmp_path / "demo"
    done = CliRunner().invoke(app, ["demo", "--dir", str(directory), "--size", "500"])
    assert done.exit_code == 0, done.output
    assert "signed checkpoints" in done.output
    config = directory / "gateway.yaml"
    private = directory / "secrets" / "checkpoint.pem"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    witness = directory / "witness" / "checkpoints.jsonl"
    assert stat.S_IMODE(witness.stat().st_mode) == 0o600
    lines = list(read_lines(witness))
    assert lines
    assert all(line.checkpoint is not None for line in lines)

    verified = run_cli(["verify", "--config", str(config), "--json"])
    assert verified.exit_code == 0, verified.stdout
    report = orjson.loads(verified.stdout)
    assert report["checkpoints"][0]["witness"] == f"file:{witness}"
    assert report["checkpoints"][0]["seq"] == report["last_seq"]

    checked = run_cli(["witness", "verify", str(witness), "--config", str(config)])
    assert checked.exit_code == 0, checked.stdout

    out = tmp_path / "audit.jsonl"
    assert run_cli(["export", str(out), "--config", str(config)]).exit_code == 0
    public = directory / "checkpoint.pub.pem"
    independent = subprocess.run(
        [sys.executable, str(TOOL), str(out), "--public-key", str(public)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert independent.returncode == 0, independent.stdout + independent.stderr
