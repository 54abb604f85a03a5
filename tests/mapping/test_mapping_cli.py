"""``gateway mappings`` commands: check, test, explain, diff."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import orjson
from typer.testing import CliRunner

from gateway.cli.mappings import app
from mappings import MAPPINGS_DIR
from tests.helpers.mapping import make_id, write_mapping

runner = CliRunner()
PERSONS = MAPPINGS_DIR / "labor_force" / "persons.yaml"
ID = make_id()


def sample(tmp_path: Path) -> Path:
    good = {"AAC002": ID, "AAC003": "张三", "AAC004": "1", "AAC005": "01", "AAC006": "19900307"}
    bad = {**good, "AAC005": "77"}
    path = tmp_path / "persons.jsonl"
    path.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in (good, bad)), encoding="utf-8"
    )
    return path


def test_check_shipped_mappings() -> None:
    """check without files checks every shipped mapping and exits 0."""
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_check_reports_file_line_column(tmp_path: Path) -> None:
    """check names the file, line and column of each problem and exits 1."""
    path = write_mapping(tmp_path, "fields:\n  id: {source: x, transforms: [strp]}\n")
    result = runner.invoke(app, ["check", str(path), "--json"])
    assert result.exit_code == 1
    problem = orjson.loads(result.output)["problems"][0]
    assert (problem["line"], problem["column"]) == (7, 32)
    assert problem["file"] == str(path)
    assert "strp" in problem["message"]
    table = runner.invoke(app, ["check", str(path)])
    assert table.exit_code == 1
    assert "strp" in table.output


def test_test_command_masks_and_exits_1_on_rejects(tmp_path: Path) -> None:
    """test maps samples, shows masked keys and reasons, and exits 1 when one is rejected."""
    result = runner.invoke(app, ["test", str(PERSONS), "--input", str(sample(tmp_path))])
    assert result.exit_code == 1
    assert ID not in result.output
    assert ID[:3] + "*" * 11 + ID[-4:] in result.output
    assert "code_table" in result.output


def test_test_command_json(tmp_path: Path) -> None:
    """test --json gives masked records and a summary."""
    result = runner.invoke(app, ["test", str(PERSONS), "-i", str(sample(tmp_path)), "--json"])
    data = orjson.loads(result.output)
    assert data["summary"] == {
        "records": 2, "ok": 1, "rejected": 1, "with_warnings": 0, "with_notes": 0
    }  # fmt: skip
    assert data["results"][0]["record"]["name"] == "张*"
    assert data["results"][1]["errors"][0]["field"] == "ethnicity"


def test_test_command_csv_gb18030(tmp_path: Path) -> None:
    """A GB18030 CSV with Chinese headers is read and mapped."""
    path = tmp_path / "v.csv"
    with path.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["身份证号", "核查状态", "就业状态", "工作地点", "核查时间", "核查人"])
        writer.writerow([ID, "已核查", "1", "凯里市", "2024-03-01 09:30:00", "李四"])
    mapping = MAPPINGS_DIR / "files" / "verifications.yaml"
    result = runner.invoke(app, ["test", str(mapping), "-i", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 ok" in result.output


def test_test_command_xlsx(tmp_path: Path) -> None:
    """An XLSX sample is read from its first sheet."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["AAC002", "AAC003"])
    sheet.append([ID, "张三"])
    path = tmp_path / "p.xlsx"
    workbook.save(path)
    result = runner.invoke(app, ["test", str(PERSONS), "-i", str(path), "--json"])
    assert result.exit_code == 0, result.output


def test_explain() -> None:
    """explain lists every field with source, type and steps."""
    result = runner.invoke(app, ["explain", str(PERSONS)])
    assert result.exit_code == 0
    for word in ("labor_force.persons", "AAC002", "resident_id", "birth_date"):
        assert word in result.output


def test_diff(tmp_path: Path) -> None:
    """diff shows records that map differently and exits 1; identical mappings exit 0."""
    changed = tmp_path / "persons.yaml"
    changed.write_text(
        PERSONS.read_text(encoding="utf-8").replace("code_table: ethnicity", "code_table: gender"),
        encoding="utf-8",
    )
    samples = sample(tmp_path)
    same = runner.invoke(app, ["diff", str(PERSONS), str(PERSONS), "-i", str(samples)])
    assert same.exit_code == 0
    assert "map the same" in same.output
    result = runner.invoke(app, ["diff", str(PERSONS), str(changed), "-i", str(samples), "--json"])
    assert result.exit_code == 1
    assert orjson.loads(result.output)["changed"] == 1


def test_broken_mapping_is_a_clear_error(tmp_path: Path) -> None:
    """A broken mapping gives one error line with file, line and column, no traceback."""
    path = write_mapping(tmp_path, "fields:\n  id: {source: x, type: text}\n")
    result = runner.invoke(app, ["explain", str(path)])
    assert result.exit_code == 1
    assert "line=7" in result.output
    assert "column=25" in result.output
    assert "Traceback" not in result.output
