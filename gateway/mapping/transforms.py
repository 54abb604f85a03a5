"""Transforms: small functions that clean a value before it is typed and checked.

Each runs on a value that is not ``None`` (the compiled mapping skips them for a missing value),
except ``default`` and ``constant``, which exist to fill one in. A transform that works on text
applies to every element when the value is a list (after ``split`` or with several sources).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gateway.codes.idnumber import normalize_id_number, upgrade_id15
from gateway.codes.phone import normalize_phone
from gateway.codes.uscc import normalize_uscc
from gateway.mapping.steps import FieldReject, Op, Param

Kind = Literal["str", "list"]
Fn = Callable[[Any], Any]

# U+FF01..U+FF5E are the full-width forms of ASCII 0x21..0x7E; U+3000 is the ideographic space.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# Thousands separators, spaces and currency marks that Chinese sources put around numbers.
_NUMBER_NOISE = str.maketrans("", "", ",，\u00a0 _¥￥元")


@dataclass(frozen=True)
class TransformOp(Op):
    """A transform: what value kind it takes and gives, whether it runs on a missing value,
    and the warning (rule, detail) the record gets when it changes the value."""

    takes: Literal["str", "list", "any"] = "str"
    gives: Literal["str", "list", "same"] = "same"
    null_aware: bool = False
    warning: tuple[str, str] | None = None


def _split(sep: str) -> Fn:
    if not sep:
        raise ValueError("split needs a non-empty separator")
    return lambda v: v.split(sep)


def _join(sep: str) -> Fn:
    return lambda v: sep.join(x for x in v if x)


def _coalesce() -> Fn:
    def coalesce(values: list[str | None]) -> str | None:
        for value in values:
            if value:
                return value
        return None

    return coalesce


def _default(value: str) -> Fn:
    return lambda v: value if v is None or v == "" else v


def _constant(value: str) -> Fn:
    return lambda _v: value


def _nullif(values: tuple[str, ...]) -> Fn:
    nulls = frozenset(values)
    return lambda v: None if v in nulls else v


def _replace(old: str, new: str) -> Fn:
    if not old:
        raise ValueError("replace needs a non-empty text to replace")
    return lambda v: v.replace(old, new)


def _remove(chars: str) -> Fn:
    table = str.maketrans("", "", chars)
    return lambda v: v.translate(table)


def _regex_replace(pattern: re.Pattern[str], replacement: str | None) -> Fn:
    repl = replacement or ""
    return lambda v: pattern.sub(repl, v)


def _zfill(width: int) -> Fn:
    if width < 1:
        raise ValueError("zfill needs a width of at least 1")
    return lambda v: v.zfill(width)


def _slice(start: int, end: int | None) -> Fn:
    return lambda v: v[start:end]


def _prefix(text: str) -> Fn:
    return lambda v: text + v


def _suffix(text: str) -> Fn:
    return lambda v: v + text


def _number() -> Fn:
    def number(v: str) -> str:
        cleaned = v.translate(_FULLWIDTH).translate(_NUMBER_NOISE)
        if cleaned.endswith("%"):
            raise FieldReject("number", "percentages are not numbers here")
        return cleaned

    return number


def _method(name: str) -> Callable[[], Fn]:
    method = getattr(str, name)
    return lambda: method


def _fullwidth() -> Fn:
    # Most values are already ASCII; isascii() is far cheaper than a translate.
    return lambda v: v if v.isascii() else v.translate(_FULLWIDTH)


def _strip_spaces() -> Fn:
    return lambda v: "".join(v.split())


def _collapse_spaces() -> Fn:
    return lambda v: " ".join(v.split())


def _plain(fn: Fn) -> Callable[[], Fn]:
    return lambda: fn


TRANSFORMS: dict[str, TransformOp] = {
    op.name: op
    for op in (
        TransformOp("trim", (), _method("strip"), "strip surrounding whitespace (also U+3000)"),
        TransformOp("upper", (), _method("upper"), "upper-case"),
        TransformOp("lower", (), _method("lower"), "lower-case"),
        TransformOp(
            "fullwidth_to_halfwidth", (), _fullwidth, "full-width letters, digits, signs → ASCII"
        ),
        TransformOp("strip_spaces", (), _strip_spaces, "remove every whitespace character"),
        TransformOp("collapse_spaces", (), _collapse_spaces, "runs of whitespace → one space"),
        TransformOp(
            "phone",
            (),
            _plain(normalize_phone),
            "mobile → 11 digits, landline → AREA-NUMBER[-EXT]; drops +86/0086/86, spaces, dashes",
        ),
        TransformOp(
            "id_number",
            (),
            _plain(normalize_id_number),
            "ID number: drop spaces/dashes/dots, full-width → ASCII, x → X",
        ),
        TransformOp(
            "uscc", (), _plain(normalize_uscc), "USCC: drop spaces, full-width → ASCII, upper-case"
        ),
        TransformOp(
            "upgrade_id15",
            (),
            _plain(upgrade_id15),
            "15-digit first-generation ID → 18 characters (GB 11643), with a warning",
            warning=("upgrade_id15", "15-digit first-generation number upgraded to 18 (GB 11643)"),
        ),
        TransformOp("number", (), _number, "drop thousands separators, spaces, ¥/￥/元"),
        TransformOp("split", (Param("sep", "text"),), _split, "text → list at sep", gives="list"),
        TransformOp(
            "join",
            (Param("sep", "text"),),
            _join,
            "list → text, empty parts skipped",
            takes="list",
            gives="str",
        ),
        TransformOp(
            "coalesce",
            (),
            _coalesce,
            "list → its first non-empty value",
            takes="list",
            gives="str",
            null_aware=True,
        ),
        TransformOp(
            "default",
            (Param("value", "text"),),
            _default,
            "fill a missing or empty value",
            takes="any",
            null_aware=True,
        ),
        TransformOp(
            "constant",
            (Param("value", "text"),),
            _constant,
            "always this value",
            takes="any",
            gives="str",
            null_aware=True,
        ),
        TransformOp(
            "nullif",
            (Param("values", "texts"),),
            _nullif,
            "treat these placeholder values (NULL, 无, -) as missing",
        ),
        TransformOp(
            "replace", (Param("old", "text"), Param("new", "text")), _replace, "replace text"
        ),
        TransformOp(
            "remove", (Param("chars", "text"),), _remove, "delete each of these characters"
        ),
        TransformOp(
            "regex_replace",
            (Param("pattern", "regex"), Param("replacement", "text", required=False)),
            _regex_replace,
            "re.sub(pattern, replacement)",
        ),
        TransformOp("zfill", (Param("width", "int"),), _zfill, "left-pad with zeros to width"),
        TransformOp(
            "slice",
            (Param("start", "int"), Param("end", "int", required=False)),
            _slice,
            "characters start..end (Python slice)",
        ),
        TransformOp("prefix", (Param("text", "text"),), _prefix, "put text before the value"),
        TransformOp("suffix", (Param("text", "text"),), _suffix, "put text after the value"),
    )
}


def elementwise(fn: Fn) -> Fn:
    """Apply a text transform to every element of a list value, leaving missing ones alone."""
    return lambda values: [None if v is None else fn(v) for v in values]
