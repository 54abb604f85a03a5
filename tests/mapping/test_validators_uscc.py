"""Unified social credit codes (GB 32100): our fast routine against python-stdnum."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc as std_uscc

from gateway.codes import is_valid_uscc, uscc_check_char, validate_uscc
from gateway.codes.uscc import CATEGORIES, USCC_ALPHABET, UsccError, org_check_char
from tests.helpers.mapping import make_uscc

FIRST17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@settings(max_examples=1000, deadline=None)
@given(FIRST17)
def test_check_char_equals_stdnum(first17: str) -> None:
    """uscc_check_char agrees with stdnum.cn.uscc.calc_check_digit on any 17 characters."""
    assert uscc_check_char(first17) == std_uscc.calc_check_digit(first17)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from("123456789"),
    FIRST17.map(lambda s: s[:1]),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=10, max_size=10),
)
def test_verdict_equals_stdnum_for_numeric_authorities(
    a: str, b: str, region: str, rest: str
) -> None:
    """For authorities 1-9 and a digit category, we accept exactly what stdnum accepts."""
    code = a + ("1" if not b.isdigit() or b == "0" else b) + region + rest
    assert is_valid_uscc(code) == std_uscc.is_valid(code)


def test_known_valid_code() -> None:
    """The code from stdnum's documentation is valid."""
    validate_uscc("91110000600037341L")


@pytest.mark.parametrize("authority", ["A", "N", "Y"])
def test_letter_authorities_are_valid(authority: str) -> None:
    """Authorities A, N and Y are valid (stdnum demands eight leading digits)."""
    code = make_uscc(authority + "1520100MA6DKLL8X")
    validate_uscc(code)
    assert not std_uscc.is_valid(code)


@pytest.mark.parametrize(
    "bad",
    [
        "91110000600037341",
        "01110000600037341L",
        "B1110000600037341L",
        "9111000060003734IL",
        "91110000600037341l",
        "911100006000373410L",
    ],
)
def test_format_errors(bad: str) -> None:
    """Wrong length, authority 0 or B, letters I/O/S/V/Z or lower case are format errors."""
    with pytest.raises(UsccError) as info:
        validate_uscc(bad)
    assert info.value.reason == "format"


def test_wrong_check_character() -> None:
    """Changing the check character is reported as check_digit."""
    code = make_uscc()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(UsccError) as info:
        validate_uscc(wrong)
    assert info.value.reason == "check_digit"


def test_check_char_rejects_bad_input() -> None:
    """uscc_check_char wants 17 characters of the alphabet."""
    with pytest.raises(ValueError, match="USCC alphabet"):
        uscc_check_char("9111000060003734I")


def test_authority_category_pairs_and_the_embedded_organisation_code_warn() -> None:
    """GB 32100's table and GB 11714's check character: warnings, never rejections."""
    body = "MA6DKLL8"
    check = org_check_char(body)
    wrong = next(c for c in "0123456789X" if c != check)
    assert validate_uscc(make_uscc(f"91520100{body}{check}")) == ()
    assert validate_uscc(make_uscc(f"95520100{body}{check}")) == ("uscc_category",)
    assert validate_uscc(make_uscc(f"Y2520100{body}{check}")) == ("uscc_category",)
    assert validate_uscc(make_uscc(f"91520100{body}{wrong}")) == ("uscc_org_check",)
    for authority, categories in CATEGORIES.items():
        for category in categories:
            assert validate_uscc(make_uscc(f"{authority}{category}520100{body}{check}")) == ()
