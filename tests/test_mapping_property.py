"""Property tests: map() never raises, whatever JSON it is given."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.mapping import MapResult, load_mapping
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


def check(result: MapResult) -> None:
    assert isinstance(result, MapResult)
    assert (result.record is None) == bool(result.errors)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(records, plausible, json_values))
def test_map_never_raises(raw: Any) -> None:
    """Every shipped labor-force mapping answers a MapResult for any JSON value."""
    for mapping in (PERSONS, PUSH, VERIFY):
        check(mapping.map(raw))
        assert isinstance(mapping.mask_raw(raw), dict)
