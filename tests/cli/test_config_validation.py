"""A configuration that sync or the scheduler would refuse is refused at once, by ``config
check`` (every problem, with file, line and key) and by ``status``, ``jobs`` and ``run``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from simulators.demo.config import DemoContext, write_config

Edit = Callable[[dict[str, Any]], None]


def _unknown_stream(data: dict[str, Any]) -> None:
    data["jobs"]["labor-persons"]["source"] = "labor_force.people"


def _unknown_adapter(data: dict[str, Any]) -> None:
    data["platforms"]["labor_force"]["adapter"] = "labour_force"


def _bad_cron(data: dict[str, Any]) -> None:
    data["jobs"]["sn-cases"]["schedule"] = "61 25 * * *"


def _bad_interval(data: dict[str, Any]) -> None:
    data["jobs"]["sn-cases"]["schedule"] = "every 0m"


def _missing_store_directory(data: dict[str, Any]) -> None:
    data["store"]["url"] = "sqlite:///no-such-dir/gateway.db"


def _unknown_platform(data: dict[str, Any]) -> None:
    data["jobs"]["sn-cases"]["source"] = "service_net.cases"


CASES = {
    "unknown stream": (_unknown_stream, "jobs.labor-persons.source", "people"),
    "unknown adapter": (_unknown_adapter, "platforms.labor_force.adapter", "labour_force"),
    "bad cron": (_bad_cron, "jobs.sn-cases.schedule", "61"),
    "bad interval": (_bad_interval, "jobs.sn-cases.schedule", "positive"),
    "missing store directory": (_missing_store_directory, "store.url", "no-such-dir"),
    "unknown platform": (_unknown_platform, "sn-cases", "service_net"),
}


def gateway(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _config(tmp_path: Path, edit: Edit) -> Path:
    path = write_config(DemoContext(tmp_path, size=20))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_config_exits_2_naming_the_key_everywhere(tmp_path: Path, case: str) -> None:
    """config check, status, jobs and run: exit 2, the key named, no traceback; a run never
    starts and no store is created."""
    edit, key, detail = CASES[case]
    path = _config(tmp_path, edit)
    for command in (["config", "check"], ["status"], ["jobs"], ["run"]):
        done = gateway(*command, "--config", str(path))
        output = done.stdout + done.stderr
        assert done.returncode == 2, (command, output)
        assert "Traceback" not in output
        assert key in output, (command, output)
        assert detail in output, (command, output)
    assert not (tmp_path / "no-such-dir").exists()


def test_config_check_lists_every_problem_with_its_line(tmp_path: Path) -> None:
    """Three problems at once: all three listed, each with gateway.yaml:LINE and its key."""

    def edit(data: dict[str, Any]) -> None:
        _unknown_stream(data)
        _bad_cron(data)
        _missing_store_directory(data)

    path = _config(tmp_path, edit)
    lines = path.read_text(encoding="utf-8").splitlines()
    done = gateway("config", "check", "--config", str(path), "--json")
    assert done.returncode == 2
    problems = json.loads(done.stdout)["problems"]
    assert len(problems) == 3, problems
    keys = {"store.url": "url:", "jobs.sn-cases.schedule": "schedule:",
            "jobs.labor-persons.source": "source:"}  # fmt: skip
    for problem in problems:
        assert problem.startswith(f"{path}:")
        line, key = problem.removeprefix(f"{path}:").split(": ")[:2]
        assert lines[int(line) - 1].strip().startswith(keys.pop(key)), problem
    assert not keys
    status = gateway("status", "--config", str(path))
    assert "(and 2 more: gateway config check lists them)" in status.stderr


def test_store_create_true_makes_the_directory(tmp_path: Path) -> None:
    """store.create: true: a store in a new directory is made, not refused."""

    def edit(data: dict[str, Any]) -> None:
        _missing_store_directory(data)
        data["store"]["create"] = True

    path = _config(tmp_path, edit)
    done = gateway("status", "--config", str(path), "--json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "no-such-dir" / "gateway.db").exists()


def test_config_check_finds_secrets_and_mappings_and_pings(tmp_path: Path) -> None:
    """An unresolvable secret and a mapping that does not compile are listed with their keys;
    --ping names a platform nothing answers for, with its URL and the cause."""

    def edit(data: dict[str, Any]) -> None:
        data["platforms"]["labor_force"]["app_secret"] = "env:NO_SUCH_GATEWAY_SECRET"
        data["jobs"]["sn-cases"]["mapping"] = "no/such-mapping.yaml"
        data["platforms"]["inspection"]["base_url"] = "http://127.0.0.1:9"

    path = _config(tmp_path, edit)
    done = gateway("config", "check", "--config", str(path), "--json")
    assert done.returncode == 2
    problems = json.loads(done.stdout)["problems"]
    assert any("platforms.labor_force.app_secret" in p and "NO_SUCH" in p for p in problems)
    assert any("jobs.sn-cases.mapping" in p for p in problems)
    assert not any("base_url" in p for p in problems)
    pinged = gateway("config", "check", "--ping", "--config", str(path), "--json")
    found = json.loads(pinged.stdout)["problems"]
    (refused,) = [p for p in found if "platforms.inspection.base_url" in p]
    assert "http://127.0.0.1:9 cannot be reached: connection refused" in refused


def test_config_check_names_a_job_option_its_stream_refuses(tmp_path: Path) -> None:
    """A typo in a job's options is found by its stream's options model: key and line named."""

    def edit(data: dict[str, Any]) -> None:
        data["jobs"]["verifications-load"]["options"]["settle_secs"] = 1

    path = _config(tmp_path, edit)
    lines = path.read_text(encoding="utf-8").splitlines()
    done = gateway("config", "check", "--config", str(path), "--json")
    assert done.returncode == 2, done.stdout + done.stderr
    [problem] = json.loads(done.stdout)["problems"]
    line, key, message = problem.removeprefix(f"{path}:").split(": ")
    assert key == "jobs.verifications-load.options.settle_secs"
    assert message == "not a known option"
    assert lines[int(line) - 1].strip().startswith("settle_secs:")
