"""Masking of personal data and redaction of credentials: one place that knows how each is shown.

Every log line, error message, CLI output and audit entry goes through these functions before
personal data or a secret could reach it. ``scrub_text`` is the safety net for free text: it masks
anything that looks like a resident ID number or a mobile number, valid or not. ``Pii`` marks a
value whose class is known (a name cannot be recognised by its shape), so it masks itself
wherever it is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from gateway.codes.idnumber import id_check_char
from gateway.codes.phone import is_mobile, normalize_phone


class PiiClass(StrEnum):
    """How sensitive a field is, and so how it is masked everywhere.

    ``birth_date`` and ``region`` are quasi-identifiers: together with a masked ID number they
    would give back the digits the mask hides, so they are masked wherever they are shown.
    """

    ID_NUMBER = "id_number"
    PHONE = "phone"
    NAME = "name"
    ADDRESS = "address"
    BIRTH_DATE = "birth_date"
    REGION = "region"
    NONE = "none"


_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}


def _star_digits(value: str, keep_front: int, keep_back: int) -> str:
    """Every digit of ``value`` starred but the first ``keep_front`` and last ``keep_back``."""
    count = sum(c.isdigit() for c in value)
    if keep_front + keep_back >= count:
        keep_front = keep_back = 0
    out: list[str] = []
    seen = 0
    for char in value:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= keep_front or seen > count - keep_back else "*")
        else:
            out.append(char)
    return "".join(out)


def mask_id_number(value: str) -> str:
    """``520102199001011234`` → ``520***********1234``: first three and last four only.

    The three kept digits name a province and no county; the birth date, the county and the
    first sequence digits are hidden (a 15-digit number keeps its last three). GB/T 35273's
    de-identification examples keep no more.
    """
    value = value.translate(_FULLWIDTH)
    if len(value) < 15:
        return "*" * len(value)
    back = 3 if len(value) == 15 else 4
    return value[:3] + "*" * (len(value) - 3 - back) + value[-back:]


def mask_phone(value: str) -> str:
    """At most the first three and last four digits, whatever the punctuation.

    ``138-1234-5678`` → ``138****5678``; a landline keeps its area code and the last four of
    its number: ``0851-86801234-801`` → ``0851-****1234-***``. Text of no known shape keeps
    only its last four digits (and its first three when it has eleven or more).
    """
    canonical = normalize_phone(value)
    if is_mobile(canonical):
        return canonical[:3] + "****" + canonical[-4:]
    parts = canonical.split("-")
    if len(parts) in (2, 3) and parts[0].startswith("0") and all(p.isdigit() for p in parts):
        number = parts[1]
        masked = parts[0] + "-" + "*" * max(len(number) - 4, 0) + number[-4:]
        return masked + ("-" + "*" * len(parts[2]) if len(parts) == 3 else "")
    digits = sum(c.isdigit() for c in value.translate(_FULLWIDTH))
    if digits < 8:
        return "".join("*" if c.isdigit() else c for c in value.translate(_FULLWIDTH))
    return _star_digits(value.translate(_FULLWIDTH), 3 if digits >= 11 else 0, 4)


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


def mask_birth_date(value: str) -> str:
    """The year alone: ``1990-01-01`` → ``1990-**-**``, ``19900101`` → ``1990****``."""
    return _star_digits(value.translate(_FULLWIDTH), 4, 0)


def mask_region(value: str) -> str:
    """The province alone: ``520102`` → ``52****``; a region's name keeps three characters."""
    value = value.translate(_FULLWIDTH)
    if any(c.isdigit() for c in value):
        return _star_digits(value, 2, 0)
    return value[:3] + "*" * max(len(value) - 3, 0)


MASKERS: dict[PiiClass, Callable[[str], str]] = {
    PiiClass.ID_NUMBER: mask_id_number,
    PiiClass.PHONE: mask_phone,
    PiiClass.NAME: mask_name,
    PiiClass.ADDRESS: mask_address,
    PiiClass.BIRTH_DATE: mask_birth_date,
    PiiClass.REGION: mask_region,
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
    "birth_date": PiiClass.BIRTH_DATE,
    "birthday": PiiClass.BIRTH_DATE,
    "date_of_birth": PiiClass.BIRTH_DATE,
    "aac006": PiiClass.BIRTH_DATE,
    "household_region": PiiClass.REGION,
    "aab299": PiiClass.REGION,
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


def as_text(value: object) -> str:
    """How a renderer would show a value that is not plain data, before it is cleaned."""
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    # Renderers fall back to repr(); a repr of a record or an exchange holds raw data.
    return repr(value)


def _declared(classes: Mapping[str, PiiClass], key: str) -> PiiClass | None:
    found = classes.get(key)
    return None if found is PiiClass.NONE else found


def mask_issue(issue: Mapping[str, Any], classes: Mapping[str, PiiClass]) -> dict[str, Any]:
    """A stored reason or warning (field, rule, value, detail) masked by its field's class.

    Values were masked when the issue was filed; masking them again by today's policy hides
    what an older policy left visible.
    """
    field = str(issue.get("field") or "")
    pii = _declared(classes, field) or pii_class_for_key(field)
    return {
        k: (None if v is None else str(mask_data(str(v), pii if k == "value" else None)))
        for k, v in issue.items()
    }


def mask_data(
    value: Any, pii: PiiClass | None = None, classes: Mapping[str, PiiClass] | None = None
) -> Any:
    """Any value fit to be shown: the one masking policy every view and log goes through.

    A mapping's field is masked by its class in ``classes`` (a mapping's declared PII
    classes), else by what its key implies, else by the class of its parent; a value of no
    class is scrubbed. Quasi-identifiers (birth date, region) are masked like the rest, so no
    two fields shown together add up to an ID number (docs/privacy.md).
    """
    if isinstance(value, Pii):
        return str(value)
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, str | int | date | Decimal):
        text = value.isoformat() if isinstance(value, date) else str(value)
        masked = mask(text, pii) if pii and pii is not PiiClass.NONE else scrub_text(text)
        return value if masked == text else masked
    if isinstance(value, Mapping):
        known = classes or {}
        return {
            scrub_text(k) if isinstance(k, str) else k: mask_data(
                v, _declared(known, str(k)) or pii_class_for_key(str(k)) or pii, None
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_data(v, pii) for v in value]
    return scrub_text(as_text(value))


# "Standing alone" means not inside a longer run of ASCII letters or digits, so hex digests and
# hashes are left intact; an escape such as ``\n`` in a repr still counts as a boundary.
_BEFORE = r"(?:(?<=\\[ntr])|(?<![\dA-Za-z]))"
_AFTER = r"(?![\dA-Za-z])"
# What may stand between two digits of one number as people write it: a space, a dash, both.
_SEP = r"(?:[ \u00a0]?-?[ \u00a0]?)"
# Full-width forms (digits, "+", "-", brackets) and the ideographic space read as their ASCII
# twins, character for character, so a match's span is the same in the text as written.
_MATCH_FORM = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _digits_of(text: str) -> str:
    return "".join(c for c in text if c.isdigit() or c in "Xx")


def _mask_id_match(match: re.Match[str], written: str) -> str:
    return mask_id_number(_digits_of(match.group(0)))


def _remask_legacy(match: re.Match[str], written: str) -> str:
    text = match.group(0)
    return (
        text[:3]
        + "*" * (len(text) - 3 - (4 if len(text) == 18 else 3))
        + text[-(4 if len(text) == 18 else 3) :]
    )


def _mask_mobile_match(match: re.Match[str], written: str) -> str:
    country = written[match.start("cc") : match.end("cc")] if match.group("cc") else ""
    number = _digits_of(match.group("number"))
    return country + number[:3] + "****" + number[-4:]


def _mask_landline_match(match: re.Match[str], written: str) -> str:
    return mask_phone(match.group(0))


# The scrubber's whole knowledge, tried in this order (an ID number is longer than a phone):
# 18- and 15-character resident ID numbers (valid or not), mainland mobiles with or without a
# country code (+86, 0086, 86), landlines with their area code and an optional extension.
SCRUB_PATTERNS: tuple[tuple[str, re.Pattern[str], Callable[[re.Match[str], str], str]], ...] = (
    ("id_number_18", re.compile(_BEFORE + rf"[1-9](?:{_SEP}\d){{16}}{_SEP}[\dXx]" + _AFTER),
     _mask_id_match),
    ("id_number_15", re.compile(_BEFORE + rf"[1-9](?:{_SEP}\d){{14}}" + _AFTER), _mask_id_match),
    # A mask written before the policy kept the county: shown again, it loses it.
    ("legacy_masked_id",
     re.compile(_BEFORE + r"[1-9]\d{5}(?:\*{8}\d{3}[\dXx*]|\*{5}\d{4})" + _AFTER),
     _remask_legacy),
    ("mobile", re.compile(
        _BEFORE + rf"(?P<cc>\(?(?:\+|00)?86\)?{_SEP})?(?P<number>1[3-9]\d(?:{_SEP}\d){{8}})"
        + _AFTER), _mask_mobile_match),
    ("landline", re.compile(
        _BEFORE + rf"(?:\(0\d{{2,3}}\)|0\d{{2,3}}){_SEP}[2-9](?:{_SEP}\d){{6,7}}"
        # An extension is marked, or follows a dash: after a bare space, digits are the next
        # number (a landline's "extension" would swallow the area code of the one after it).
        rf"(?:(?:{_SEP}(?:转|分机|ext\.?|x|#){_SEP}|[ \u00a0]?-[ \u00a0]?)\d{{1,6}})?" + _AFTER,
        re.IGNORECASE),
     _mask_landline_match),
)  # fmt: skip
_ANY_DIGIT = re.compile(r"[\d\uff10-\uff19]")
# Every pattern above matches six digits at least, apart only by what may separate a number's
# digits (the shortest: a legacy mask's six, a landline's seven): text without such a run holds
# nothing to scrub, and one pass of this pattern spares the five (a page of masked keys).
_DIGIT_RUN = re.compile(rf"\d(?:{_SEP}\d){{5}}")


def scrub_text(text: str) -> str:
    """Mask everything in free text that looks like an ID number or a phone number."""
    if not text or not _ANY_DIGIT.search(text):
        return text
    if not _DIGIT_RUN.search(text.translate(_MATCH_FORM)):
        return text
    for name, pattern, masker in SCRUB_PATTERNS:
        form = text.translate(_MATCH_FORM)
        pieces: list[str] = []
        last = 0
        for match in pattern_matches(name, pattern, form):
            pieces += (text[last : match.start()], masker(match, text))
            last = match.end()
        if pieces:
            text = "".join(pieces) + text[last:]
    return text


def _grouped_id_is_valid(written: str) -> bool:
    """An 18-character ID number written whole is one, valid or not; written in groups, it is
    one only if its check character holds: groups of digits apart by spaces can also be the
    end of one number and the start of the next (``… 1000 110101 20000101 0002``), and taking
    them for an ID number would leave both in clear."""
    digits = _digits_of(written).upper()
    if len(digits) == len(written) or not digits.isascii():
        return True  # written whole, or in digits of another script: no check to ask
    return id_check_char(digits[:17]) == digits[17]


_PLAUSIBLE: dict[str, Callable[[str], bool]] = {"id_number_18": _grouped_id_is_valid}


def pattern_matches(name: str, pattern: re.Pattern[str], form: str) -> Iterator[re.Match[str]]:
    """The matches of the scrub pattern ``name`` in ``form``, left to right. One that is not
    plausible for it gives way to a plausible one starting inside it; without such, it is taken
    all the same (an ID number with a wrong check character is still someone's)."""
    plausible = _PLAUSIBLE.get(name)
    at = 0
    while (match := pattern.search(form, at)) is not None:
        if plausible is not None and not plausible(match.group(0)):
            rival = _plausible_within(pattern, form, match, plausible)
            match = rival or match
        yield match
        at = match.end()


def _plausible_within(
    pattern: re.Pattern[str], form: str, match: re.Match[str], plausible: Callable[[str], bool]
) -> re.Match[str] | None:
    at = match.start() + 1
    while (other := pattern.search(form, at)) is not None and other.start() < match.end():
        if plausible(other.group(0)):
            return other
        at = other.start() + 1
    return None


def scrub_texts(texts: Sequence[str]) -> list[str]:
    """:func:`scrub_text` of each text, scrubbed as one (a page's masked keys: one pass of
    each pattern instead of one per key). No pattern crosses a line break, so the texts are
    joined by one unless a text holds one itself."""
    if not texts or any("\n" in text for text in texts):
        return [scrub_text(text) for text in texts]
    return scrub_text("\n".join(texts)).split("\n")


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
