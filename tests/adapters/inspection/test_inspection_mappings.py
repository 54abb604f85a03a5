"""The inspection mapping files on the shapes the bureau's exports and the platform really take."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.mapping import CompiledMapping, load_mapping
from gateway.masking import mask_id_number
from mappings import resolve_mapping
from simulators.demo.inspection import data as demodata

SEED = 2022


def mapping(ref: str) -> CompiledMapping:
    return load_mapping(resolve_mapping(ref))


@pytest.fixture(scope="module")
def results() -> CompiledMapping:
    """The results file mapping."""
    return mapping("files/inspection_results.yaml")


def result_row(**changes: str) -> dict[str, Any]:
    uscc = demodata.subjects(1, SEED)[0]["统一社会信用代码"]
    row = {
        "任务编号": "SJRW202200001",
        "统一社会信用代码": uscc,
        "单位名称": "凯里黔丰建筑工程有限公司",
        "抽查事项编码": "RSJC522601001",
        "检查日期": "2022-03-12",
        "检查结果": "通过登记的住所（经营场所）无法联系",
        "检查人员执法证号": "GZ52262500023、GZ52263300065",
        "公示日期": "2022-03-16",
        "结果说明": "",
    }
    return {**row, **changes}


def test_result_rows_map_to_codes_dates_and_teams(results: CompiledMapping) -> None:
    """Labels become national codes, other date spellings and separators are read alike."""
    plain = results.map(result_row())
    variant = results.map(
        result_row(
            检查日期="2022/3/12",
            公示日期="2022年3月16日",
            检查人员执法证号="gz52262500023；GZ52263300065 ",
        )
    )
    assert plain.ok
    assert variant.ok
    assert plain.record == variant.record
    assert plain.record is not None
    assert plain.record["result_code"] == "04"
    assert plain.record["inspectors"] == ["GZ52262500023", "GZ52263300065"]
    assert (plain.record["check_date"], plain.record["publish_date"]) == (
        "2022-03-12",
        "2022-03-16",
    )
    assert plain.key == f"SJRW202200001|{plain.record['uscc']}"


def test_result_rows_are_refused_for_what_the_platform_would_refuse(
    results: CompiledMapping,
) -> None:
    """An unknown category, a publication before the check, a bad USCC: each names its rule."""
    unknown = results.map(result_row(检查结果="基本合格"))
    early = results.map(result_row(公示日期="2022-03-01"))
    code = result_row()["统一社会信用代码"]
    bad_uscc = results.map(
        result_row(统一社会信用代码=code[:17] + ("0" if code[17] != "0" else "1"))
    )
    assert [(e.field, e.rule) for e in unknown.errors] == [("result_code", "code_map")]
    assert [(e.field, e.rule) for e in early.errors] == [("publish_date", "rule")]
    assert [(e.field, e.rule) for e in bad_uscc.errors] == [("uscc", "uscc")]


def test_inspector_rows_keep_personal_data_out_of_errors() -> None:
    """A mistyped ID number is refused and shown masked; the push mapping reshapes the rest."""
    pull = mapping("files/inspectors.yaml")
    push = mapping("inspection/inspectors.push.yaml")
    row = demodata.inspectors(1, SEED)[0]
    typo = row["身份证号"][:17] + ("0" if row["身份证号"][17] != "0" else "1")
    refused = pull.map({**row, "身份证号": typo})
    accepted = pull.map(row)
    assert [(e.field, e.rule, e.value) for e in refused.errors] == [
        ("id_number", "resident_id", mask_id_number(typo))
    ]
    assert accepted.record is not None
    shaped = push.map(accepted.record)
    assert shaped.ok
    assert shaped.record is not None
    assert shaped.record["certNo"] == row["执法证号"]
    same_id_number = shaped.record["idNumber"] == row["身份证号"]  # never shown on failure
    assert same_id_number


def test_subject_rows_carry_type_codes_and_push_as_the_platform_names_them() -> None:
    """对象类型 labels become codes; the push mapping writes the platform's field names."""
    pull = mapping("files/subjects.yaml")
    push = mapping("inspection/subjects.push.yaml")
    row = demodata.subjects(1, SEED)[0]
    canonical = pull.map(row).record
    assert canonical is not None
    assert canonical["subject_type"] == f"{demodata.SUBJECT_TYPES.index(row['对象类型']) + 1:02d}"
    shaped = push.map(canonical).record
    assert shaped == {
        "uscc": row["统一社会信用代码"],
        "name": row["单位名称"],
        "subjectType": canonical["subject_type"],
        "regionCode": row["所在地区划代码"],
        "address": row["地址"],
    }
    assert pull.map({**row, "对象类型": "个人"}).errors[0].rule == "code_map"
