"""The examples in docs/mappings.md load and behave as the text says."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.mapping import load_mapping
from gateway.mapping.transforms import TRANSFORMS
from gateway.mapping.validators import VALIDATORS
from tests.helpers.mapping import make_id, make_uscc, write_mapping
from tests.helpers.paths import ROOT

DOCS = ROOT / "docs" / "mappings.md"


def yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.DOTALL)


def test_first_example_loads_and_maps(tmp_path: Path) -> None:
    """The first complete example is a working mapping."""
    path = tmp_path / "first.yaml"
    path.write_text(yaml_blocks()[0], encoding="utf-8")
    mapping = load_mapping(path)
    number = make_id(birth="19900307")
    result = mapping.map({"AAC002": number, "AAC006": "19900307", "AAE036": "2023-05-01 10:00:00"})
    assert result.ok, result.errors
    assert result.record is not None
    assert result.record["verification_status"] == "unverified"


def test_inspection_example_loads_and_maps(tmp_path: Path) -> None:
    """The inspection subjects example checks USCCs, Chinese dates and item codes."""
    block = next(b for b in yaml_blocks() if "inspection.subjects.push" in b)
    path = tmp_path / "subjects.push.yaml"
    path.write_text(block, encoding="utf-8")
    mapping = load_mapping(path)
    canonical = {
        "uscc": make_uscc(),
        "name": "某某公司",
        "founded_on": "2015-06-01",
        "check_item": "XK12345001",
        "result": "01",
    }
    result = mapping.map(canonical)
    assert result.ok, result.errors
    assert result.record is not None
    assert result.record["CLRQ"] == "2015年06月01日"
    bad = mapping.map({**canonical, "check_item": "XK1234", "result": "55"})
    assert [(i.field, i.rule) for i in bad.errors] == [("JCSX", "regex"), ("JCJG", "code_table")]


def test_extra_fields_option(tmp_path: Path) -> None:
    """extra_fields: warn reports input fields that no field reads; reject refuses them."""
    warn = load_mapping(write_mapping(tmp_path, "extra_fields: warn\nfields:\n  id: id\n"))
    result = warn.map({"id": "1", "unexpected": "x"})
    assert result.ok
    assert [(w.field, w.rule) for w in result.warnings] == [("unexpected", "extra_field")]
    reject = load_mapping(
        write_mapping(tmp_path, "extra_fields: reject\nfields:\n  id: id\n", name="r.yaml")
    )
    assert not reject.map({"id": "1", "unexpected": "x"}).ok


def test_every_transform_and_validator_warning_is_documented() -> None:
    """docs/mappings.md names every transform, validator and warning a validator can give."""
    text = DOCS.read_text(encoding="utf-8")
    names = [*TRANSFORMS, *VALIDATORS]
    names += [code for op in VALIDATORS.values() for code, _meaning, _level in op.warns]
    assert [name for name in names if f"`{name}`" not in text] == []
