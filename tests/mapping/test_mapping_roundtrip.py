"""Round trips: the bureau's verification file → canonical → the platform's update, and the
platform's own person values back through the push mapping."""

from __future__ import annotations

import pytest

from gateway.mapping import load_mapping
from mappings import MAPPINGS_DIR
from tests.helpers.mapping import make_id

PULL = MAPPINGS_DIR / "files" / "verifications.yaml"
PUSH = MAPPINGS_DIR / "labor_force" / "verifications.push.yaml"
PERSONS = MAPPINGS_DIR / "labor_force" / "persons.yaml"


@pytest.mark.parametrize("status", ["0", "1", "2"])
@pytest.mark.parametrize("employment", ["1", "2", "3", "4", "5", "9"])
def test_verification_round_trip(status: str, employment: str) -> None:
    """A valid row pulled then pushed gives back its original values under platform names."""
    number = make_id(region="522701", birth="19791231", seq="046")
    row = {
        "身份证号": number,
        "核查状态": status,
        "就业状态": employment,
        "工作地点": "都匀市 剑江路 8 号",
        "核查时间": "2024-03-01 09:30:05",
        "核查人": "王核查",
    }
    pulled = load_mapping(PULL).map(row)
    assert pulled.ok
    assert pulled.record is not None
    assert pulled.key == f"{number}|2024-03-01T09:30:05+08:00"
    pushed = load_mapping(PUSH).map(pulled.record)
    assert pushed.ok
    assert pushed.record is not None
    assert pushed.record == {
        "AAC002": number,
        "HCZT": status,
        "AAC008": employment,
        "AAE006": "都匀市 剑江路 8 号",
        "HCSJ": "2024-03-01 09:30:05",
        "HCR": "王核查",
    }
    assert pushed.key == f"{number}|2024-03-01 09:30:05"


def test_labels_are_accepted_and_pushed_as_codes() -> None:
    """A file that carries labels (已核查, 灵活就业) pushes the platform's codes."""
    number = make_id()
    row = {
        "身份证号": number,
        "核查状态": "核查异常",
        "就业状态": "灵活就业",
        "核查时间": "2024-03-01 09:30:05",
        "核查人": "王核查",
    }
    pulled = load_mapping(PULL).map(row)
    assert pulled.record is not None
    pushed = load_mapping(PUSH).map(pulled.record)
    assert pushed.record is not None
    assert (pushed.record["HCZT"], pushed.record["AAC008"]) == ("2", "4")
    assert pushed.record["AAE006"] is None


def test_person_values_round_trip_through_push() -> None:
    """The platform's AAC002, AAC008, AAE006 and HCZT come back unchanged from canonical."""
    number = make_id()
    raw = {"AAC002": number, "AAC003": "张三", "AAC008": "5", "AAE006": "凯里市", "HCZT": "2"}
    person = load_mapping(PERSONS).map(raw).record
    assert person is not None
    verification = {
        "id_number": person["id_number"],
        "verification_status": person["verification_status"],
        "employment_status": person["employment_status"],
        "work_place": person["work_place"],
        "verified_at": "2024-01-02T03:04:05+08:00",
        "verified_by": "核查员",
    }
    pushed = load_mapping(PUSH).map(verification).record
    assert pushed is not None
    assert {k: pushed[k] for k in ("AAC002", "AAC008", "AAE006", "HCZT")} == {
        k: raw[k] for k in ("AAC002", "AAC008", "AAE006", "HCZT")
    }


def test_bad_rows_are_rejected() -> None:
    """Unknown labels, malformed or future times and missing verifiers are rejected."""
    pull = load_mapping(PULL)
    base = {
        "身份证号": make_id(),
        "核查状态": "已核查",
        "核查时间": "2024-03-01 09:30:05",
        "核查人": "王核查",
    }
    cases = [
        ({"核查状态": "未知"}, ("verification_status", "code_map")),
        ({"核查时间": "2024/03/01"}, ("verified_at", "type")),
        ({"核查时间": "2999-01-01 00:00:00"}, ("verified_at", "not_future")),
        ({"核查人": ""}, ("verified_by", "required")),
    ]
    for change, expected in cases:
        result = pull.map({**base, **change})
        assert [(i.field, i.rule) for i in result.errors] == [expected]


def test_push_rejects_unknown_canonical_codes() -> None:
    """A canonical status the platform has no code for is rejected by the push mapping."""
    push = load_mapping(PUSH)
    result = push.map(
        {
            "id_number": make_id(),
            "verification_status": "pending",
            "verified_at": "2024-01-02T03:04:05+08:00",
            "verified_by": "x",
        }
    )
    assert [(i.field, i.rule) for i in result.errors] == [("HCZT", "code_map")]
