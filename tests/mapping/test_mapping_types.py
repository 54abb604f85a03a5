"""Types and formats: parsing platform values and writing canonical (or platform) ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.mapping import one_field


def mapped(tmp_path: Path, spec: str, value: Any, direction: str = "pull") -> Any:
    result = one_field(tmp_path, spec, direction=direction).map({"id": "1", "v": value})
    return result.record["f"] if result.record is not None else result.errors[0]


@pytest.mark.parametrize(
    ("given", "expected"), [("42", 42), (" 42 ", None), ("+7", 7), ("-3", -3), ("5.0", 5), (12, 12)]
)
def test_int(tmp_path: Path, given: Any, expected: int | None) -> None:
    """Whole numbers in text or JSON; surrounding spaces need trim."""
    out = mapped(tmp_path, "source: v\ntype: int", given)
    if expected is None:
        assert out.rule == "type"
    else:
        assert out == expected


@pytest.mark.parametrize("bad", ["4.5", "1e3", "四十二", "١٢", "12abc", True])
def test_int_rejects(tmp_path: Path, bad: Any) -> None:
    """Fractions, exponents, Chinese or Arabic-Indic numerals and booleans are not ints."""
    assert mapped(tmp_path, "source: v\ntype: int", bad).rule == "type"


def test_decimal(tmp_path: Path) -> None:
    """Decimals serialize as strings without exponent; format 0.00 fixes two places."""
    assert mapped(tmp_path, "source: v\ntype: decimal", "1234.5") == "1234.5"
    assert mapped(tmp_path, "source: v\ntype: decimal", 1.5) == "1.5"
    assert mapped(tmp_path, "source: v\ntype: decimal", "1E+3") == "1000"
    assert mapped(tmp_path, "source: v\ntype: decimal\nformat: '0.00'", "2.345") == "2.35"
    assert mapped(tmp_path, "source: v\ntype: decimal", "abc").rule == "type"
    assert mapped(tmp_path, "source: v\ntype: decimal", float("nan")).rule == "type"


def test_decimal_with_number_transform(tmp_path: Path) -> None:
    """number + decimal reads amounts like ￥3,500元."""
    spec = "source: v\ntype: decimal\ntransforms: [number]"
    assert mapped(tmp_path, spec, "￥3,500元") == "3500"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("是", True), ("否", False), ("Y", True), ("0", False), (True, True), ("true", True)],
)
def test_bool(tmp_path: Path, given: Any, expected: bool) -> None:
    """Yes/no in Chinese, letters, digits or JSON booleans."""
    assert mapped(tmp_path, "source: v\ntype: bool", given) is expected


def test_bool_rejects(tmp_path: Path) -> None:
    """Anything else is a type error."""
    assert mapped(tmp_path, "source: v\ntype: bool", "maybe").rule == "type"


@pytest.mark.parametrize(
    ("fmt", "given", "expected"),
    [
        ("YYYYMMDD", "19900307", "1990-03-07"),
        ("YYYY-MM-DD", "1990-03-07", "1990-03-07"),
        ("YYYY年MM月DD日", "1990年03月07日", "1990-03-07"),
        ("YYYY年M月D日", "1990年3月7日", "1990-03-07"),
        ("YYYY/M/D", "1990/12/31", "1990-12-31"),
    ],
)
def test_date_formats(tmp_path: Path, fmt: str, given: str, expected: str) -> None:
    """Dates in the platform's format become ISO dates."""
    assert mapped(tmp_path, f"source: v\ntype: date\nformat: '{fmt}'", given) == expected


@pytest.mark.parametrize(
    "bad", ["19900231", "1990-13-01", "19901301", "1990030", "abcdefgh", "２０２３０１０１"]
)
def test_malformed_dates(tmp_path: Path, bad: str) -> None:
    """Impossible days, wrong shapes and full-width digits are type errors."""
    assert mapped(tmp_path, "source: v\ntype: date\nformat: YYYYMMDD", bad).rule == "type"


def test_several_date_formats(tmp_path: Path) -> None:
    """A list of formats: the first that fits wins."""
    spec = "source: v\ntype: date\nformat: [YYYYMMDD, YYYY-MM-DD, YYYY年M月D日]"
    for given in ("20230501", "2023-05-01", "2023年5月1日"):
        assert mapped(tmp_path, spec, given) == "2023-05-01"


def test_datetime_pull(tmp_path: Path) -> None:
    """Wall-clock times in Asia/Shanghai become ISO 8601 with +08:00."""
    spec = "source: v\ntype: datetime\nformat: 'YYYY-MM-DD HH:mm:ss'"
    assert mapped(tmp_path, spec, "2023-05-01 10:11:12") == "2023-05-01T10:11:12+08:00"
    for bad in ("2023-05-01T10:11:12", "2023-05-01 25:00:00", "2023-05-01 10:11", "2023-5-1 1:2:3"):
        assert mapped(tmp_path, spec, bad).rule == "type"


def test_datetime_summer_time(tmp_path: Path) -> None:
    """China kept summer time 1986-1991: the offset then is +09:00."""
    spec = "source: v\ntype: datetime\nformat: 'YYYY-MM-DD HH:mm:ss'"
    assert mapped(tmp_path, spec, "1988-07-01 12:00:00") == "1988-07-01T12:00:00+09:00"


def test_datetime_other_patterns(tmp_path: Path) -> None:
    """Chinese and compact patterns, with milliseconds."""
    spec = "source: v\ntype: datetime\nformat: ['YYYY年M月D日 H时m分', 'YYYYMMDDHHmmssSSS']"
    assert mapped(tmp_path, spec, "2023年5月1日 9时5分") == "2023-05-01T09:05:00+08:00"
    assert mapped(tmp_path, spec, "20230501090500123") == "2023-05-01T09:05:00.123000+08:00"


def test_datetime_iso_default(tmp_path: Path) -> None:
    """Without a format, ISO 8601 is read; other offsets are converted to the zone."""
    spec = "source: v\ntype: datetime"
    assert mapped(tmp_path, spec, "2023-05-01T02:00:00Z") == "2023-05-01T10:00:00+08:00"
    assert mapped(tmp_path, spec, "2023-05-01T10:00:00") == "2023-05-01T10:00:00+08:00"


def test_push_writes_platform_formats(tmp_path: Path) -> None:
    """Push mappings read canonical values and write the platform's format."""
    dt = "source: v\ntype: datetime\nformat: 'YYYY-MM-DD HH:mm:ss'"
    assert mapped(tmp_path, dt, "2023-05-01T10:11:12+08:00", "push") == "2023-05-01 10:11:12"
    assert mapped(tmp_path, dt, "2023-05-01T02:11:12+00:00", "push") == "2023-05-01 10:11:12"
    d = "source: v\ntype: date\nformat: YYYY年MM月DD日"
    assert mapped(tmp_path, d, "2023-05-01", "push") == "2023年05月01日"
    assert mapped(tmp_path, d, "20230501", "push").rule == "type"


def test_timezone_setting(tmp_path: Path) -> None:
    """The mapping's timezone key changes the zone used for wall-clock times."""
    from tests.helpers.mapping import inline_mapping

    m = inline_mapping(
        tmp_path,
        "timezone: UTC\nfields:\n  id: id\n  f: {source: v, type: datetime, "
        "format: 'YYYY-MM-DD HH:mm:ss'}\n",
    )
    record = m.map({"id": "1", "v": "2023-05-01 10:00:00"}).record
    assert record is not None
    assert record["f"] == "2023-05-01T10:00:00+00:00"


def test_records_are_json_able(tmp_path: Path) -> None:
    """Every type serializes to a JSON value."""
    import orjson

    from tests.helpers.mapping import inline_mapping

    m = inline_mapping(
        tmp_path,
        "fields:\n  id: id\n  d: {source: d, type: date, format: YYYYMMDD}\n"
        "  t: {source: t, type: datetime, format: 'YYYY-MM-DD HH:mm:ss'}\n"
        "  n: {source: n, type: decimal}\n  b: {source: b, type: bool}\n"
        "  l: {source: l, type: list, transforms: ['split(,)']}\n",
    )
    result = m.map(
        {"id": "1", "d": "20230501", "t": "2023-05-01 00:00:00", "n": "1.5", "b": "1", "l": "a,b"}
    )
    assert orjson.loads(orjson.dumps(result.record)) == {
        "id": "1",
        "d": "2023-05-01",
        "t": "2023-05-01T00:00:00+08:00",
        "n": "1.5",
        "b": True,
        "l": ["a", "b"],
    }
