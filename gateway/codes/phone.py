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
