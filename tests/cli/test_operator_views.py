"""``gateway status``, ``jobs`` and ``runs``: history per job, next due times, JSON, 80 columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gateway.cli.root import app
from gateway.clock import utc_now_iso
from gateway.store import Store, schema
from simulators.demo.config import DemoContext, write_config


def _config(tmp_path: Path, store_url: str) -> Path:
    path = write_config(DemoContext(tmp_path, size=50))
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["store"]["url"] = store_url
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _history(store_url: str) -> None:
    """labor-persons: a success then a failure; sn-cases: one partial with an open letter."""
    store = Store(store_url)
    first = store.start_run("labor-persons", "host:1", None)
    with store.transaction() as conn:
        store.add_run_counts(conn, first, {"read": 50, "inserted": 48, "rejected": 2})
        store.finish_run(conn, first, "succeeded", None)
    second = store.start_run("labor-persons", "host:1", None)
    with store.transaction() as conn:
        store.finish_run(conn, second, "failed", "platform unreachable (platform=labor_force)")
    third = store.start_run("sn-cases", "host:1", None)
    now = utc_now_iso()
    with store.transaction() as conn:
        store.finish_run(conn, third, "partial", "1 input(s) could not be read")
        conn.execute(
            schema.dead_letters.insert().values(
                job="sn-cases",
                run_id=third,
                entity="case",
                source="page 1",
                identity="x",
                raw="{}",
                reasons="[]",
                rules="a:b",
                created_at=now,
                updated_at=now,
            )
        )
    store.close()


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_status_json_round_trip(tmp_path: Path, store_url: str) -> None:
    """status --json parses (no quoted_name keys), with the last run, last success, next due
    time and open dead letters per job, times in UTC."""
    config = _config(tmp_path, store_url)
    _history(store_url)
    rows = {row["job"]: row for row in json.loads(_invoke("status", "-c", str(config), "--json"))}
    persons = rows["labor-persons"]
    assert persons["last_run"]["status"] == "failed"
    assert "unreachable" in persons["last_run"]["error"]
    assert persons["last_success"]["status"] == "succeeded"
    assert persons["last_success"]["read"] == 50
    assert persons["last_success"]["started_at"].endswith("Z")
    assert persons["next_due"].endswith("Z")
    assert rows["sn-cases"]["open_dead_letters"] == 1
    assert rows["sn-cases"]["last_success"] is None
    assert rows["inspection-tasks"]["last_run"] is None


def test_runs_json_filters_by_job_last_and_since(tmp_path: Path, store_url: str) -> None:
    """runs --json: newest first, typed counts, --last and --since honoured, one job's runs."""
    config = _config(tmp_path, store_url)
    _history(store_url)
    every = json.loads(_invoke("runs", "-c", str(config), "--json"))
    assert [r["job"] for r in every] == ["sn-cases", "labor-persons", "labor-persons"]
    persons = json.loads(_invoke("runs", "labor-persons", "-c", str(config), "--json"))
    assert [r["status"] for r in persons] == ["failed", "succeeded"]
    assert persons[1]["inserted"] == 48
    assert isinstance(persons[1]["seconds"], float)
    assert len(json.loads(_invoke("runs", "--last", "1", "-c", str(config), "--json"))) == 1
    future = json.loads(_invoke("runs", "--since", "2999-01-01", "-c", str(config), "--json"))
    assert future == []
    recent = json.loads(_invoke("runs", "--since", "1h", "-c", str(config), "--json"))
    assert len(recent) == 3


def test_jobs_json_has_next_due_and_dependencies_as_lists(tmp_path: Path) -> None:
    """jobs --json: next due time in UTC from the trigger, depends_on a list."""
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'g.db'}")
    rows = {r["job"]: r for r in json.loads(_invoke("jobs", "-c", str(config), "--json"))}
    assert rows["sn-handling"]["depends_on"] == ["sn-cases"]
    assert rows["labor-persons"]["next_due"].endswith("Z")


def _at_80(*args: str) -> str:
    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    return done.stdout


def test_tables_at_80_columns_keep_every_job_name_and_outcome_whole(tmp_path: Path) -> None:
    """COLUMNS=80: status, jobs and runs wrap free text but print every job name and outcome
    whole, and say which time zone their times are in."""
    url = f"sqlite:///{tmp_path / 'g.db'}"
    config = _config(tmp_path, url)
    _history(url)
    names = yaml.safe_load(config.read_text(encoding="utf-8"))["jobs"]
    status = _at_80("status", "-c", str(config))
    jobs = _at_80("jobs", "-c", str(config))
    runs = _at_80("runs", "-c", str(config))
    for name in names:
        assert f"{name} " in status
        assert f"{name} " in jobs
    for outcome in ("failed", "partial", "never run"):
        assert f" {outcome} " in status
    for outcome in ("failed", "succeeded", "partial"):
        assert f" {outcome} " in runs
    assert "labor-persons" in runs
    assert "sn-cases" in runs
    assert "Asia/Shanghai (UTC+08:00)" in status


def test_adapters_list_json_gives_streams_as_lists() -> None:
    """adapters list --json: stream names as lists; the files adapter says it takes any name."""
    rows = {r["adapter"]: r for r in json.loads(_invoke("adapters", "list", "--json"))}
    assert rows["labor_force"]["pull"] == ["persons"]
    assert "verifications" in rows["labor_force"]["push"]
    assert isinstance(rows["labor_force"]["push"], list)
    assert rows["service_network"]["pull"] == ["cases"]
    assert rows["bureau_handling"]["pull"] == ["handling"]
    assert rows["files"]["any_stream"] is True
    assert rows["labor_force"]["any_stream"] is False


def test_mappings_check_and_leases_at_80_columns(tmp_path: Path) -> None:
    """COLUMNS=80: mappings check names every shipped mapping file whole with its outcome;
    leases name every job whole, times in the configured zone."""
    from mappings import MAPPINGS_DIR

    checked = _at_80("mappings", "check")
    for path in sorted(MAPPINGS_DIR.rglob("*.yaml")):
        assert f"✓ {path.relative_to(MAPPINGS_DIR)} OK" in checked
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'g.db'}")
    leases = _at_80("leases", "-c", str(config))
    for name in yaml.safe_load(config.read_text(encoding="utf-8"))["jobs"]:
        assert f"{name} " in leases
    assert "Asia/Shanghai" in leases
