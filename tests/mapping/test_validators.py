"""Validators other than ID numbers and USCCs: phones, regions, regex, length, range, dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from gateway.codes import is_landline, is_mobile, is_phone
from tests.helpers.mapping import one_field


@pytest.mark.parametrize("number", ["13812345678", "19912345678", "16600001111"])
def test_mobile_valid(number: str) -> None:
    """11 digits starting 13-19 are mobiles."""
    assert is_mobile(number)


@pytest.mark.parametrize(
    "number", ["12812345678", "1381234567", "138123456789", "1381234567a", "１３８１２３４５６７８"]
)
def test_mobile_invalid(number: str) -> None:
    """Wrong prefix, length, letters or full-width digits are not mobiles."""
    assert not is_mobile(number)


@pytest.mark.parametrize(
    "number",
    ["0851-86812345", "085186812345", "(0851)86812345", "010-62345678", "0851-86812345-801"],
)
def test_landline_valid(number: str) -> None:
    """Area code with or without separator, brackets, extension."""
    assert is_landline(number)
    assert is_phone(number)


@pytest.mark.parametrize("number", ["86812345", "0851-0681234", "851-86812345"])
def test_landline_invalid(number: str) -> None:
    """No area code, a local number starting 0 or 1, or an area code without 0 are refused."""
    assert not is_landline(number)


def test_mobile_validator_in_mapping(tmp_path: Path) -> None:
    """The mobile validator rejects with rule 'mobile' and a masked value."""
    m = one_field(tmp_path, "source: p\nvalidators: [mobile]")
    assert m.map({"id": "1", "p": "13812345678"}).ok
    issue = m.map({"id": "1", "p": "13812345"}).errors[0]
    assert (issue.field, issue.rule) == ("f", "mobile")
    assert m.pii["f"] == "phone"
    assert issue.value == "****2345"  # fewer than 11 digits: the last four alone


def test_region_validator(tmp_path: Path) -> None:
    """Unknown region codes are rejected; abolished ones pass with a warning."""
    m = one_field(tmp_path, "source: r\nvalidators: [region]")
    assert m.map({"id": "1", "r": "522601"}).warnings == []
    abolished = m.map({"id": "1", "r": "522201"})
    assert abolished.ok
    assert abolished.warnings[0].rule == "region"
    assert m.map({"id": "1", "r": "529999"}).errors[0].rule == "region"


def test_regex_validator_for_item_codes(tmp_path: Path) -> None:
    """DB52/T 1264-2018 style item codes: XK + 5 digits + 3 digits."""
    m = one_field(tmp_path, r"source: c" + "\n" + r"validators: ['regex(^XK\d{5}\d{3}$)']")
    assert m.map({"id": "1", "c": "XK12345001"}).ok
    bad = m.map({"id": "1", "c": "XK1234"})
    assert bad.errors[0].rule == "regex"


def test_regex_mapping_form(tmp_path: Path) -> None:
    """The mapping form {regex: pattern} works as the call form does."""
    m = one_field(tmp_path, "source: c\nvalidators:\n  - regex: 'XK[0-9]{8}'")
    assert m.map({"id": "1", "c": "XK12345001"}).ok
    assert not m.map({"id": "1", "c": "xk12345001"}).ok


def test_length_validator(tmp_path: Path) -> None:
    """length(exact) and length {min, max}."""
    exact = one_field(tmp_path, "source: c\nvalidators: ['length(3)']")
    assert exact.map({"id": "1", "c": "abc"}).ok
    assert exact.map({"id": "1", "c": "abcd"}).errors[0].rule == "length"
    bounded = one_field(tmp_path, "source: c\nvalidators: [{length: {min: 2, max: 4}}]")
    assert bounded.map({"id": "1", "c": "ab"}).ok
    assert not bounded.map({"id": "1", "c": "a"}).ok
    assert not bounded.map({"id": "1", "c": "abcde"}).ok


def test_range_validator(tmp_path: Path) -> None:
    """range bounds are read in the field's type (int and date here)."""
    ints = one_field(tmp_path, "source: n\ntype: int\nvalidators: [{range: {min: 1, max: 100}}]")
    assert ints.map({"id": "1", "n": "100"}).ok
    assert ints.map({"id": "1", "n": "0"}).errors[0].rule == "range"
    dates = one_field(tmp_path, "source: d\ntype: date\nvalidators: [{range: {min: '2000-01-01'}}]")
    assert dates.map({"id": "1", "d": "2000-01-01"}).ok
    assert not dates.map({"id": "1", "d": "1999-12-31"}).ok


def test_not_future_validator(tmp_path: Path) -> None:
    """Dates after today are refused by not_future."""
    m = one_field(tmp_path, "source: d\ntype: date\nvalidators: [not_future]")
    assert m.map({"id": "1", "d": date.today().isoformat()}).ok
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert m.map({"id": "1", "d": tomorrow}).errors[0].rule == "not_future"


def test_uscc_validator_in_mapping(tmp_path: Path) -> None:
    """The uscc validator rejects a wrong check character with rule 'uscc'."""
    m = one_field(tmp_path, "source: c\nvalidators: [uscc]")
    assert m.map({"id": "1", "c": "91110000600037341L"}).ok
    issue = m.map({"id": "1", "c": "91110000600037341A"}).errors[0]
    assert issue.rule == "uscc"
    assert issue.detail is not None
    assert "check_digit" in issue.detail
