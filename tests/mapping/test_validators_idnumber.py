"""Resident ID numbers (GB 11643): our fast routine against python-stdnum, and our deliberate
differences from it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from gateway.codes import id_check_char, is_valid_id_number, validate_id_number
from gateway.codes.idnumber import INFORMATIONAL, IdNumberError, id_birth_date, id_gender
from tests.helpers.mapping import make_id

DIGITS17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


@settings(max_examples=1000, deadline=None)
@given(DIGITS17)
def test_check_char_equals_stdnum(first17: str) -> None:
    """id_check_char agrees with stdnum.cn.ric.calc_check_digit for any 17 digits."""
    assert id_check_char(first17) == ric.calc_check_digit(first17 + "0")


@settings(max_examples=500, deadline=None)
@given(DIGITS17, st.sampled_from("0123456789X"))
def test_check_verdict_equals_stdnum(first17: str, last: str) -> None:
    """We refuse a number for its check character exactly when stdnum's checksum differs."""
    number = first17 + last
    try:
        validate_id_number(number)
        check_ok = True
    except IdNumberError as exc:
        check_ok = exc.reason != "check_digit"  # later checks run only after the check passed
    assert check_ok == (number[-1] == ric.calc_check_digit(number))


@pytest.mark.parametrize(
    "bad",
    [
        "123",
        "52260119900307123",
        "5226011990030712345",
        "52260119900307123x",
        "52260119900307１２３4",
        "5226011990030712a4",
    ],
)
def test_format_errors(bad: str) -> None:
    """Wrong length, lower-case x, full-width or letters are format errors."""
    with pytest.raises(IdNumberError) as info:
        validate_id_number(bad)
    assert info.value.reason == "format"


def test_wrong_check_digit() -> None:
    """Changing the check character makes the number invalid with reason check_digit."""
    good = make_id()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(IdNumberError) as info:
        validate_id_number(bad)
    assert info.value.reason == "check_digit"


@pytest.mark.parametrize("birth", ["19900231", "19901301", "19900000", "20230229"])
def test_unreal_birth_date(birth: str) -> None:
    """A birth date that is not a calendar day is refused."""
    with pytest.raises(IdNumberError) as info:
        validate_id_number(make_id(birth=birth))
    assert info.value.reason == "birth_date"


def test_future_birth_date() -> None:
    """A birth date after today is refused (stdnum accepts it)."""
    tomorrow = (date.today() + timedelta(days=1)).strftime("%Y%m%d")
    number = make_id(region="520102", birth=tomorrow)
    with pytest.raises(IdNumberError):
        validate_id_number(number)
    assert ric.is_valid(number)


def test_leap_day_and_old_dates() -> None:
    """29 February of a leap year and a date before the cached range are valid."""
    assert validate_id_number(make_id(region="520102", birth="20000229")) == ()
    assert is_valid_id_number(make_id(region="520102", birth="18991231"))


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_residence_permits_are_valid(region: str) -> None:
    """Hong Kong, Macao and Taiwan residence permits are valid; stdnum rejects at least 830000."""
    number = make_id(region=region, birth="19850101")
    assert validate_id_number(number) == ()
    if region == "830000":
        assert not ric.is_valid(number)


def test_region_created_after_birth_is_only_a_note() -> None:
    """Zunyi's 520302 came into force in 1997: a 1980 birth is noted, valid (stdnum refuses)."""
    number = make_id(region="520302", birth="19800101")
    assert validate_id_number(number) == ("region_created_after_birth",)
    assert "region_created_after_birth" in INFORMATIONAL
    assert not ric.is_valid(number)


def test_region_abolished_before_birth_is_suspicious() -> None:
    """Tongren's old 522201 was abolished in 2011: a 2015 birth under it is a real warning."""
    number = make_id(region="522201", birth="20150101")
    assert validate_id_number(number) == ("region_abolished_before_birth",)
    assert "region_abolished_before_birth" not in INFORMATIONAL


@pytest.mark.parametrize(
    ("region", "birth", "warnings"),
    [
        ("520000", "19900101", ("region_not_county",)),
        ("522600", "19900101", ("region_not_county",)),
        ("710000", "19900101", ("region_taiwan",)),
        ("522601", "18990101", ("birth_before_1900", "region_created_after_birth")),
    ],
)
def test_odd_regions_and_very_old_births_warn(
    region: str, birth: str, warnings: tuple[str, ...]
) -> None:
    """Province- and prefecture-level codes, Taiwan's 710000, births before 1900: warnings."""
    assert validate_id_number(make_id(region=region, birth=birth)) == warnings


def test_residence_permits_stay_silent() -> None:
    """810000, 820000 and 830000 are province-shaped but the permits' own prefixes."""
    for region in ("810000", "820000", "830000"):
        assert validate_id_number(make_id(region=region, birth="19900101")) == ()


def test_abolished_region_is_a_warning() -> None:
    """Tongren's old 522201 (abolished 2011) stays a valid ID region, with a warning."""
    assert validate_id_number(make_id(region="522201", birth="19900101")) == ("region_abolished",)


def test_unknown_county_in_known_province_warns() -> None:
    """A county code missing from the table in a known province warns instead of rejecting."""
    assert validate_id_number(make_id(region="522699", birth="19900101")) == ("region_unknown",)


def test_unknown_province_is_an_error() -> None:
    """A region whose first two digits name no province is refused."""
    with pytest.raises(IdNumberError) as info:
        validate_id_number(make_id(region="990101"))
    assert info.value.reason == "region"


def test_stable_region_has_no_warning() -> None:
    """Kaili (522601) in force since 1983: a 1990 birth gives no warning."""
    assert validate_id_number(make_id(region="522601", birth="19900307")) == ()


def test_birth_date_and_gender_from_number() -> None:
    """The birth date and the GB/T 2261.1 gender code come out of the number."""
    number = make_id(birth="19900307", seq="123")
    assert id_birth_date(number) == date(1990, 3, 7)
    assert id_gender(number) == "1"
    assert id_gender(make_id(seq="124")) == "2"


def test_check_char_rejects_bad_input() -> None:
    """id_check_char wants exactly 17 ASCII digits."""
    for bad in ("1234", "1234567890123456X", "１２３４５６７８９０１２３４５６７"):
        with pytest.raises(ValueError, match="17 ASCII digits"):
            id_check_char(bad)
