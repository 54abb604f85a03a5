"""Loading mapping files: every mistake is named with its file, line, column and choices."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.errors import ConfigError, MappingFileError
from gateway.mapping import check_mapping, load_mapping
from mappings import MAPPINGS_DIR
from tests.helpers.mapping import write_mapping


def load_error(tmp_path: Path, body: str, **kwargs: str) -> MappingFileError:
    path = write_mapping(tmp_path, body, **kwargs)
    with pytest.raises(MappingFileError) as info:
        load_mapping(path)
    return info.value


def test_shipped_mappings_load() -> None:
    """Every shipped mapping file checks clean and loads."""
    paths = sorted(MAPPINGS_DIR.rglob("*.yaml"))
    assert paths
    for path in paths:
        assert check_mapping(path) == [], path
        load_mapping(path)


def test_unknown_field_key(tmp_path: Path) -> None:
    """A misspelt key in a field spec is named with line, column and the allowed keys."""
    error = load_error(tmp_path, "fields:\n  id: id\n  f:\n    source: x\n    requird: true\n")
    assert error.context["line"] == 10
    assert error.context["column"] == 5
    assert "requird" in error.message
    assert "required" in error.context["allowed"]
    assert error.context["file"].endswith("m.yaml")
    assert isinstance(error, ConfigError)


def test_unknown_transform(tmp_path: Path) -> None:
    """An unknown transform names the transforms that exist."""
    error = load_error(tmp_path, "fields:\n  id: id\n  f: {source: x, transforms: [trim, strp]}\n")
    assert "strp" in error.message
    assert "trim" in error.context["allowed"]
    assert error.context["line"] == 8
    assert error.context["column"] == 37


def test_unknown_validator_and_code_table(tmp_path: Path) -> None:
    """Unknown validators and code tables are both reported; the first comes with a count."""
    error = load_error(
        tmp_path,
        "fields:\n  id: id\n  f: {source: x, validators: [idcard]}\n"
        "  g: {source: y, code_table: sex}\n",
    )
    assert "idcard" in error.message
    assert "resident_id" in error.context["allowed"]
    assert error.context["more_problems"] == 1
    problems = check_mapping(
        write_mapping(
            tmp_path, "fields:\n  id: id\n  g: {source: y, code_table: sex}\n", name="n.yaml"
        )
    )
    assert problems[0].line == 8
    assert "gender" in (problems[0].allowed or "")


def test_unknown_type(tmp_path: Path) -> None:
    """An unknown type lists the types."""
    error = load_error(tmp_path, "fields:\n  id: id\n  f: {source: x, type: string}\n")
    assert "string" in error.message
    assert "datetime" in error.context["allowed"]


def test_bad_format(tmp_path: Path) -> None:
    """A date pattern without a day, or a time in a date field, is refused."""
    error = load_error(
        tmp_path, "fields:\n  id: id\n  f: {source: x, type: date, format: YYYYMM}\n"
    )
    assert "day" in error.message
    error = load_error(
        tmp_path, "fields:\n  id: id\n  f: {source: x, type: date, format: 'YYYY-MM-DD HH:mm'}\n"
    )
    assert "time" in error.message


def test_validator_type_mismatch(tmp_path: Path) -> None:
    """A text validator on a date field is refused when the file loads."""
    error = load_error(
        tmp_path, "fields:\n  id: id\n  f: {source: x, type: date, validators: [uscc]}\n"
    )
    assert "does not apply to type date" in error.message


def test_missing_top_keys_and_version(tmp_path: Path) -> None:
    """A file without version or key is named at line 1; version 2 is unsupported."""
    path = tmp_path / "bare.yaml"
    path.write_text("name: x\ndirection: pull\nentity: e\nfields: {a: b}\n", encoding="utf-8")
    messages = [p.message for p in check_mapping(path)]
    assert "missing required key 'version'" in messages
    assert "missing required key 'key'" in messages
    path.write_text(
        "version: 2\nname: x\ndirection: pull\nentity: e\nkey: a\nfields: {a: b}\n",
        encoding="utf-8",
    )
    problem = check_mapping(path)[0]
    assert (problem.line, problem.column) == (1, 10)
    assert "unsupported version" in problem.message


def test_bad_direction_and_key(tmp_path: Path) -> None:
    """direction must be pull or push; key fields must exist."""
    error = load_error(tmp_path, "fields:\n  id: id\n", direction="sideways")
    assert error.context["allowed"] == "pull, push"
    error = load_error(tmp_path, "fields:\n  other: id\n")
    assert "key field 'id'" in error.message


def test_yaml_syntax_error(tmp_path: Path) -> None:
    """A YAML syntax error is reported with its position."""
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\nfields: {a: [b\n", encoding="utf-8")
    problem = check_mapping(path)[0]
    assert "YAML syntax" in problem.message
    assert problem.line >= 2


def test_duplicate_keys(tmp_path: Path) -> None:
    """A key given twice is an error (YAML would silently keep the last)."""
    error = load_error(tmp_path, "fields:\n  id: id\n  f: {source: x}\n  f: {source: y}\n")
    assert "duplicate key 'f'" in error.message
    assert error.context["line"] == 9


def test_field_without_source(tmp_path: Path) -> None:
    """A field with no source and nothing to fill it is refused."""
    error = load_error(tmp_path, "fields:\n  id: id\n  f: {type: str}\n")
    assert "needs a source" in error.message


def test_invalid_default(tmp_path: Path) -> None:
    """A default that fails the field's own checks is refused at load time."""
    error = load_error(
        tmp_path, "fields:\n  id: id\n  f: {source: x, code_table: gender, default: '5'}\n"
    )
    assert "default" in error.message
    assert "code_table" in error.message


def test_bad_regex_and_arguments(tmp_path: Path) -> None:
    """An invalid regular expression and a wrong argument are both named."""
    error = load_error(
        tmp_path, "fields:\n  id: id\n  f: {source: x, validators: ['regex([a-)']}\n"
    )
    assert "invalid regular expression" in error.message
    error = load_error(
        tmp_path, "fields:\n  id: id\n  f: {source: x, transforms: [{zfill: two}]}\n"
    )
    assert "whole number" in error.message


def test_list_value_needs_join(tmp_path: Path) -> None:
    """Several sources without join or coalesce are refused with advice."""
    error = load_error(tmp_path, "fields:\n  id: id\n  f: {source: [a, b]}\n")
    assert "join or coalesce" in error.message


def test_derive_needs_resident_id_field(tmp_path: Path) -> None:
    """derive must name a field validated as a resident ID, and a known part."""
    error = load_error(
        tmp_path,
        "fields:\n  id: id\n  b: {source: b, type: date, derive: {from: id, part: birth_date}}\n",
    )
    assert "resident_id" in error.message
    error = load_error(
        tmp_path,
        "fields:\n  id: {source: id, validators: [resident_id]}\n"
        "  b: {source: b, derive: {from: id, part: age}}\n",
    )
    assert "birth_date" in error.context["allowed"]


def test_rule_errors(tmp_path: Path) -> None:
    """Rules naming unknown fields or using calls are refused with the rule's position."""
    error = load_error(tmp_path, "fields:\n  id: id\nrules:\n  - rule: nothing > 0\n")
    assert "unknown field 'nothing'" in error.message
    assert error.context["line"] == 9
    error = load_error(tmp_path, "fields:\n  id: id\nrules:\n  - \"__import__('os') == 1\"\n")
    assert "function call" in error.message


def test_unknown_time_zone(tmp_path: Path) -> None:
    """An unknown time zone is named."""
    error = load_error(tmp_path, "timezone: Mars/Olympus\nfields:\n  id: id\n")
    assert "Mars/Olympus" in error.message


def test_missing_file(tmp_path: Path) -> None:
    """A mapping path that does not exist is a MappingFileError naming it."""
    with pytest.raises(MappingFileError) as info:
        load_mapping(tmp_path / "none.yaml")
    assert "none.yaml" in str(info.value)


def test_cache_and_reload(tmp_path: Path) -> None:
    """The same unchanged file compiles once; a changed file is compiled again."""
    path = write_mapping(tmp_path, "fields:\n  id: id\n")
    first = load_mapping(path)
    assert load_mapping(path) is first
    path.write_text(path.read_text(encoding="utf-8") + "description: changed\n", encoding="utf-8")
    second = load_mapping(path)
    assert second is not first
    assert second.digest != first.digest


def test_attributes(tmp_path: Path) -> None:
    """name, version, direction, entity, key_fields, digest, path and PII maps are exposed."""
    import hashlib

    path = write_mapping(
        tmp_path,
        "fields:\n  id: {source: SFZ, validators: [resident_id]}\n  tel: {source: DH, "
        "validators: [mobile]}\n  addr: {source: DZ, pii: address}\n  x: X\n",
    )
    m = load_mapping(path)
    assert (m.name, m.version, m.direction, m.entity) == ("test.inline", 1, "pull", "thing")
    assert m.key_fields == ("id",)
    assert m.path == path
    assert m.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert m.pii == {"id": "id_number", "tel": "phone", "addr": "address", "x": "none"}
    assert m.source_pii == {"SFZ": "id_number", "DH": "phone", "DZ": "address"}
