"""Masking of personal data: one place that knows how each PII class is shown.

Every log line, error message, CLI output and audit entry goes through these functions before
personal data could reach it. ``scrub_text`` is the safety net for free text: it masks anything
that looks like a resident ID number or a mobile number, valid or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum


class PiiClass(StrEnum):
    """How sensitive a field is, and so how it is masked everywhere."""

    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    NONE = "none"


def mask_id_number(value: str) -> str:
    """``520102199001011234`` → ``520102********1234`` (region kept, birth date hidden)."""
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``; a landline keeps its area code and last four digits."""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: the family name alone identifies no one."""
    if not value:
        return value
    return value[0] + "*" * (len(value) - 1)


def mask_address(value: str) -> str:
    """Keep the first six characters (province and city), hide the rest."""
    if len(value) <= 6:
        return value[:2] + "*" * max(len(value) - 2, 0)
    return value[:6] + "*" * min(len(value) - 6, 8)


MASKERS: dict[PiiClass, Callable[[str], str]] = {
    PiiClass.ID_NUMBER: mask_id_number,
    PiiClass.PHONE: mask_phone,
    PiiClass.NAME: mask_name,
    PiiClass.ADDRESS: mask_address,
    PiiClass.NONE: lambda value: value,
}


def mask(value: object, pii: PiiClass | str) -> str:
    """Mask ``value`` for its PII class; ``None`` stays visible as ``None``."""
    if value is None:
        return "None"
    return MASKERS[PiiClass(pii)](str(value))


# Any 17 digits plus a digit or X that stands alone: a resident ID number, valid or not.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
# Any 11-digit mainland mobile number that stands alone.
_MOBILE_RE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def scrub_text(text: str) -> str:
    """Mask everything in free text that looks like an ID number or a mobile number."""
    if not text:
        return text
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
    return _MOBILE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)
