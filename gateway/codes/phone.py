"""Mainland telephone numbers: mobile (11 digits, ``1[3-9]``) and landline (area code + number)."""

from __future__ import annotations

import re

# 0 + 2-3 digit area code, 7-8 digit number, optional extension; "(0851)" and "0851-" forms.
_LANDLINE = re.compile(
    r"(?:0[1-9][0-9]{1,2}-?|\(0[1-9][0-9]{1,2}\))[2-9][0-9]{6,7}(?:-[0-9]{1,6})?", re.ASCII
)


def is_mobile(value: str) -> bool:
    """An 11-digit mainland mobile number such as ``13812345678``."""
    # Plain string tests: several times cheaper than the regex on the hot path.
    return (
        len(value) == 11
        and value.isascii()
        and value.isdigit()
        and value[0] == "1"
        and value[1] in "3456789"
    )


def is_landline(value: str) -> bool:
    """A landline with its area code: ``0851-86812345``, ``085186812345``, ``(0851)86812345``."""
    return _LANDLINE.fullmatch(value) is not None


def is_phone(value: str) -> bool:
    """A mobile or a landline number."""
    return is_mobile(value) or is_landline(value)


# Marks an extension (分机) is written with: "转 123", "ext. 123", "x123", "#123", "分机123".
_EXTENSION = re.compile(r"^(.*?\d)\s*(?:转|分机|ext\.?|x|#)\s*(\d{1,6})$", re.ASCII | re.IGNORECASE)
_DASHED_EXTENSION = re.compile(r"^(.*\d)\s*-\s*(\d{1,6})$")
_SEPARATORS = str.maketrans("", "", " \t\u00a0\u3000-–—.()（）")
_FULLWIDTH_DIGITS = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _digits(text: str) -> str:
    return text.translate(_SEPARATORS)


def _national(digits: str) -> str:
    """Digits without the country code (+86, 0086, 86), a landline with its leading 0."""
    if digits.startswith("+86"):
        rest = digits[3:]
    elif digits.startswith("0086"):
        rest = digits[4:]
    elif digits.startswith("86") and _is_national(digits[2:]):
        rest = digits[2:]  # bare 86: only where what follows is a whole number
    else:
        return digits
    if rest.startswith("1") and len(rest) == 11:
        return rest
    return rest if rest.startswith("0") else "0" + rest


def _is_national(rest: str) -> bool:
    return is_mobile(rest) or (not rest.startswith("0") and len(rest) >= 9 and rest.isdigit())


def _area_length(digits: str) -> int:
    """3 for 010 and 020-029, 0 for another 01x (none exists), else 4."""
    if digits[1] == "2" or digits.startswith("010"):
        return 3
    return 0 if digits[1] == "1" else 4


def _landline(digits: str, extension: str) -> str:
    """``0851-86812345[-123]``: the area code is 3 digits for 010 and 020-029, else 4."""
    area = _area_length(digits)
    number = digits[area:]
    if not area or not 7 <= len(number) <= 8:
        return digits + (f"-{extension}" if extension else "")
    return f"{digits[:area]}-{number}" + (f"-{extension}" if extension else "")


def normalize_phone(text: str) -> str:
    """A phone number as written by people to its canonical form: a mobile as 11 digits
    (``13812345678``), a landline as ``AREA-NUMBER`` or ``AREA-NUMBER-EXTENSION``.

    Full-width digits, spaces, dashes, dots and brackets go; so does the country code
    (``+86``, ``0086``, or a bare ``86`` before a whole number), and a landline written
    internationally gets its leading 0 back. Text that fits neither shape comes back
    cleaned, for the validator to refuse.
    """
    if is_mobile(text):
        return text  # the common case, at the cost of a few string tests
    value = text.translate(_FULLWIDTH_DIGITS).strip()
    extension = ""
    marked = _EXTENSION.match(value)
    if marked:
        value, extension = marked.group(1), marked.group(2)
    elif (dashed := _DASHED_EXTENSION.match(value)) and not is_mobile(_national(_digits(value))):
        # "0851-2345678-12": the last dash is an extension's only when what stands before it
        # is already a whole landline; otherwise it groups digits ("0851-8681-2345").
        before = _national(_digits(dashed.group(1)))
        if _landline_length(before):
            value, extension = dashed.group(1), dashed.group(2)
    digits = _national(_digits(value))
    if is_mobile(digits) and not extension:
        return digits
    if digits.startswith("0") and len(digits) > 3 and digits.isdigit():
        return _landline(digits, extension)
    return digits + (f"-{extension}" if extension else "")


def _landline_length(digits: str) -> bool:
    """Whether ``digits`` is exactly an area code and a 7- or 8-digit number."""
    if not (digits.startswith("0") and digits.isdigit() and len(digits) > 1):
        return False
    area = _area_length(digits)
    return area > 0 and 7 <= len(digits) - area <= 8
