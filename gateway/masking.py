"""Masking of personal data and redaction of credentials: one place that knows how each is shown.

Every log line, error message, CLI output and audit entry goes through these functions before
personal data or a secret could reach it. ``scrub_text`` is the safety net for free text: it masks
anything that looks like a resident ID number or a mobile number, valid or not. ``Pii`` marks a
value whose class is known (a name cannot be recognised by its shape), so it masks itself
wherever it is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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
    """``13812345678`` → ``138****5678``; ``0851-86801234`` → ``0851-****1234``."""
    area, dash, number = value.rpartition("-")
    if dash and area:
        return area + dash + ("*" * max(len(number) - 4, 0)) + number[-4:]
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """``张三丰`` → ``张**``: the family name alone identifies no one."""
    value = value.strip()
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


@dataclass(frozen=True)
class Pii:
    """A value marked with its PII class: ``str()`` and ``repr()`` both show it masked.

    ``log.info("rejected", holder=Pii(name, PiiClass.NAME))`` stays safe in any renderer, and
    so does an f-string that embeds it by mistake.
    """

    value: object
    pii: PiiClass

    def __str__(self) -> str:
        return mask(self.value, self.pii)

    def __repr__(self) -> str:
        return mask(self.value, self.pii)


def pii_name(value: object) -> Pii:
    """Mark a personal name for masking (names have no shape ``scrub_text`` could find)."""
    return Pii(value, PiiClass.NAME)


# Keys (lower-cased) that carry personal data, in the canonical model and the MOHRSS style.
_PII_KEYS: dict[str, PiiClass] = {
    "id_number": PiiClass.ID_NUMBER,
    "aac002": PiiClass.ID_NUMBER,
    "phone": PiiClass.PHONE,
    "mobile": PiiClass.PHONE,
    "aae005": PiiClass.PHONE,
    "name": PiiClass.NAME,
    "full_name": PiiClass.NAME,
    "person_name": PiiClass.NAME,
    "aac003": PiiClass.NAME,
    "address": PiiClass.ADDRESS,
    "aae006": PiiClass.ADDRESS,
}
# ``*_name`` keys are personal names unless they name a thing of the gateway's own.
_TECHNICAL_NAMES = frozenset(
    {
        "adapter_name", "app_name", "column_name", "entity_name", "event_name", "field_name",
        "file_name", "func_name", "host_name", "instance_name", "job_name", "key_name",
        "logger_name", "mapping_name", "module_name", "platform_name", "rule_name",
        "sheet_name", "stream_name", "table_name", "test_name", "thread_name",
    }
)  # fmt: skip


def pii_class_for_key(key: str) -> PiiClass | None:
    """The PII class a field or log key implies by its name, if any."""
    lowered = key.lower()
    if lowered in _PII_KEYS:
        return _PII_KEYS[lowered]
    if lowered.endswith("_name") and lowered not in _TECHNICAL_NAMES:
        return PiiClass.NAME
    return None


# "Standing alone" means not inside a longer run of ASCII letters or digits, so hex digests and
# hashes are left intact; an escape such as ``\n`` in a repr still counts as a boundary.
_BEFORE = r"(?:(?<=\\[ntr])|(?<![\dA-Za-z]))"
_AFTER = r"(?![\dA-Za-z])"
# Any 17 digits plus a digit or X: a resident ID number, valid or not.
_ID_RE = re.compile(_BEFORE + r"(\d{6})(\d{8})(\d{3}[\dXx])" + _AFTER)
# Any 11-digit mainland mobile number, with or without the +86 country code.
_MOBILE_RE = re.compile(_BEFORE + r"(\+?86[- ]?)?(1[3-9]\d)(\d{4})(\d{4})" + _AFTER)


def scrub_text(text: str) -> str:
    """Mask everything in free text that looks like an ID number or a mobile number."""
    if not text:
        return text
    text = _ID_RE.sub(lambda m: m.group(1) + "********" + m.group(3)[-4:], text)
    return _MOBILE_RE.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(4), text)


REDACTED = "[secret]"
# Query parameters whose value is a credential or a signature, in URLs and free text.
_CREDENTIAL_PARAM = re.compile(
    r"(?i)(?P<name>[?&;][^=&#\s]*?(?:sign|secret|token|key|pass|pwd|auth|credential)"
    r"[^=&#\s]*=)[^&#\s\"']*"
)
# ``scheme://user:password@host``: the password part.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]*(?=@)", re.I)


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """Replace each of ``secrets`` (longest first) and every URL credential in ``text``.

    Values shorter than four characters are not secrets anyone configured on purpose; replacing
    them would mangle every line.
    """
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
    return _CREDENTIAL_PARAM.sub(lambda m: m.group("name") + REDACTED, text)
