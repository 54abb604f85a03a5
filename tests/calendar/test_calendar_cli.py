"""``gateway calendar show``, and the calendar's warnings in ``config check`` and ``status``."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import orjson
import pytest
import yaml
from typer.testing import CliRunner

import gateway.cli.config
import gateway.cli.jobs
from gateway.cli.root import app
from tests.helpers.holiday_notices import YEAR_2027

NOVEMBER_FIRST = date(2026, 11, 1)


def write_config(directory: Path, calendar: dict[str, object] | None = None) -> Path:
    path = directory / "gateway.yaml"
    document: dict[str, object] = {
        "version": 1,
        "store": {"url": "sqlite:///gateway.db"},
        "logging": {"file": None},
    }
    if calendar is not None:
        document["calendar"] = calendar
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def test_show_2027_says_its_days_are_statutory_only(tmp_path: Path) -> None:
    """Without a configuration: no source for 2027, provisional, the statutory days listed."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "calendar", "show", "2027"],
        capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "2027: source none: statutory days only (holidays" in done.stdout
    assert "no holiday notice for 2027" in done.stdout
    assert "02-05（五） – 02-08（一）, 4 days" in done.stdout


def test_show_2027_from_the_configuration(tmp_path: Path) -> None:
    """With calendar.years.2027 configured, the days and make-up days come from there."""
    config = write_config(tmp_path, {"years": {2027: YEAR_2027}})
    result = CliRunner().invoke(app, ["calendar", "show", "2027", "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.output)
    assert (shown["source"], shown["known"], shown["config"]) == ("config", True, str(config))
    assert shown["breaks"][1] == ["2027-02-05", "2027-02-13"]
    assert shown["workdays"] == ["2027-02-14"]


def test_show_2026_gives_the_notices_breaks(tmp_path: Path) -> None:
    """2026 from the package: the Spring Festival break is 02-15..02-23, as the notice says."""
    config = write_config(tmp_path)
    result = CliRunner().invoke(app, ["calendar", "show", "2026", "-c", str(config), "--json"])
    shown = orjson.loads(result.output)
    assert shown["source"] == "holidays package"
    assert ["2026-02-15", "2026-02-23"] in shown["breaks"]
    assert shown["workdays"] == [
        "2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10",
    ]  # fmt: skip


@pytest.mark.parametrize("year", ["1900", "twenty"])
def test_show_refuses_a_bad_year(year: str, tmp_path: Path) -> None:
    """A year out of range or not a number is a bad argument: exit 2."""
    config = write_config(tmp_path)
    result = CliRunner().invoke(app, ["calendar", "show", year, "-c", str(config)])
    assert result.exit_code == 2


def test_config_check_warns_from_november_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 1 November 2026 ``config check`` warns that 2027 has no notice; configured: quiet."""
    monkeypatch.setattr(gateway.cli.config, "today", lambda: NOVEMBER_FIRST)
    bare = write_config(tmp_path)
    result = CliRunner().invoke(app, ["config", "check", "-c", str(bare), "--json"])
    assert result.exit_code == 0, result.output
    (warning,) = orjson.loads(result.output)["warnings"]
    assert "2027 has no holiday notice" in warning
    assert "calendar.years.2027" in warning
    monkeypatch.setattr(gateway.cli.config, "today", lambda: date(2026, 10, 31))
    assert orjson.loads(CliRunner().invoke(app, ["config", "check", "-c", str(bare), "--json"])
                        .output)["warnings"] == []  # fmt: skip
    monkeypatch.setattr(gateway.cli.config, "today", lambda: NOVEMBER_FIRST)
    known = write_config(tmp_path, {"years": {2027: YEAR_2027}})
    result = CliRunner().invoke(app, ["config", "check", "-c", str(known)])
    assert result.exit_code == 0
    assert "no holiday notice" not in result.output
    assert "OK" in result.output


def test_config_check_names_a_missing_mapping(tmp_path: Path) -> None:
    """A job whose mapping file does not exist is a problem: exit 2, the job named."""
    path = write_config(tmp_path)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["platforms"] = {"inbox": {"adapter": "files", "options": {"inbox": "in"}}}
    document["jobs"] = {"load": {"source": "inbox.x", "target": "store", "mapping": "nope.yaml"}}
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    result = CliRunner().invoke(app, ["config", "check", "-c", str(path)])
    assert result.exit_code == 2
    assert "jobs.load.mapping" in result.output


def test_status_warns_about_next_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``status`` prints the same warning under its table from 1 November."""
    monkeypatch.setattr(gateway.cli.jobs, "today", lambda: NOVEMBER_FIRST)
    result = CliRunner().invoke(app, ["status", "-c", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "2027 has no holiday notice" in result.output
