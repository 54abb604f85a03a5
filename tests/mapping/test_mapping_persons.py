"""The labor-force person mapping: valid records, the platform's typical defects, masking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.mapping import CompiledMapping, load_mapping
from mappings import MAPPINGS_DIR
from tests.helpers.mapping import inline_mapping, make_id

ID = make_id(region="522601", birth="19900307", seq="123")


@pytest.fixture(scope="module")
def persons() -> CompiledMapping:
    return load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")


def person(**changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "AAC002": ID,
        "AAC003": "张三丰",
        "AAC004": "1",
        "AAC005": "09",
        "AAC006": "19900307",
        "AAB299": "522601",
        "AAC011": "21",
        "AAC008": "4",
        "AAE006": "凯里市北京东路 1 号",
        "AAE005": "13812345678",
        "HCZT": "1",
        "AAE036": "2023-05-01 10:11:12",
    }
    raw.update(changes)
    return {k: v for k, v in raw.items() if v is not None}


def test_valid_person(persons: CompiledMapping) -> None:
    """A valid record maps to the canonical person, keyed by the ID number."""
    result = persons.map(person())
    assert result.ok
    assert result.warnings == []
    assert result.key == ID
    assert result.record == {
        "id_number": ID,
        "name": "张三丰",
        "gender": "1",
        "ethnicity": "09",
        "birth_date": "1990-03-07",
        "household_region": "522601",
        "education": "21",
        "employment_status": "flexible",
        "work_place": "凯里市北京东路 1 号",
        "phone": "13812345678",
        "verification_status": "verified",
        "source_updated_at": "2023-05-01T10:11:12+08:00",
    }


def reasons(persons: CompiledMapping, raw: dict[str, Any]) -> list[tuple[str, str]]:
    result = persons.map(raw)
    assert not result.ok
    assert result.record is None
    return [(i.field, i.rule) for i in result.errors]


def test_bad_check_digit(persons: CompiledMapping) -> None:
    """A wrong check character is rejected on id_number by resident_id, value masked."""
    wrong = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    result = persons.map(person(AAC002=wrong))
    issue = result.errors[0]
    assert (issue.field, issue.rule) == ("id_number", "resident_id")
    assert issue.value == wrong[:3] + "*" * 11 + wrong[-4:]
    assert issue.detail is not None
    assert issue.detail.startswith("check_digit")


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("AAC005", "77", ("ethnicity", "code_table")),
        ("AAC004", "5", ("gender", "code_table")),
        ("AAC011", "99", ("education", "code_table")),
        ("AAC008", "7", ("employment_status", "code_map")),
        ("HCZT", "3", ("verification_status", "code_map")),
        ("AAB299", "529999", ("household_region", "region")),
        ("AAE005", "1381234567", ("phone", "mobile")),
    ],
)
def test_unknown_codes(
    persons: CompiledMapping, field: str, value: str, expected: tuple[str, str]
) -> None:
    """Values outside their code table or enumeration are rejected naming field and rule."""
    assert reasons(persons, person(**{field: value})) == [expected]


def test_missing_name(persons: CompiledMapping) -> None:
    """AAC003 absent (or blank) is rejected as required on name."""
    assert reasons(persons, person(AAC003=None)) == [("name", "required")]
    assert reasons(persons, person(AAC003="  ")) == [("name", "required")]


@pytest.mark.parametrize("birth", ["19900231", "1990-13-01"])
def test_malformed_birth_date(persons: CompiledMapping, birth: str) -> None:
    """Impossible or wrongly shaped AAC006 values are type errors on birth_date."""
    assert reasons(persons, person(AAC006=birth)) == [("birth_date", "type")]


def test_birth_date_must_match_id(persons: CompiledMapping) -> None:
    """A real birth date that differs from the ID number's is rejected (on_mismatch: reject)."""
    assert reasons(persons, person(AAC006="19900308")) == [("birth_date", "derive_mismatch")]


def test_gender_must_match_id(persons: CompiledMapping) -> None:
    """A gender that contradicts the ID number is rejected; 9 (unstated) is no contradiction."""
    assert reasons(persons, person(AAC004="2")) == [("gender", "derive_mismatch")]
    assert persons.map(person(AAC004="9")).ok


def test_missing_gender_and_birth_come_from_id(persons: CompiledMapping) -> None:
    """Missing gender and birth date are filled from the ID number."""
    result = persons.map(person(AAC004=None, AAC006=None))
    assert result.ok
    assert result.record is not None
    assert (result.record["gender"], result.record["birth_date"]) == ("1", "1990-03-07")


def test_optional_fields_and_default(persons: CompiledMapping) -> None:
    """Optional fields may be absent; HCZT defaults to unverified."""
    result = persons.map({"AAC002": ID, "AAC003": "李四"})
    assert result.ok
    assert result.record is not None
    assert result.record["verification_status"] == "unverified"
    assert result.record["phone"] is None
    assert result.record["source_updated_at"] is None


def test_id_number_cleaned(persons: CompiledMapping) -> None:
    """Full-width digits, a lower-case x and spaces in AAC002 are cleaned before checking."""
    with_x = make_id(region="520102", birth="19850101", seq="001")
    seq = "001"
    while not with_x.endswith("X"):
        seq = f"{int(seq) + 2:03d}"
        with_x = make_id(region="520102", birth="19850101", seq=seq)
    messy = " " + with_x[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "x "
    result = persons.map(person(AAC002=messy, AAC006="19850101", AAB299="520102"))
    assert result.ok
    assert result.key == with_x


def test_region_warnings_do_not_reject(persons: CompiledMapping) -> None:
    """An ID issued under a code not in force in the birth year is accepted with a warning."""
    number = make_id(region="520302", birth="19800101", seq="011")
    result = persons.map(person(AAC002=number, AAC006="19800101", AAB299="522201"))
    assert result.ok
    assert [(w.field, w.rule) for w in result.warnings] == [
        ("id_number", "resident_id"),
        ("household_region", "region"),
    ]
    assert result.warnings[0].value == "520***********" + number[-4:]


def test_several_errors_reported_together(persons: CompiledMapping) -> None:
    """Every failing field is reported, not just the first."""
    raw = person(AAC003=None, AAC005="77", AAC006="1990-13-01")
    assert reasons(persons, raw) == [
        ("name", "required"),
        ("ethnicity", "code_table"),
        ("birth_date", "type"),
    ]


def test_issues_never_show_personal_data(persons: CompiledMapping) -> None:
    """Rejected names, phones and ID numbers appear masked in issues."""
    raw = person(AAC002=ID[:-1] + "X" if ID[-1] != "X" else ID[:-1] + "0", AAE005="23812345678")
    text = " ".join(str(i) for i in persons.map(raw).errors)
    assert ID[6:14] not in text
    assert "23812345678" not in text


def test_mask_raw(persons: CompiledMapping) -> None:
    """mask_raw masks PII sources and scrubs unknown fields."""
    raw = person(EXTRA="联系 13912345678", NESTED={"id": ID})
    masked = persons.mask_raw(raw)
    assert masked["AAC002"] == ID[:3] + "*" * 11 + ID[-4:]
    assert masked["AAC003"] == "张**"
    assert masked["AAE005"] == "138****5678"
    assert masked["AAE006"].startswith("凯里市北京东")
    assert "1 号" not in masked["AAE006"]
    assert masked["EXTRA"] == "联系 139****5678"
    assert masked["NESTED"]["id"] == ID[:3] + "*" * 11 + ID[-4:]
    assert masked["AAC004"] == "1"
    assert raw["AAC002"] == ID
    not_a_record: Any = [ID]
    assert persons.mask_raw(not_a_record) == {"(record)": [ID[:3] + "*" * 11 + ID[-4:]]}


def test_pii_classes(persons: CompiledMapping) -> None:
    """Output and source PII classes drive masking everywhere."""
    assert persons.pii["id_number"] == "id_number"
    assert persons.pii["phone"] == "phone"
    assert persons.pii["name"] == "name"
    assert persons.pii["work_place"] == "address"
    assert persons.pii["birth_date"] == "birth_date"  # derived from the ID number
    assert persons.pii["household_region"] == "region"  # a region code beside an ID number
    assert persons.source_pii == {
        "AAC002": "id_number",
        "AAC003": "name",
        "AAE006": "address",
        "AAE005": "phone",
        "AAC006": "birth_date",
        "AAB299": "region",
    }


def test_non_dict_and_odd_values(persons: CompiledMapping) -> None:
    """A list instead of a record, or objects inside fields, are reported, never raised."""
    assert persons.map([1, 2]).errors[0].rule == "type"  # type: ignore[arg-type]
    result = persons.map(person(AAC003={"x": 1}, AAC004=[1]))
    assert [(i.field, i.rule) for i in result.errors] == [("name", "type"), ("gender", "type")]


def test_map_many_keeps_order(persons: CompiledMapping) -> None:
    """map_many maps a batch in order."""
    results = persons.map_many([person(), person(AAC003=None), person()])
    assert [r.ok for r in results] == [True, False, True]


def test_derive_warn_prefer_id_and_default(tmp_path: Path) -> None:
    """on_mismatch warn keeps the value, prefer_id takes the ID's, a missing one is derived."""
    m = inline_mapping(
        tmp_path,
        "fields:\n  id: {source: id, validators: [resident_id]}\n"
        "  g: {source: g, derive: {from: id, part: gender, on_mismatch: warn}}\n"
        "  b: {source: b, type: date, format: YYYYMMDD, "
        "derive: {from: id, part: birth_date, on_mismatch: prefer_id}}\n"
        "  r: {source: r, default: '000000', derive: {from: id, part: region}}\n",
        key="id",
    )
    result = m.map({"id": ID, "g": "2", "b": "19900308"})
    assert result.ok
    assert result.record == {"id": ID, "g": "2", "b": "1990-03-07", "r": "522601"}
    assert [(w.field, w.rule) for w in result.warnings] == [
        ("g", "derive_mismatch"),
        ("b", "derive_mismatch"),
    ]
