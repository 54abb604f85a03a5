"""What a command imports: ``gateway --help`` and ``gateway status`` load no adapter, no
simulator, not the package writer of ``gateway adapters new`` and not openpyxl (an export
job's); the adapters' own commands are found when they are named, and the pipeline runner
loads openpyxl only when an export writes a workbook. Each check runs in a fresh interpreter
(this one has imported everything already)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.helpers.audit import write_config
from tests.helpers.paths import ROOT

_PROBE = """
import json, sys
from gateway.cli.root import main
sys.argv = ["gateway", *json.loads(sys.argv[1])]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
# Loaded only by the command that needs them.
_ON_DEMAND = ("adapters", "simulators", "gateway.scaffold.package", "openpyxl")


def _loaded(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args)],
        cwd=cwd, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout.splitlines()[-1])
    heavy = [m for m in answer["modules"] if m.partition(".")[0] in _ON_DEMAND or m in _ON_DEMAND]
    return answer["code"], heavy


def test_help_imports_no_adapter_nor_the_scaffold() -> None:
    code, heavy = _loaded(["--help"], ROOT)
    assert code == 0
    assert heavy == []


def test_status_imports_no_adapter_nor_the_scaffold(tmp_path: Path) -> None:
    write_config(tmp_path, "sqlite:///gateway.db")
    code, heavy = _loaded(["status", "--config", str(tmp_path / "gateway.yaml")], tmp_path)
    assert code == 0
    assert heavy == []


def test_an_adapters_own_commands_are_found_when_named() -> None:
    code, heavy = _loaded(["files", "--help"], ROOT)
    assert code == 0
    assert "adapters.files.commands" in heavy
    assert not [m for m in heavy if m.startswith(("adapters.labor_force", "simulators"))]


def test_the_reports_are_found_when_asked_for() -> None:
    code, heavy = _loaded(["report", "--help"], ROOT)
    assert code == 0
    assert "adapters.labor_force.report" in heavy


def test_the_pipeline_runner_leaves_openpyxl_to_the_export() -> None:
    probe = "import sys, gateway.pipeline.runner; print('openpyxl' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"
