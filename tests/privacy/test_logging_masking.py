"""Masking functions: each PII class, free-text scrubbing, and credential redaction."""

from __future__ import annotations

import hashlib

import pytest

from gateway.masking import (
    Pii,
    PiiClass,
    mask,
    mask_address,
    mask_id_number,
    mask_name,
    mask_phone,
    pii_class_for_key,
    pii_name,
    redact_secrets,
    scrub_text,
)

ID = "11010519491231002X"


def test_each_class_masks_as_documented() -> None:
    """ID numbers keep first three and last four, phones 3+4, names the family name, addresses 6."""
    assert mask_id_number(ID) == "110***********002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("0851-86801234") == "0851-****1234"
    assert mask_name("张三丰") == "张**"
    assert mask_address("贵州省贵阳市南明区花果园") == "贵州省贵阳市******"
    assert mask(None, PiiClass.NAME) == "None"
    assert mask("abc", "none") == "abc"


def test_marked_value_masks_itself_anywhere() -> None:
    """A Pii value is masked by str(), repr() and an f-string alike."""
    holder = pii_name("王小明")
    assert str(holder) == repr(holder) == f"{holder}" == "王**"
    assert str(Pii(ID, PiiClass.ID_NUMBER)) == "110***********002X"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"id={ID}&x=1", "id=110***********002X&x=1"),
        (f"身份证{ID.lower()}，", "身份证110***********002x，"),
        ("call 13812345678.", "call 138****5678."),
        ("tel:+86 13812345678", "tel:+86 138****5678"),
        ("8613812345678", "86138****5678"),
        (f"b'line\\n{ID}'", "b'line\\n110***********002X'"),
        ("order 1381234567890", "order 1381234567890"),
    ],
)
def test_scrub_text_masks_numbers_standing_alone(text: str, expected: str) -> None:
    """ID and mobile numbers are masked when not part of a longer letter/digit run."""
    assert scrub_text(text) == expected


def test_scrub_text_leaves_digests_intact() -> None:
    """A hex digest that happens to hold long digit runs is not mangled."""
    digest = "ab" + "13812345678" + "cd" + ID[:-1] + "7e"
    assert scrub_text(digest) == digest
    sha = hashlib.sha256(b"x").hexdigest()
    assert scrub_text(sha) == sha


def test_keys_imply_pii_classes() -> None:
    """name, *_name (not technical names), id_number and the MOHRSS codes have classes."""
    assert pii_class_for_key("AAC003") is PiiClass.NAME
    assert pii_class_for_key("contact_name") is PiiClass.NAME
    assert pii_class_for_key("job_name") is None
    assert pii_class_for_key("aac002") is PiiClass.ID_NUMBER
    assert pii_class_for_key("mobile") is PiiClass.PHONE
    assert pii_class_for_key("event") is None


def test_redact_secrets_removes_values_and_url_credentials() -> None:
    """Configured secrets, signature and token parameters and URL passwords are replaced."""
    text = "GET https://app:pw0rd@h/x?page=2&X-Signature=ab12&access_token=t0k key=longsecret1"
    redacted = redact_secrets(text, ["longsecret1", "ab"])
    assert redacted == (
        "GET https://app:[secret]@h/x?page=2&X-Signature=[secret]&access_token=[secret] "
        "key=[secret]"
    )
