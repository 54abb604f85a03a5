"""Shipped code tables, GB/T 2260 regions and the mappings directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.codes import code_table, region_exists, region_status, shipped_tables
from gateway.codes.regions import region_codes, region_level, region_name
from gateway.errors import ConfigError
from mappings import MAPPINGS_DIR, resolve_mapping


def test_every_table_names_its_source_and_version() -> None:
    """Each shipped table has a title, a source and a version in its header."""
    for name in shipped_tables():
        table = code_table(name)
        assert table.title, name
        assert table.source, name
        assert table.version, name
        assert len(table) > 0


def test_gender_table() -> None:
    """GB/T 2261.1: 0, 1, 2 and 9 with their labels."""
    gender = code_table("gender")
    assert gender.codes == ("0", "1", "2", "9")
    assert gender.label("2") == "女性"
    assert "5" not in gender


def test_ethnicity_table() -> None:
    """GB 3304: 01-56 plus 97 and 98; 77 is not a code."""
    ethnicity = code_table("ethnicity")
    assert len(ethnicity) == 58
    assert ethnicity.label("09") == "布依族"
    assert ethnicity.label("98") == "外国血统中国籍人士"
    assert "77" not in ethnicity
    assert "1" not in ethnicity


def test_education_and_employment_tables() -> None:
    """GB/T 4658 and GB/T 2261.4 hold their known codes."""
    assert code_table("education").label("21") == "大学本科毕业"
    assert "90" in code_table("education")
    assert code_table("employment_status").label("80") == "退（离）休人员"


def test_platform_enumerations() -> None:
    """AAC008, HCZT and the spot-check result categories, with label look-up."""
    assert code_table("lf_employment_status").codes == ("1", "2", "3", "4", "5", "9")
    hczt = code_table("lf_verification_status")
    assert hczt.code_for_label("核查异常") == "2"
    results = code_table("inspection_result")
    assert results.code_for_label("未发现问题") == "01"
    assert results.code_for_label("不配合检查情节严重") is not None
    assert results.label("99") == "其他"


def test_unknown_table() -> None:
    """Asking for a table that does not exist names the known ones."""
    with pytest.raises(ConfigError) as info:
        code_table("colour")
    assert "gender" in str(info.value)


def test_guizhou_prefectures_complete() -> None:
    """Guizhou's nine prefecture-level divisions of today are all present."""
    current = set(region_codes("52", level="prefecture"))
    assert current == {
        "520100",
        "520200",
        "520300",
        "520400",
        "520500",
        "520600",
        "522300",
        "522600",
        "522700",
    }


@pytest.mark.parametrize(
    ("prefecture", "counties"),
    [
        (
            "5226",
            {
                "522601",
                "522622",
                "522623",
                "522624",
                "522625",
                "522626",
                "522627",
                "522628",
                "522629",
                "522630",
                "522631",
                "522632",
                "522633",
                "522634",
                "522635",
                "522636",
            },
        ),
        (
            "5227",
            {
                "522701",
                "522702",
                "522722",
                "522723",
                "522725",
                "522726",
                "522727",
                "522728",
                "522729",
                "522730",
                "522731",
                "522732",
            },
        ),
        ("5223", {"522301", "522302", "522323", "522324", "522325", "522326", "522327", "522328"}),
    ],
)
def test_guizhou_autonomous_prefectures(prefecture: str, counties: set[str]) -> None:
    """Qiandongnan, Qiannan and Qianxinan list exactly their counties of today."""
    assert set(region_codes(prefecture, level="county")) == counties


def test_guizhou_county_count() -> None:
    """Guizhou has 88 county-level divisions today (市辖区 placeholders aside)."""
    counties = [c for c in region_codes("52", level="county") if region_name(c) != "市辖区"]
    assert len(counties) == 88


def test_other_provinces_present() -> None:
    """Every province-level code and a sample of prefectures elsewhere exist."""
    for code in (
        "110000",
        "310000",
        "440000",
        "650000",
        "710000",
        "810000",
        "820000",
        "440300",
        "510100",
    ):
        assert region_exists(code), code
    assert region_level("440300") == "prefecture"
    assert region_level("440000") == "province"


def test_region_status() -> None:
    """ok, created_after, abolished_before, abolished and unknown, by year."""
    assert region_status("522601", 1990) == "ok"
    assert region_status("520302", 1990) == "created_after"
    assert region_status("522201", 2015) == "abolished_before"
    assert region_status("522201", 2005) == "abolished"
    assert region_status("522201") == "abolished"
    assert region_status("999999") == "unknown"
    assert region_name("520201", 1985) == "水城特区"
    assert region_name("520201") == "钟山区"


def test_region_table_contains_abolished_codes() -> None:
    """The code table 'region' accepts every code ever in force."""
    regions = code_table("region")
    assert "522201" in regions
    assert "520115" in regions
    assert "999999" not in regions


def test_resolve_mapping(tmp_path: Path) -> None:
    """An existing path wins, relative to base_dir first; otherwise the shipped directory."""
    local = tmp_path / "labor_force" / "persons.yaml"
    local.parent.mkdir()
    local.write_text("x", encoding="utf-8")
    assert resolve_mapping("labor_force/persons.yaml", tmp_path) == local
    assert resolve_mapping(str(local)) == local
    shipped = resolve_mapping("labor_force/persons.yaml")
    assert shipped == MAPPINGS_DIR / "labor_force" / "persons.yaml"


def test_resolve_mapping_missing() -> None:
    """A reference that is nowhere raises ConfigError naming it."""
    with pytest.raises(ConfigError) as info:
        resolve_mapping("nowhere/nothing.yaml")
    assert "nowhere/nothing.yaml" in str(info.value)
