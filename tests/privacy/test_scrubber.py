"""The free-text scrubber: every written form of an ID number or a phone, in any text, masked.

Identifiers are generated valid (check digits right, real county codes), written in every form
people use (spaces, dashes, full-width digits, country codes, extensions), embedded in random
text; after ``scrub_text`` none can be read back.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.codes.idnumber import id_check_char
from gateway.codes.regions import region_codes
from gateway.masking import (
    SCRUB_PATTERNS,
    mask_id_number,
    mask_phone,
    pattern_matches,
    scrub_text,
)

_COUNTIES = tuple(c for c in region_codes() if not c.endswith("00"))
_FULL = str.maketrans("0123456789", "０１２３４５６７８９")
_ASCII = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}
# Text around an identifier: Chinese, punctuation, whitespace; no ASCII letter or digit touches
# it (those would make it part of a longer token, such as a hex digest, which stays intact).
_AROUND = st.text(
    alphabet=st.sampled_from(list("身份证号码电话联系人：，。；、 \t\n()[]{}\"'=/|张王李贵州省")),
    min_size=1,
    max_size=12,
)


def _group(digits: str, sizes: tuple[int, ...], sep: str) -> str:
    out, at = [], 0
    for size in sizes:
        out.append(digits[at : at + size])
        at += size
    return sep.join(p for p in out if p)


@st.composite
def id_numbers(draw: st.DrawFn) -> tuple[str, str, str]:
    """(number, as written, as masked): 18 characters (x or X) or 15 digits, in any layout."""
    region = draw(st.sampled_from(_COUNTIES))
    born = draw(st.dates(date(1940, 1, 1), date(2008, 12, 31)))
    seq = draw(st.integers(0, 999))
    if draw(st.booleans()):
        first17 = f"{region}{born:%Y%m%d}{seq:03d}"
        number = first17 + id_check_char(first17)
        if number.endswith("X") and draw(st.booleans()):
            number = number[:-1] + "x"
        sizes: tuple[int, ...] = draw(
            st.sampled_from([(18,), (6, 8, 4), (6, 4, 4, 4), (3, 3, 4, 4, 4)])
        )
    else:
        number = f"{region}{born:%y%m%d}{seq:03d}"
        sizes = draw(st.sampled_from([(15,), (6, 6, 3), (6, 3, 3, 3)]))
    sep = draw(st.sampled_from(["", " ", "-", " - ", "\u00a0"]))
    written = _group(number, sizes if sep else (len(number),), sep)
    if draw(st.booleans()):
        written = written.translate(_FULL)
    return number, written, mask_id_number(number)


@st.composite
def mobiles(draw: st.DrawFn) -> tuple[str, str, str]:
    number = (
        "1" + draw(st.sampled_from("3456789")) + draw(st.text("0123456789", min_size=9, max_size=9))
    )
    sizes = draw(st.sampled_from([(11,), (3, 4, 4), (3, 8)]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    country = draw(st.sampled_from(["", "+86", "+86 ", "86", "0086", "0086-", "(+86)"]))
    written = country + _group(number, sizes if sep else (11,), sep)
    if draw(st.booleans()):
        written = written.translate(_FULL)
    return number, written, country + number[:3] + "****" + number[-4:]


@st.composite
def landlines(draw: st.DrawFn) -> tuple[str, str, str]:
    area = draw(st.sampled_from(["010", "021", "0851", "0856", "0371"]))
    number = draw(st.sampled_from("2345678")) + draw(st.text("0123456789", min_size=7, max_size=7))
    written = draw(st.sampled_from([f"{area}-{number}", f"({area}){number}", f"{area} {number}"]))
    extension = draw(st.text("0123456789", min_size=1, max_size=4))
    marked = draw(st.sampled_from(["", f"-{extension}", f"转{extension}", f" ext {extension}"]))
    masked = f"{area}-****{number[-4:]}" + ("-" + "*" * len(extension) if marked else "")
    return area + number, written + marked, masked


# Between two numbers something that cannot be part of one. Numbers apart by spaces alone are
# not masked number by number: where one ends and the next begins is a guess the scrubber can
# get wrong (docs/privacy.md, "What the scrubber cannot tell apart").
_BETWEEN = _AROUND.filter(lambda text: any(c not in " \u00a0" for c in text))


@settings(max_examples=300, deadline=None)
@given(found=st.lists(st.one_of(id_numbers(), mobiles(), landlines()), min_size=1, max_size=3),
       around=st.lists(_BETWEEN, min_size=4, max_size=4))  # fmt: skip
def test_no_identifier_survives_in_any_text(
    found: list[tuple[str, str, str]], around: list[str]
) -> None:
    """Valid identifiers in every written form, embedded in random text: each masked, no
    digit of them left but the mask's (and a mobile's country code)."""
    text = around[0] + "".join(f"{w}{around[(n % 3) + 1]}" for n, (_, w, _) in enumerate(found))
    left = scrub_text(text).translate(_ASCII)
    for number, written, masked in found:
        assert written not in left
        assert number not in left
        assert masked.translate(_ASCII) in left
        left = left.replace(masked.translate(_ASCII), "", 1)
    assert not any(c.isdigit() for c in left), left


def test_one_table_of_patterns() -> None:
    """The scrubber is the table: ID numbers, then mobiles, then landlines."""
    names = [name for name, _, _ in SCRUB_PATTERNS]
    assert names == ["id_number_18", "id_number_15", "legacy_masked_id", "mobile", "landline"]


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("138-1234-1234", "138****1234"),
        ("0851-8680-1234", "0851-****1234"),
        ("0851-86801234-801", "0851-****1234-***"),
    ],
)
def test_the_three_phone_cases(written: str, masked: str) -> None:
    """The phones the old mask printed whole: masked by mask_phone and by the scrubber."""
    assert mask_phone(written) == masked
    assert scrub_text(f"电话 {written}。") == f"电话 {masked}。"


def test_digests_and_long_tokens_are_left_alone() -> None:
    """A hex digest or a number inside a longer token is no identifier."""
    digest = "a1b2c3" + "13812345678" + "ff"
    assert scrub_text(digest) == digest
    assert scrub_text("2024-01-01 12:00:00 run 42") == "2024-01-01 12:00:00 run 42"


def _every_pattern_applied(text: str) -> str:
    """The scrubber without its shortcut: every pattern over the text, as the table says."""
    wide = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
    for name, pattern, masker in SCRUB_PATTERNS:
        form, pieces, last = text.translate(wide), [], 0
        for match in pattern_matches(name, pattern, form):
            pieces += (text[last : match.start()], masker(match, text))
            last = match.end()
        if pieces:
            text = "".join(pieces) + text[last:]
    return text


_DIGITISH = st.text(
    alphabet=st.sampled_from(
        list("0123456789０１２３４５６７８９Xx*-+() \u00a0\u3000#转ext.电话\n")
    ),
    max_size=40,
)


@settings(max_examples=500, deadline=None)
@given(pieces=st.lists(st.one_of(_DIGITISH, id_numbers().map(lambda f: f[1]),
                                 id_numbers().map(lambda f: f[0][:6] + "*" * 8 + f[0][14:]),
                                 mobiles().map(lambda f: f[1]), landlines().map(lambda f: f[1])),
                       max_size=4))  # fmt: skip
def test_the_shortcut_for_short_digit_runs_changes_nothing(pieces: list[str]) -> None:
    """Text without six digits in a row (separators allowed) is returned as it is; whatever the
    text, the scrubber answers what applying every pattern answers."""
    text = "".join(pieces)
    assert scrub_text(text) == _every_pattern_applied(text)


@given(found=st.lists(id_numbers(), min_size=1, max_size=50))
def test_a_page_of_masked_keys_is_left_as_it_is(found: list[tuple[str, str, str]]) -> None:
    """Masked ID numbers, joined as a page's keys are: nothing in them to scrub again."""
    masked = "\n".join(mask_id_number(number) for number, _, _ in found)
    assert scrub_text(masked) == masked


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("=010-20000000 010-20000000=", "=010-****0000 010-****0000="),
        ("=010 20000000 13000000000=", "=010-****0000 130****0000="),
        ("=13000000000=130 0000 1000 110101 20000101 0002=",
         "=130****0000=130****1000 110***********0002="),
        ("520102 19900101 1257", "520***********1257"),
        ("5\u0662\u0660102 19900101 1256 x", "5\u0662\u0660***********1256 x"),
    ],
)  # fmt: skip
def test_a_number_after_a_landline_or_in_groups_is_not_taken_for_part_of_it(
    written: str, masked: str
) -> None:
    """A landline's extension is marked or follows a dash, so a space and the next number are
    not read as one; groups of digits are an ID number where the check character says so, and
    still one when nothing else fits."""
    assert scrub_text(written) == masked
