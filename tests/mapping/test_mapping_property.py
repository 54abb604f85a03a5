"""Property tests: map() never raises, whatever JSON it is given."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.mapping import CompiledMapping, MapResult, load_mapping
from mappings import MAPPINGS_DIR

PERSONS = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
PUSH = load_mapping(MAPPINGS_DIR / "labor_force" / "verifications.push.yaml")
VERIFY = load_mapping(MAPPINGS_DIR / "files" / "verifications.yaml")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "AAC002",
        "AAC003",
        "AAC004",
        "AAC005",
        "AAC006",
        "AAB299",
        "AAC011",
        "AAC008",
        "AAE006",
        "AAE005",
        "HCZT",
        "AAE036",
        "id_number",
        "verification_status",
        "employment_status",
        "work_place",
        "verified_at",
        "verified_by",
        "身份证号",
        "核查时间",
        "核查状态",
        "other",
    ]
)
records = st.dictionaries(field_names, json_values, max_size=14)
digit_text = st.text(alphabet="0123456789X -/:年月日", max_size=20)
plausible = st.dictionaries(field_names, digit_text, max_size=14)


RICH = """\
version: 1
name: property.rich
direction: pull
entity: thing
key: [code, day]
extra_fields: warn
fields:
  code: {source: [AAC002, id_number], transforms: [coalesce, trim, upper], validators: [uscc]}
  day: {source: AAC006, type: date, format: [YYYYMMDD, YYYY年M月D日], required: true}
  at: {source: AAE036, type: datetime, format: "YYYY-MM-DD HH:mm:ss", validators: [not_future]}
  amount: {source: other.amount, type: decimal, format: "0.00", transforms: [number]}
  count: {source: AAC011, type: int, validators: [{range: {min: 0, max: 99}}]}
  flag: {source: HCZT, type: bool}
  tags: {source: AAE006, type: list, transforms: ['split(,)', trim, {nullif: ["-"]}]}
  phone: {source: [AAE005, AAC003], transforms: ['join(-)'], validators: [phone]}
rules:
  - "count >= 1 or flag == true"
  - {rule: "at > '2000-01-01T00:00:00'", level: warning}
"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> CompiledMapping:
    path = tmp_path_factory.mktemp("rich") / "rich.yaml"
    path.write_text(RICH, encoding="utf-8")
    return load_mapping(path)


def check(result: MapResult) -> None:
    assert isinstance(result, MapResult)
    # The catch-all must stay unused: every odd input has a named reason.
    assert all(issue.rule != "internal" for issue in result.errors), result.errors
    assert (result.record is None) == bool(result.errors)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(records, plausible, json_values))
def test_map_never_raises(rich: CompiledMapping, raw: Any) -> None:
    """Every labor-force mapping and a mapping using every feature answer any JSON value."""
    for mapping in (PERSONS, PUSH, VERIFY, rich):
        check(mapping.map(raw))
        assert isinstance(mapping.mask_raw(raw), dict)
