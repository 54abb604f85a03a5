"""Every transform, alone and in chains, through compiled mappings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.mapping import inline_mapping, one_field


def value_of(tmp_path: Path, spec: str, raw: dict[str, Any]) -> Any:
    result = one_field(tmp_path, spec).map({"id": "1", **raw})
    assert result.ok, result.errors
    assert result.record is not None
    return result.record["f"]


@pytest.mark.parametrize(
    ("transforms", "given", "expected"),
    [
        ("[trim]", " \u3000abc\t", "abc"),
        ("[upper]", "abc", "ABC"),
        ("[lower]", "ABC", "abc"),
        ("[fullwidth_to_halfwidth]", "ＡＢ１２３　－", "AB123 -"),
        ("[strip_spaces]", " 138 1234 5678 ", "13812345678"),
        ("[collapse_spaces]", " 凯里市   北京东路 ", "凯里市 北京东路"),
        ("[number]", "￥1,234.50元", "1234.50"),
        ("[{replace: ['-', '']}]", "0851-123", "0851123"),
        ("['remove(-/)']", "2023-05/01", "20230501"),
        ("[{regex_replace: ['[^0-9]+', '']}]", "电话:0851-86", "085186"),
        ("['zfill(2)']", "9", "09"),
        ("[{slice: [0, 6]}]", "52260119900307", "522601"),
        ("['prefix(XK)']", "12345001", "XK12345001"),
        ("['suffix(000)']", "XK12345", "XK12345000"),
        ("['default(9)']", "", "9"),
        ("['constant(GZ)']", "anything", "GZ"),
        ("[trim, fullwidth_to_halfwidth, upper]", " ５２２６０１ｘ ", "522601X"),
    ],
)
def test_text_transforms(tmp_path: Path, transforms: str, given: str, expected: str) -> None:
    """Each text transform turns the given value into the expected one."""
    assert value_of(tmp_path, f"source: s\ntransforms: {transforms}", {"s": given}) == expected


def test_replace_call_form_needs_two_arguments(tmp_path: Path) -> None:
    """replace(x) gives one argument; replace needs two, so the mapping is refused."""
    from gateway.errors import MappingFileError

    with pytest.raises(MappingFileError):
        one_field(tmp_path, "source: s\ntransforms: ['replace(x)']")


def test_nullif_makes_placeholders_missing(tmp_path: Path) -> None:
    """nullif turns placeholder values into missing ones, so required rejects them."""
    m = one_field(
        tmp_path, "source: s\ntransforms: [trim, {nullif: ['NULL', '无', '-']}]\nrequired: true"
    )
    assert m.map({"id": "1", "s": "张三"}).ok
    for placeholder in ("NULL", " 无 ", "-"):
        assert m.map({"id": "1", "s": placeholder}).errors[0].rule == "required"


def test_default_transform_only_fills_missing(tmp_path: Path) -> None:
    """default(x) fills a missing or empty value and leaves others alone."""
    spec = "source: s\ntransforms: [trim, 'default(未知)']"
    assert value_of(tmp_path, spec, {}) == "未知"
    assert value_of(tmp_path, spec, {"s": "  "}) == "未知"
    assert value_of(tmp_path, spec, {"s": "已知"}) == "已知"


def test_split_then_trim_each(tmp_path: Path) -> None:
    """split makes a list; text transforms after it work on each element; empties drop."""
    spec = "source: s\ntype: list\ntransforms: ['split(;)', trim, upper]"
    assert value_of(tmp_path, spec, {"s": " a ; b;;c "}) == ["A", "B", "C"]


def test_join_several_sources(tmp_path: Path) -> None:
    """A list of sources joined with a separator; missing parts are skipped."""
    spec = "source: [prov, city, street]\ntransforms: ['join(/)']"
    assert value_of(tmp_path, spec, {"prov": "贵州省", "street": "北京路"}) == "贵州省/北京路"


def test_coalesce_several_sources(tmp_path: Path) -> None:
    """coalesce takes the first non-empty source."""
    spec = "source: [mobile, phone]\ntransforms: [coalesce]"
    assert value_of(tmp_path, spec, {"mobile": "", "phone": "0851-1234567"}) == "0851-1234567"
    assert value_of(tmp_path, spec, {"mobile": "138", "phone": "0851"}) == "138"


def test_nested_source_path(tmp_path: Path) -> None:
    """A dotted source walks nested objects and list indexes; an exact key wins."""
    spec = "source: org.contacts.0.name"
    raw = {"org": {"contacts": [{"name": "王五"}]}}
    assert value_of(tmp_path, spec, raw) == "王五"
    assert value_of(tmp_path, spec, {"org.contacts.0.name": "exact"}) == "exact"


def test_json_list_source(tmp_path: Path) -> None:
    """A JSON array arrives as a list field when the type is list."""
    spec = "source: tags\ntype: list\ntransforms: [trim]"
    assert value_of(tmp_path, spec, {"tags": [" a", 1, None, "b "]}) == ["a", "1", "b"]


def test_scalars_are_coerced_to_text(tmp_path: Path) -> None:
    """Numbers and booleans from JSON become text before text transforms."""
    spec = "source: s\ntransforms: ['zfill(2)']"
    assert value_of(tmp_path, spec, {"s": 7}) == "07"
    assert value_of(tmp_path, "source: s", {"s": True}) == "true"


def test_containers_are_type_errors(tmp_path: Path) -> None:
    """A dict or list where a single value is expected is a type error, not a crash."""
    m = one_field(tmp_path, "source: s")
    for bad in ({"a": 1}, [1, 2]):
        issue = m.map({"id": "1", "s": bad}).errors[0]
        assert (issue.field, issue.rule) == ("f", "type")


def test_shorthand_field(tmp_path: Path) -> None:
    """``name: SOURCE`` copies the source as text."""
    m = inline_mapping(tmp_path, "fields:\n  id: ID\n  name: XM\n")
    assert m.map({"ID": "1", "XM": "张三"}).record == {"id": "1", "name": "张三"}


def test_code_map_translates_and_rejects_unknown(tmp_path: Path) -> None:
    """code_map translates platform codes; an unmapped value is rejected by rule code_map."""
    m = one_field(tmp_path, "source: s\ncode_map: {'1': employed, '2': unemployed}")
    assert m.map({"id": "1", "s": "2"}).record == {"id": "1", "f": "unemployed"}
    assert m.map({"id": "1", "s": "7"}).errors[0].rule == "code_map"


def test_code_map_keeps_leading_zeros(tmp_path: Path) -> None:
    """Unquoted YAML keys like 01 stay the text '01' (YAML would make them the number 1)."""
    m = one_field(tmp_path, "source: s\ncode_map: {01: han, 1: one}")
    assert m.map({"id": "1", "s": "01"}).record == {"id": "1", "f": "han"}
    assert m.map({"id": "1", "s": "1"}).record == {"id": "1", "f": "one"}


def test_code_table_inline_and_shipped(tmp_path: Path) -> None:
    """code_table checks membership in an inline table first, then a shipped one."""
    m = inline_mapping(
        tmp_path,
        "code_tables:\n  colour: {R: red, G: green}\n"
        "fields:\n  id: id\n  c: {source: c, code_table: colour}\n"
        "  g: {source: g, code_table: gender}\n",
    )
    assert m.map({"id": "1", "c": "R", "g": "9"}).ok
    rejected = m.map({"id": "1", "c": "B", "g": "5"})
    assert [(i.field, i.rule) for i in rejected.errors] == [
        ("c", "code_table"),
        ("g", "code_table"),
    ]


def test_named_code_map(tmp_path: Path) -> None:
    """A field may name a map from the file's code_maps section."""
    m = inline_mapping(
        tmp_path,
        "code_maps:\n  yn: {是: 'true', 否: 'false'}\n"
        "fields:\n  id: id\n  b: {source: b, code_map: yn, type: bool}\n",
    )
    assert m.map({"id": "1", "b": "是"}).record == {"id": "1", "b": True}


@pytest.mark.parametrize(
    ("transforms", "given", "expected"),
    [
        ("[phone]", "+86 138 1234 5678", "13812345678"),
        ("[phone]", "0086-138-1234-5678", "13812345678"),
        ("[phone]", "86１３８１２３４５６７８", "13812345678"),
        ("[phone]", "(0851)8681 2345", "0851-86812345"),
        ("[phone]", "+86 851 86812345", "0851-86812345"),
        ("[phone]", "0851-86812345 转 801", "0851-86812345-801"),
        ("[phone]", "010-6512-3456", "010-65123456"),
        ("[id_number]", "５２２６０１ 1990-0307 123x", "52260119900307123X"),
        ("[uscc]", " 9152 0100 ma6dkll8xq ", "91520100MA6DKLL8XQ"),
        ("[upgrade_id15]", "522601900307123", "522601199003071239"),
        ("[upgrade_id15]", "52260119900307123X", "52260119900307123X"),
    ],
)
def test_normalising_transforms(tmp_path: Path, transforms: str, given: str, expected: str) -> None:
    """The examples of docs/mappings.md: phone, id_number, uscc and upgrade_id15."""
    assert value_of(tmp_path, f"{{source: v, transforms: {transforms}}}", {"v": given}) == expected
