"""Property tests of the normalising transforms: any valid ID number, mobile, landline or USCC,
written in any of the ways people and spreadsheets write it, normalises to its canonical form
and validates; an invalid one still fails."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.codes import id_check_char, regions, uscc_check_char
from gateway.codes.uscc import USCC_ALPHABET
from gateway.mapping import CompiledMapping, load_mapping
from tests.helpers.mapping import write_mapping

BODY = """\
fields:
  id: id
  id_number: {source: id_number, transforms: [trim, upgrade_id15, id_number],
              validators: [resident_id]}
  mobile: {source: mobile, transforms: [trim, phone], validators: [mobile]}
  landline: {source: landline, transforms: [trim, phone], validators: [landline]}
  uscc: {source: uscc, transforms: [trim, uscc], validators: [uscc]}
"""
COUNTIES = regions.region_codes("52", level="county", year=1985)
FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@pytest.fixture(scope="module")
def mapping(tmp_path_factory: pytest.TempPathFactory) -> CompiledMapping:
    return load_mapping(write_mapping(tmp_path_factory.mktemp("normalize"), BODY))


def _map(mapping: CompiledMapping, name: str, value: str) -> tuple[object, list[str]]:
    result = mapping.map({"id": "1", name: value})
    rules = [f"{e.field}:{e.rule}" for e in result.errors]
    value_out = result.record[name] if result.record is not None else None
    return value_out, rules


@st.composite
def noisy(draw: st.DrawFn, text: str, separators: str = " -") -> str:
    """``text`` with separators put between some characters and some characters full-width."""
    out = []
    for char in text:
        if draw(st.integers(0, 5)) == 0:
            char = FULLWIDTH.get(char, char)
        out.append(char)
        if draw(st.integers(0, 4)) == 0:
            out.append(draw(st.sampled_from(separators)))
    return "".join(out).strip(separators)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(COUNTIES))
    born = date(1950, 1, 1) + timedelta(days=draw(st.integers(0, 365 * 40)))
    first17 = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_check_char(first17)


@given(st.data())
def test_any_id_number_normalises_and_validates(
    mapping: CompiledMapping, data: st.DataObject
) -> None:
    """Spaces, dashes, full-width digits and a lower-case x: the canonical 18 characters."""
    number = data.draw(id_numbers())
    written = data.draw(noisy(number))
    if data.draw(st.booleans()):
        written = written.replace("X", "x")
    assert _map(mapping, "id_number", written) == (number, [])


@given(st.data())
def test_a_first_generation_number_is_upgraded_with_a_warning(
    mapping: CompiledMapping, data: st.DataObject
) -> None:
    """A 15-digit number (born 19YY) becomes its 18-character form; the record is warned."""
    number = data.draw(id_numbers())
    old = number[:6] + number[8:17]
    result = mapping.map({"id": "1", "id_number": old})
    assert result.ok
    assert result.record is not None
    assert result.record["id_number"] == number
    rules = [(w.field, w.rule) for w in result.warnings]
    assert rules.count(("id_number", "upgrade_id15")) == 1
    assert {rule for _, rule in rules} <= {"upgrade_id15", "resident_id"}  # region history
    assert old not in str(result.warnings)


@given(st.data())
def test_a_wrong_id_number_still_fails(mapping: CompiledMapping, data: st.DataObject) -> None:
    """A check character that does not match is refused however the number is written."""
    number = data.draw(id_numbers())
    wrong = number[:17] + next(c for c in "0123456789X" if c != number[17])
    assert _map(mapping, "id_number", data.draw(noisy(wrong)))[1] == ["id_number:resident_id"]


mobiles = st.builds(
    lambda second, rest: f"1{second}{rest:09d}",
    st.sampled_from("3456789"),
    st.integers(0, 10**9 - 1),
)
COUNTRY = ("", "+86", "+86 ", "86", "86 ", "0086", "0086 ", "0086-")


@given(st.data())
def test_any_mobile_normalises_and_validates(mapping: CompiledMapping, data: st.DataObject) -> None:
    """+86/86/0086, spaces, dashes (138-1234-1234, 138 1234 1234), full-width: 11 digits."""
    number = data.draw(mobiles)
    grouped = data.draw(
        st.sampled_from([number, f"{number[:3]} {number[3:7]} {number[7:]}",
                         f"{number[:3]}-{number[3:7]}-{number[7:]}"])
    )  # fmt: skip
    written = data.draw(st.sampled_from(COUNTRY)) + data.draw(noisy(grouped))
    assert _map(mapping, "mobile", written) == (number, [])


@given(st.data())
def test_a_wrong_mobile_still_fails(mapping: CompiledMapping, data: st.DataObject) -> None:
    """12… is no mobile prefix, and ten digits are not a mobile, however written."""
    number = data.draw(mobiles)
    for wrong in ("12" + number[2:], number[:10]):
        written = data.draw(st.sampled_from(COUNTRY)) + data.draw(noisy(wrong))
        assert _map(mapping, "mobile", written)[1] == ["mobile:mobile"]


@st.composite
def landlines(draw: st.DrawFn) -> tuple[str, str, str]:
    """(area code, number, extension or "")."""
    area = draw(
        st.sampled_from(["010", *(f"02{d}" for d in range(10))])
        | st.builds(lambda n: f"0{n:03d}", st.integers(300, 999))
    )
    length = draw(st.sampled_from([7, 8]))
    number = (
        str(draw(st.integers(2, 9)))
        + f"{draw(st.integers(0, 10 ** (length - 1) - 1)):0{length - 1}d}"
    )
    extension = draw(st.sampled_from(["", "1", "12", "123", "8001"]))
    return area, number, extension


@given(st.data())
def test_any_landline_normalises_and_validates(
    mapping: CompiledMapping, data: st.DataObject
) -> None:
    """Brackets, spaces, dashes, +86 with the 0 dropped, 转/ext/#/-: AREA-NUMBER[-EXT]."""
    area, number, extension = data.draw(landlines())
    half = len(number) // 2
    body = data.draw(st.sampled_from([
        f"{area}-{number}", f"({area}){number}", f"{area} {number[:half]} {number[half:]}",
        f"{area}{number}", f"+86 {area[1:]} {number}", f"0086-{area[1:]}-{number}",
        f"+86 ({area}) {number}", f"{area}-{number[:half]}-{number[half:]}",
    ]))  # fmt: skip
    if extension:
        body += data.draw(st.sampled_from(["-", " 转 ", "转", " ext. ", "EXT", "#", " 分机 "]))
        body += extension
    written = "".join(FULLWIDTH.get(c, c) if data.draw(st.booleans()) and c.isdigit() else c
                      for c in body)  # fmt: skip
    canonical = f"{area}-{number}" + (f"-{extension}" if extension else "")
    assert _map(mapping, "landline", written) == (canonical, [])


@given(st.data())
def test_a_landline_without_its_area_code_still_fails(
    mapping: CompiledMapping, data: st.DataObject
) -> None:
    """A local number alone is not a landline with area code."""
    _area, number, _ext = data.draw(landlines())
    assert _map(mapping, "landline", data.draw(noisy(number)))[1] == ["landline:landline"]


@st.composite
def usccs(draw: st.DrawFn) -> str:
    head = draw(st.sampled_from(["11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93",
                                 "A1", "N1", "N2", "Y1"]))  # fmt: skip
    region = draw(st.sampled_from(COUNTIES))
    body = "".join(draw(st.lists(st.sampled_from(USCC_ALPHABET), min_size=9, max_size=9)))
    first17 = head + region + body
    return first17 + uscc_check_char(first17)


@given(st.data())
def test_any_uscc_normalises_and_validates(mapping: CompiledMapping, data: st.DataObject) -> None:
    """Spaces inside, lower case, full-width letters and digits: the canonical 18 characters."""
    code = data.draw(usccs())
    written = "".join(c.lower() if data.draw(st.booleans()) else c for c in code)
    assert _map(mapping, "uscc", data.draw(noisy(written, " "))) == (code, [])


@given(st.data())
def test_a_wrong_uscc_still_fails(mapping: CompiledMapping, data: st.DataObject) -> None:
    """A wrong check character is refused however the code is written."""
    code = data.draw(usccs())
    wrong = code[:17] + next(c for c in USCC_ALPHABET if c != code[17])
    written = "".join(c.lower() if data.draw(st.booleans()) else c for c in wrong)
    assert _map(mapping, "uscc", data.draw(noisy(written, " ")))[1] == ["uscc:uscc"]
