"""Value types: how text from a source becomes a typed value, and how that value is written out.

Inside a compiled mapping a datetime is the wall-clock time in the mapping's zone (naive):
the offset is added once, when the value is written out, which keeps the hot path cheap.
Pull mappings read the platform's format (``format`` in the file) and write canonical values;
push mappings read canonical values and write the platform's format. Canonical values are
JSON-able: ``date`` as ``YYYY-MM-DD``, ``datetime`` as ISO 8601 with the mapping's zone offset
(``+08:00`` for Asia/Shanghai), ``decimal`` as a string without exponent.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from gateway.mapping.formats import Pattern, date_reader, naive_datetime_reader
from gateway.mapping.steps import FieldReject

TYPES = ("str", "int", "decimal", "bool", "date", "datetime", "list")
_INT = re.compile(r"[+-]?[0-9]+(?:\.0*)?", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_TRUE = frozenset({"true", "t", "yes", "y", "1", "是", "on"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "否", "off"})
_CACHE_LIMIT = 65536
_ISO_DATETIME_SHAPES = ("YYYY-MM-DD HH:mm:ss", "YYYY-MM-DD[T]HH:mm:ss")

Parse = Callable[[Any], Any]
Serialize = Callable[[Any], Any]


@dataclass(frozen=True)
class Codec:
    """``parse`` raises :class:`FieldReject` (rule ``type``); ``serialize`` ``None`` is identity."""

    parse: Parse | None
    serialize: Serialize | None


def _parse_int(value: str) -> int:
    if value.isascii() and value.isdigit():
        return int(value)
    if _INT.fullmatch(value) is None:
        raise FieldReject("type", "not a whole number")
    return int(value.split(".")[0])


def _decimal_parser(places: int | None) -> Parse:
    quantum = Decimal(1).scaleb(-places) if places is not None else None

    def parse(value: str) -> Decimal:
        if _DECIMAL.fullmatch(value) is None:
            raise FieldReject("type", "not a decimal number")
        try:
            number = Decimal(value)
            return number.quantize(quantum, ROUND_HALF_UP) if quantum is not None else number
        except InvalidOperation:
            raise FieldReject("type", "decimal number out of range") from None

    return parse


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise FieldReject("type", "not a yes/no value (true/false, 1/0, 是/否)")


def _cached(read: Callable[[str], Any], what: str) -> Parse:
    # Dates repeat (birth dates, days of a month): a bounded cache makes most parses one lookup.
    cache: dict[str, Any] = {}

    def parse(value: str) -> Any:
        found = cache.get(value)
        if found is None:
            found = read(value)
            if found is None:
                raise FieldReject("type", what)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[value] = found
        return found

    return parse


def _iso_date(value: str) -> date | None:
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None  # fromisoformat would also read week dates such as 2023-W01-1
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _iso_datetime(zone: ZoneInfo) -> Parse:
    def parse(value: str) -> datetime:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise FieldReject("type", "not an ISO 8601 date and time") from None
        return moment if moment.tzinfo is None else moment.astimezone(zone).replace(tzinfo=None)

    return parse


def _fast_wall_clock(pattern: Pattern) -> Parse:
    # "YYYY-MM-DD HH:mm:ss" is what most platforms send; fromisoformat reads it in C once the
    # separators are known to sit where the pattern puts them (it checks the digits itself).
    sep = "T" if "[T]" in pattern.text else " "
    shown = pattern.text.replace("[T]", "T")

    def parse(value: str) -> datetime:
        if (
            len(value) == 19
            and value[4] == "-"
            and value[7] == "-"
            and value[13] == ":"
            and (value[16] == ":" and value[10] == sep and value.isascii())
        ):
            try:
                return datetime.fromisoformat(value)
            except ValueError:
                pass
        raise FieldReject("type", f"not a date and time in format {shown}")

    return parse


def _datetime_parser(patterns: tuple[Pattern, ...]) -> Parse:
    if len(patterns) == 1 and patterns[0].text in _ISO_DATETIME_SHAPES:
        return _fast_wall_clock(patterns[0])
    read = naive_datetime_reader(patterns)
    shown = " or ".join(p.text for p in patterns)

    def parse(value: str) -> datetime:
        moment = read(value)
        if moment is None:
            raise FieldReject("type", f"not a date and time in format {shown}")
        return moment

    return parse


def iso_writer(zone: ZoneInfo) -> Serialize:
    """Wall-clock time in ``zone`` → ISO 8601 with the zone's offset on that day.

    Offsets are computed once per day; a day on which the offset changes (Asia/Shanghai kept
    summer time 1986-1991) takes the exact, slower path.
    """
    offsets: dict[str, str | None] = {}

    def day_offset(day: str) -> str | None:
        start = datetime.fromisoformat(day + "T00:00:00").replace(tzinfo=zone).isoformat()[19:]
        end = datetime.fromisoformat(day + "T23:59:59").replace(tzinfo=zone).isoformat()[19:]
        return start if start == end else None

    def write(moment: datetime) -> str:
        text = moment.isoformat()
        day = text[:10]
        offset = offsets.get(day, "")
        if offset == "":
            offset = day_offset(day)
            if len(offsets) >= _CACHE_LIMIT:
                offsets.clear()
            offsets[day] = offset
        return text + offset if offset is not None else moment.replace(tzinfo=zone).isoformat()

    return write


def _list(value: list[Any]) -> list[Any]:
    return [v for v in value if v is not None and v != ""]


def make_codec(
    type_name: str,
    direction: str,
    patterns: tuple[Pattern, ...],
    zone: ZoneInfo,
    places: int | None = None,
) -> Codec:
    """The codec for one field. ``patterns`` is the platform's format (pull reads it, push
    writes the first); ``places`` fixes a decimal's digits after the point."""
    pull = direction == "pull"
    if type_name == "str":
        return Codec(None, None)
    if type_name == "int":
        return Codec(_parse_int, None)
    if type_name == "decimal":
        return Codec(_decimal_parser(places), lambda d: format(d, "f"))
    if type_name == "bool":
        return Codec(_parse_bool, None)
    if type_name == "list":
        return Codec(_list, None)
    if type_name == "date":
        if pull and patterns:
            shown = " or ".join(p.text for p in patterns)
            reader = _cached(date_reader(patterns), f"not a date in format {shown}")
            return Codec(reader, date.isoformat)
        reader = _cached(_iso_date, "not a date in format YYYY-MM-DD")
        writer = patterns[0].write if patterns and not pull else None
        return Codec(reader, writer if writer else date.isoformat)
    if type_name == "datetime":
        if pull:
            parser = _datetime_parser(patterns) if patterns else _iso_datetime(zone)
            return Codec(parser, iso_writer(zone))
        return Codec(_iso_datetime(zone), patterns[0].write if patterns else iso_writer(zone))
    raise ValueError(f"unknown type {type_name!r}")


def typed_kind(type_name: str) -> str:
    """What rules and ranges compare: numbers with numbers, dates with dates, text with text."""
    return {"int": "number", "decimal": "number"}.get(type_name, type_name)
