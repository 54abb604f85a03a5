"""The columnar engine against the row engine, its oracle: the same records, keys and issues.

Pages of valid and invalid records are generated for every shipped pull mapping from what its
fields expect (real ID numbers and USCCs with right and wrong check characters, region codes
abolished or created late, dates in each format and not, codes in and out of their tables),
then spoiled in the ways sources spoil them (spaces of every kind, full-width forms, case,
numbers where text belongs, missing and empty values, extra fields, values that are not
objects). Any difference fails; there is no tolerance.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.codes import regions
from gateway.codes.idnumber import id_check_char
from gateway.codes.uscc import CATEGORIES, USCC_ALPHABET, org_check_char, uscc_check_char
from gateway.mapping import CompiledMapping, load_mapping
from gateway.mapping.columnar import quiet_regions, stable_offset
from gateway.mapping.plan import FieldPlan
from mappings import MAPPINGS_DIR
from simulators.labor_force.population import Population

SHIPPED = sorted(MAPPINGS_DIR.rglob("*.yaml"))
PULL = [p for p in SHIPPED if load_mapping(p).direction == "pull"]
COLUMNAR = [p for p in PULL if load_mapping(p).engine == "columnar"]
# Codes that give an ID number every kind of region warning, or none, or an error.
_QUIET = sorted(quiet_regions())
_LATE = sorted(code for code, since in quiet_regions().items() if since > "1950")
_REGIONS = sorted(regions.region_codes())
_ALL_CODES = sorted(regions.region_periods())
_SPACES = [" ", "\t", "\u3000", "\u00a0", "\x1c", "\u2028", "\n"]


def _name(path: Path) -> str:
    return str(path.relative_to(MAPPINGS_DIR))


def _mostly(good: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, good, good, odd)


@st.composite
def id_numbers(draw: st.DrawFn) -> str:
    region = draw(
        _mostly(
            st.sampled_from(_QUIET),
            st.sampled_from(_LATE or _QUIET)
            | st.sampled_from(_ALL_CODES)
            | st.sampled_from(["810000", "820000", "830000", "710000", "522600", "520000"])
            | st.from_regex(r"[0-9]{6}", fullmatch=True),
        )
    )
    born = draw(
        _mostly(
            st.dates(date(1950, 1, 1), date(2010, 12, 31)),
            st.dates(date(1880, 1, 1), date.today() + timedelta(days=400)),
        )
    )
    first17 = region + born.strftime("%Y%m%d") + f"{draw(st.integers(0, 999)):03d}"
    check = id_check_char(first17)
    if draw(st.integers(0, 9)) == 7:
        check = draw(st.sampled_from("0123456789X"))
    return first17 + check


@st.composite
def usccs(draw: st.DrawFn) -> str:
    authority = draw(st.sampled_from(sorted(CATEGORIES)))
    category = draw(_mostly(st.sampled_from(CATEGORIES[authority]), st.sampled_from("0123459")))
    region = draw(st.sampled_from(_REGIONS))
    body = draw(
        _mostly(
            st.text(USCC_ALPHABET[:-1], min_size=8, max_size=8),
            st.text(string.digits + string.ascii_uppercase, min_size=8, max_size=8),
        )
    )
    org = org_check_char(body) if draw(st.integers(0, 5)) else draw(st.sampled_from("0123456789X"))
    first17 = authority + category + region + body + org
    if any(c not in USCC_ALPHABET for c in first17):
        return first17 + "0"
    check = uscc_check_char(first17)
    if draw(st.integers(0, 9)) == 7:
        check = draw(st.sampled_from(USCC_ALPHABET))
    return first17 + check


def _date_text(pattern: str, moment: datetime) -> str:
    text = pattern.replace("[T]", "T")
    for token, value in (
        ("YYYY", f"{moment.year:04d}"),
        ("MM", f"{moment.month:02d}"),
        ("DD", f"{moment.day:02d}"),
        ("HH", f"{moment.hour:02d}"),
        ("mm", f"{moment.minute:02d}"),
        ("ss", f"{moment.second:02d}"),
        ("M", str(moment.month)),
        ("D", str(moment.day)),
    ):
        text = text.replace(token, value)
    return text


def _valid(fp: FieldPlan, mapping: CompiledMapping) -> st.SearchStrategy[str]:
    """Values the field accepts (mostly), from what its steps expect."""
    fs = fp.spec
    names = {s.name for s in fs.validators} | {s.name for s in fs.transforms}
    if "resident_id" in names:
        return id_numbers()
    if "uscc" in names:
        return usccs()
    if "mobile" in names:
        return _mostly(
            st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
            st.sampled_from(["+86 138 1234 5678", "0851-86812345", "12345678901"]),
        )
    if "region" in names:
        return _mostly(st.sampled_from(_REGIONS), st.sampled_from(_ALL_CODES))
    if fs.code_map is not None:
        return _mostly(st.sampled_from(sorted(fs.code_map)), st.just("?"))
    if fp.table_inline is not None:
        return st.sampled_from(sorted(fp.table_inline[0]))
    if fs.type_name in ("date", "datetime") and fs.patterns:
        moments = _mostly(
            st.datetimes(datetime(1990, 1, 1), datetime(2024, 12, 31)),
            st.datetimes(datetime(1, 1, 1), datetime(2040, 12, 31)),
        )
        return _mostly(
            st.builds(_date_text, st.sampled_from([p.text for p in fs.patterns]), moments),
            st.from_regex(
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?", fullmatch=True
            ),
        )
    if fs.type_name == "int":
        return _mostly(
            st.integers(0, 100).map(str),
            st.integers(-5, 200).map(str) | st.from_regex(r"[0-9]{1,20}", fullmatch=True),
        )
    for step in fs.validators:
        if step.name == "regex":
            return st.from_regex(step.args[0].pattern, fullmatch=True)
    if mapping.name == "labor_force.persons" and fs.sources == ("AAC003",):
        return st.sampled_from(["刘晓颖", "王 芳", "Ana"])
    return _mostly(st.text(string.ascii_letters + "张王 -", min_size=1, max_size=12), st.text())


@st.composite
def spoiled(draw: st.DrawFn, value: str) -> Any:
    """A value as sources spoil it, most often left alone."""
    how = draw(st.integers(0, 19))
    if how < 11:
        return value
    if how == 11:
        return draw(st.sampled_from(_SPACES)) + value + draw(st.sampled_from(["", *_SPACES]))
    if how == 12:
        return value.lower() if draw(st.booleans()) else value.upper()
    if how == 13:
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in value)
    if how == 14:
        return draw(st.sampled_from([None, "", " ", "\u3000"]))
    if how == 15:
        return draw(st.integers(-10, 10**18) | st.booleans() | st.floats(allow_nan=False))
    if how == 16 and len(value) > 2:
        cut = draw(st.integers(1, len(value) - 1))
        return (
            value[:cut] + draw(st.sampled_from([" ", "-", "x", "  ", "\u3000", "."])) + value[cut:]
        )
    if how == 17:
        return draw(st.text(max_size=20))
    if how == 18 and value:
        return value[:-1]
    return value + draw(st.sampled_from(["0", "X", " ", "%"]))


def _derived(fp: FieldPlan, id_number: Any) -> str | None:
    """What a derived field holds when it agrees with the ID number it is derived from."""
    if not isinstance(id_number, str) or len(id_number) != 18 or not id_number[:17].isdigit():
        return None
    assert fp.derive is not None
    if fp.derive.part == "gender":
        return "1" if int(id_number[16]) % 2 else "2"
    if fp.derive.part == "region":
        return id_number[:6]
    born = datetime(int(id_number[6:10]), 1, 1)
    try:
        born = datetime(born.year, int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
    return _date_text(fp.spec.patterns[0].text, born) if fp.spec.patterns else None


@st.composite
def records(draw: st.DrawFn, mapping: CompiledMapping) -> Any:
    """Half of them as a source means them, the others spoiled field by field."""
    if draw(st.integers(0, 60)) == 17:
        return draw(st.sampled_from([[], "text", 5, None]))
    clean = draw(st.booleans())
    raw: dict[str, Any] = {}
    fields = mapping.plan.fields
    for fp in fields:
        for source in fp.spec.sources:
            if not clean and draw(st.integers(0, 15)) == 7:
                continue
            value = draw(_valid(fp, mapping))
            raw[source] = value if clean else draw(spoiled(value))
    for fp in fields:
        if fp.derive is not None and fp.spec.sources and draw(st.integers(0, 7)):
            source = fields[fp.derive.source_index].spec.sources[0]
            agreeing = _derived(fp, raw.get(source))
            if agreeing is not None:
                raw[fp.spec.sources[0]] = agreeing
    if draw(st.integers(0, 10)) == 7:
        raw[draw(st.sampled_from(["extra", "备注", "AAC002x"]))] = "x"
    return raw


def assert_same(mapping: CompiledMapping, raws: list[Any]) -> None:
    assert mapping.columnar is not None
    row = mapping.map_many(raws)
    columnar = mapping.columnar.map_many(raws)
    page = mapping.map_page(raws, engine="columnar")
    assert len(columnar) == len(row) == len(page.keys)
    for raw, want, got, key, payload in zip(
        raws, row, columnar, page.keys, page.payloads, strict=True
    ):
        assert got.key == want.key == key, raw
        assert key is None or type(key) is str, raw  # a record key is text in the store
        assert got.errors == want.errors, raw
        assert got.warnings == want.warnings, raw
        assert got.record == want.record, raw
        if want.record is not None:
            assert list(got.record or ()) == list(want.record), raw
        expected = (
            orjson.dumps(want.record, option=orjson.OPT_SORT_KEYS).decode()
            if want.ok and want.record is not None
            else None
        )
        assert payload == expected, raw


def test_persons_mapping_is_columnar() -> None:
    """The labor-force pull's hot path gets the columnar engine."""
    persons = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
    assert persons.engine == "columnar", persons.columnar_reason
    assert persons.columnar_reason is None


def test_a_page_is_mapped_by_the_engine_a_job_gets_by_default() -> None:
    """map_page, not told which engine, uses the one a job gets without ``mapping_engine``."""
    from gateway.config import JobConfig

    default = JobConfig.model_fields["mapping_engine"].default
    assert default == "row"
    persons = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
    raws: list[Any] = [Population(size=50, seed=3).person(i) for i in range(50)]
    # The row engine gives a result for every record; the columnar one only for its rejects.
    assert len(persons.map_page(raws).row_results) == 50
    assert len(persons.map_page(raws, engine="columnar").row_results) < 50


@pytest.mark.parametrize("path", SHIPPED, ids=_name)
def test_every_mapping_says_its_engine(path: Path) -> None:
    mapping = load_mapping(path)
    assert mapping.engine in ("columnar", "row")
    assert (mapping.engine == "row") == bool(mapping.columnar_reason)


def test_simulator_population_maps_alike() -> None:
    """The simulator's own persons, its 2% invalid ones among them, page by page."""
    persons = load_mapping(MAPPINGS_DIR / "labor_force" / "persons.yaml")
    population = Population(size=6000, seed=7)
    raws: list[Any] = [population.person(i) for i in range(6000)]
    for start in range(0, len(raws), 2000):
        assert_same(persons, raws[start : start + 2000])


_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("path", COLUMNAR, ids=_name)
@_SETTINGS
@given(data=st.data())
def test_columnar_matches_row_engine(path: Path, data: st.DataObject) -> None:
    mapping = load_mapping(path)
    raws = data.draw(st.lists(records(mapping), min_size=1, max_size=40))
    assert_same(mapping, raws)


RICH = """\
version: 1
name: columnar.rich
direction: pull
entity: thing
key: [code, day]
extra_fields: warn
code_maps:
  kinds: {"1": one, "2": two, "3": three}
fields:
  code:
    source: A
    transforms: [trim, {nullif: ["-", "无"]}, upper]
    validators: [{length: {min: 2, max: 8}}]
    required: true
  day: {source: B, type: date, format: [YYYYMMDD, "YYYY年M月D日", YYYY/M/D], required: true}
  at: {source: C, type: datetime, format: "YYYY-MM-DD HH:mm:ss", validators: [not_future]}
  count: {source: D, type: int, transforms: [number], validators: [{range: {min: 0, max: 99}}]}
  kind: {source: E, transforms: [strip_spaces, {default: "1"}], code_map: kinds}
  note:
    source: F
    transforms: [fullwidth_to_halfwidth, collapse_spaces, {replace: ["a", "b"]}, {remove: "-"}]
  framed: {source: F, transforms: [{prefix: "<"}, {suffix: ">"}]}
  part:
    source: G
    transforms: [trim, {zfill: 4}, {slice: [0, 3]}, lower]
    validators: ["regex([0-9a-z]+|x-y)"]
  since: {source: H, type: date, format: YYYY-MM-DD}
rules:
  - "count >= 1 or since >= '2000-01-01'"
  - {rule: "since <= day", level: warning}
  - "kind in ['one', 'two'] or count == 5"
"""


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> CompiledMapping:
    path = tmp_path_factory.mktemp("rich") / "rich.yaml"
    path.write_text(RICH, encoding="utf-8")
    return load_mapping(path)


def test_rich_mapping_is_columnar(rich: CompiledMapping) -> None:
    assert rich.engine == "columnar", rich.columnar_reason


_TEXT = st.text(alphabet=string.printable + "年月日一二三无\u3000\u00a0Ａｂ１２－　", max_size=14)
_RICH_VALUES = {
    "A": _TEXT | st.from_regex(r"[a-z0-9]{1,9}", fullmatch=True),
    "B": st.dates(date(1, 1, 1), date(9999, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [
                d.strftime("%Y%m%d"),
                f"{d.year:04d}年{d.month}月{d.day}日",
                f"{d.year}/{d.month}/{d.day}",
            ]
        )
    )
    | st.from_regex(r"[0-9]{4}(/|年)?[0-9]{1,2}(/|月)?[0-9]{1,2}日?", fullmatch=True),
    "C": st.datetimes(datetime(1, 1, 1), datetime(2100, 1, 1)).map(
        lambda m: m.strftime("%Y-%m-%d %H:%M:%S")
    )
    | st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
    "D": st.integers(-5, 120).map(str) | st.sampled_from(["1,000", "５", "12%", "¥3", "007", "+4"]),
    "E": st.sampled_from(["1", "2", "3", "4", " 2 ", "", "２"]),
    "F": _TEXT,
    "G": _TEXT | st.from_regex(r"[0-9A-Za-z]{0,6}", fullmatch=True),
    "H": st.dates(date(1980, 1, 1), date(2030, 1, 1)).map(date.isoformat) | _TEXT,
}


_RICH_PLAIN = {
    "A": st.from_regex(r"[a-z0-9]{2,8}", fullmatch=True),
    "B": st.dates(date(1990, 1, 1), date(2020, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
    "C": st.datetimes(datetime(1995, 1, 1), datetime(2024, 1, 1)).map(
        lambda m: m.strftime("%Y-%m-%d %H:%M:%S")
    ),
    "D": st.integers(1, 99).map(str),
    "E": st.sampled_from(["1", "2"]),
    "F": st.text(alphabet="abc -", max_size=6),
    "G": st.from_regex(r"[0-9a-z]{1,4}", fullmatch=True),
    "H": st.dates(date(1980, 1, 1), date(1989, 1, 1)).map(date.isoformat),
}


@st.composite
def rich_records(draw: st.DrawFn) -> Any:
    clean = draw(st.booleans())
    raw: dict[str, Any] = {}
    for source, values in (_RICH_PLAIN if clean else _RICH_VALUES).items():
        if clean or draw(st.integers(0, 8)):
            raw[source] = draw(values) if clean else draw(spoiled(draw(values)))
    if not clean and draw(st.integers(0, 8)) == 0:
        raw["Z"] = 1
    return raw


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(rich_records(), min_size=1, max_size=30))
def test_rich_mapping_matches_row_engine(rich: CompiledMapping, raws: list[Any]) -> None:
    assert_same(rich, raws)


NUMBERED = """\
version: 1
name: columnar.numbered
direction: pull
entity: thing
key: [number]
fields:
  number: {source: N, type: int, transforms: [trim, number]}
  name: {source: S, transforms: [trim]}
"""


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> CompiledMapping:
    path = tmp_path_factory.mktemp("numbered") / "numbered.yaml"
    path.write_text(NUMBERED, encoding="utf-8")
    return load_mapping(path)


_NUMBERED_VALUES = {
    "N": st.integers(0, 10**6).map(str) | st.sampled_from(["0", "00", " 0", "-1", "1,000", "x"]),
    "S": _TEXT,
}


@st.composite
def numbered_records(draw: st.DrawFn) -> Any:
    return {
        source: draw(spoiled(draw(values)))
        for source, values in _NUMBERED_VALUES.items()
        if draw(st.integers(0, 8))
    }


def test_numbered_mapping_is_columnar(numbered: CompiledMapping) -> None:
    assert numbered.engine == "columnar", numbered.columnar_reason


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(numbered_records(), min_size=1, max_size=30))
def test_a_number_key_is_the_same_text_in_both_engines(
    numbered: CompiledMapping, raws: list[Any]
) -> None:
    """A key on an int field, 0 among its values: text from both engines, never a number."""
    assert_same(numbered, raws)


def test_a_zero_key_is_a_key(numbered: CompiledMapping) -> None:
    for engine in ("row", "columnar"):
        assert numbered.map_page([{"N": "0", "S": "a"}], engine=engine).keys == ["0"]


def test_unsupported_step_falls_back_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text(
        "version: 1\nname: t.list\ndirection: pull\nentity: t\nkey: [a]\nfields:\n"
        "  a: {source: A}\n  b: {source: B, type: list, transforms: ['split(,)']}\n",
        encoding="utf-8",
    )
    mapping = load_mapping(path)
    assert mapping.engine == "row"
    assert mapping.columnar_reason == "no columnar form for field 'b': list values"
    assert mapping.map_page([{"A": "1", "B": "x,y"}]).payloads == ['{"a":"1","b":["x","y"]}']


def test_explain_names_the_engine() -> None:
    """``gateway mappings explain`` says which engine a mapping gets, and why not columnar."""
    from typer.testing import CliRunner

    from gateway.cli.mappings import app

    runner = CliRunner()
    persons = runner.invoke(app, ["explain", str(MAPPINGS_DIR / "labor_force" / "persons.yaml")])
    assert persons.exit_code == 0
    assert "engine=columnar" in persons.output
    items = runner.invoke(app, ["explain", str(MAPPINGS_DIR / "files" / "items.yaml"), "--json"])
    shown = orjson.loads(items.output)
    assert shown["engine"] == "row"
    assert (
        shown["engine_reason"] == "no columnar form for field 'statutory_limit_days': type decimal"
    )


def test_space_is_what_python_strips() -> None:
    """The columnar trim strips exactly what ``str.strip()`` strips, on this Python."""
    import sys

    from gateway.mapping.columnar import PY_SPACE

    assert "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()) == PY_SPACE


def _stable_offset_day_by_day(zone_name: str) -> tuple[datetime, str | None]:
    """The definition: every day's noon offset from 1900 to 2100, the day after the last
    change (two centuries walked forwards; the engine's search must agree with it)."""
    zone = ZoneInfo(zone_name)
    day, last = date(1900, 1, 2), date(2100, 1, 1)
    previous = datetime(1900, 1, 1, 12, tzinfo=zone).utcoffset()
    since = datetime(1900, 1, 1)
    while day < last:
        offset = datetime(day.year, day.month, day.day, 12, tzinfo=zone).utcoffset()
        if offset != previous:
            since, previous = datetime(day.year, day.month, day.day) + timedelta(days=1), offset
        day += timedelta(days=1)
    if since.year >= 2030:
        return since, None
    return since, datetime(2030, 1, 1, tzinfo=zone).isoformat()[19:]


@pytest.mark.parametrize(
    "zone",
    [
        "Asia/Shanghai", "Asia/Urumqi", "Asia/Taipei", "UTC", "Europe/Moscow", "Europe/Dublin",
        "America/Sao_Paulo", "America/New_York", "Africa/Casablanca", "Pacific/Apia",
        "Asia/Pyongyang", "America/Caracas", "Antarctica/Troll", "Asia/Kolkata",
    ],
)  # fmt: skip
def test_the_stable_offset_search_agrees_with_every_day(zone: str) -> None:
    """From when a zone keeps its offset: the same answer as walking every day, for zones
    that never changed, changed once, changed back and forth, or keep changing."""
    assert stable_offset(zone) == _stable_offset_day_by_day(zone)
