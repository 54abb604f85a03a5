"""Record rules: a safe comparison language over typed field values."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.mapping import inline_mapping

JOBS = """\
fields:
  id: id
  headcount: {source: n, type: int}
  publish_date: {source: p, type: date, format: YYYYMMDD}
  valid_until: {source: v, type: date, format: YYYYMMDD}
  kind: k
rules:
  - rule: "valid_until > publish_date"
  - rule: "headcount > 0"
    name: headcount
  - {rule: "kind in ['A', 'B']", level: warning}
  - "publish_date >= '2000-01-01' and not (headcount > 1000)"
"""


def test_rules_pass(tmp_path: Path) -> None:
    """A record that satisfies every rule is accepted without warnings."""
    m = inline_mapping(tmp_path, JOBS)
    result = m.map({"id": "1", "n": "3", "p": "20230101", "v": "20230301", "k": "A"})
    assert result.ok
    assert result.warnings == []


def test_rules_fail_with_field_and_expression(tmp_path: Path) -> None:
    """Failed rules are errors naming the first field (or the rule's name) and the expression."""
    m = inline_mapping(tmp_path, JOBS)
    result = m.map({"id": "1", "n": "0", "p": "20230301", "v": "20230101", "k": "A"})
    assert [(i.field, i.rule) for i in result.errors] == [
        ("valid_until", "rule"),
        ("headcount", "rule"),
    ]
    assert result.errors[0].detail == "rule failed: valid_until > publish_date"


def test_warning_level_rule(tmp_path: Path) -> None:
    """A rule with level warning only warns."""
    m = inline_mapping(tmp_path, JOBS)
    result = m.map({"id": "1", "n": "1", "p": "20230101", "v": "20230301", "k": "C"})
    assert result.ok
    assert result.warnings[0].field == "kind"


def test_missing_fields_make_rules_unknown(tmp_path: Path) -> None:
    """A comparison with a missing value neither passes nor fails: required decides."""
    m = inline_mapping(tmp_path, JOBS)
    assert m.map({"id": "1"}).ok


def test_literals_take_the_field_type(tmp_path: Path) -> None:
    """A text literal compared with a date field is read as a date; arithmetic is refused."""
    m = inline_mapping(tmp_path, JOBS)
    result = m.map({"id": "1", "n": "2000", "p": "19991231", "v": "20000101"})
    assert {i.detail for i in result.errors} == {
        "rule failed: publish_date >= '2000-01-01' and not (headcount > 1000)"
    }
