"""Date and time patterns such as ``YYYYMMDD``, ``YYYY-MM-DD HH:mm:ss`` or ``YYYY年M月D日``.

Tokens: ``YYYY`` year, ``MM``/``M`` month, ``DD``/``D`` day, ``HH``/``H`` hour (24 h), ``mm``/``m``
minute, ``ss``/``s`` second, ``SSS`` milliseconds, ``SSSSSS`` microseconds; the one-letter forms
take one or two digits when parsing. Text in square brackets is literal (``[T]``); any other
character is literal as well. A pattern compiles once into a parser and a formatter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

TOKENS = ("YYYY", "SSSSSS", "SSS", "MM", "DD", "HH", "mm", "ss", "M", "D", "H", "m", "s")
_REGEX = {
    "YYYY": r"(\d{4})",
    "MM": r"(\d{2})",
    "M": r"(\d{1,2})",
    "DD": r"(\d{2})",
    "D": r"(\d{1,2})",
    "HH": r"(\d{2})",
    "H": r"(\d{1,2})",
    "mm": r"(\d{2})",
    "m": r"(\d{1,2})",
    "ss": r"(\d{2})",
    "s": r"(\d{1,2})",
    "SSS": r"(\d{3})",
    "SSSSSS": r"(\d{6})",
}
_PART = {
    "YYYY": "year",
    "MM": "month",
    "M": "month",
    "DD": "day",
    "D": "day",
    "HH": "hour",
    "H": "hour",
    "mm": "minute",
    "m": "minute",
    "ss": "second",
    "s": "second",
    "SSS": "millisecond",
    "SSSSSS": "microsecond",
}
_FORMAT = {
    "YYYY": "{0.year:04d}",
    "MM": "{0.month:02d}",
    "M": "{0.month}",
    "DD": "{0.day:02d}",
    "D": "{0.day}",
    "HH": "{0.hour:02d}",
    "H": "{0.hour}",
    "mm": "{0.minute:02d}",
    "m": "{0.minute}",
    "ss": "{0.second:02d}",
    "s": "{0.second}",
    "SSS": "{ms:03d}",
    "SSSSSS": "{0.microsecond:06d}",
}
_TIME_PARTS = frozenset({"hour", "minute", "second", "millisecond", "microsecond"})


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern: which parts it has, a regex to read them, a template to write them."""

    text: str
    parts: tuple[str, ...]
    regex: re.Pattern[str]
    template: str

    @property
    def has_time(self) -> bool:
        return bool(_TIME_PARTS.intersection(self.parts))

    def read(self, value: str) -> dict[str, int] | None:
        """The pattern's parts as integers, or ``None`` when ``value`` does not fit."""
        found = self.regex.fullmatch(value)
        if found is None:
            return None
        return dict(zip(self.parts, map(int, found.groups()), strict=True))

    def write(self, value: date) -> str:
        ms = value.microsecond // 1000 if isinstance(value, datetime) else 0
        return self.template.format(value, ms=ms)


def compile_pattern(text: str) -> Pattern:
    """Compile ``text``; :class:`ValueError` says what is wrong with it."""
    regex, template, parts = [], [], []
    i = 0
    while i < len(text):
        if text[i] == "[":
            end = text.find("]", i)
            if end < 0:
                raise ValueError("unclosed [ in pattern")
            literal = text[i + 1 : end]
            regex.append(re.escape(literal))
            template.append(literal.replace("{", "{{").replace("}", "}}"))
            i = end + 1
            continue
        token = next((t for t in TOKENS if text.startswith(t, i)), None)
        if token is None:
            regex.append(re.escape(text[i]))
            template.append(text[i].replace("{", "{{").replace("}", "}}"))
            i += 1
            continue
        if _PART[token] in parts:
            raise ValueError(f"{_PART[token]} appears twice")
        parts.append(_PART[token])
        regex.append(_REGEX[token])
        template.append(_FORMAT[token])
        i += len(token)
    for needed in ("year", "month", "day"):
        if needed not in parts:
            raise ValueError(f"a pattern needs the {needed} (YYYY, MM or M, DD or D)")
    return Pattern(text, tuple(parts), re.compile("".join(regex), re.ASCII), "".join(template))


def date_reader(patterns: tuple[Pattern, ...]) -> Callable[[str], date | None]:
    """Read a date with the first pattern that fits; ``None`` if none fits or it is no real day."""

    def read(value: str) -> date | None:
        for pattern in patterns:
            parts = pattern.read(value)
            if parts is not None:
                try:
                    return date(parts["year"], parts["month"], parts["day"])
                except ValueError:
                    return None
        return None

    return read


def naive_datetime_reader(patterns: tuple[Pattern, ...]) -> Callable[[str], datetime | None]:
    """Read a wall-clock time with the first pattern that fits; ``None`` when none fits."""

    def read(value: str) -> datetime | None:
        for pattern in patterns:
            parts = pattern.read(value)
            if parts is not None:
                micro = parts.get("microsecond", parts.get("millisecond", 0) * 1000)
                try:
                    return datetime(
                        parts["year"],
                        parts["month"],
                        parts["day"],
                        parts.get("hour", 0),
                        parts.get("minute", 0),
                        parts.get("second", 0),
                        micro,
                    )
                except ValueError:
                    return None
        return None

    return read
