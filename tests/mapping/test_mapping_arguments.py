"""``mappings check`` checks every validator and transform argument by type and arity, with
the line and column of the step: nothing refused later, record by record, at run time."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.mapping import check_mapping
from tests.helpers.mapping import write_mapping

BAD = {
    "length as a list": ("{length: [1, 2, 3]}", "named arguments"),
    "range as a list": ("{range: [1, 2]}", "named arguments"),
    "length exact and min": ("{length: {exact: 3, min: 1}}", "not both"),
    "length min above max": ("{length: {min: 5, max: 2}}", "greater than max"),
    "negative length": ("{length: -1}", "negative"),
    "length of text": ("{length: eleven}", "whole number"),
    "unknown parameter": ("{length: {size: 3}}", "no parameter 'size'"),
    "regex of a list": ("{regex: [a, b]}", "regular expression"),
    "regex as a mapping": ("{regex: {pattern: [a]}}", "regular expression"),
}
BAD_TRANSFORMS = {
    "zfill of text": ("{zfill: two}", "whole number"),
    "zfill zero": ("{zfill: 0}", "at least 1"),
    "replace with one argument": ("{replace: [x]}", "needs 'new'"),
    "slice of texts": ("{slice: [a, b]}", "whole number"),
}


def _problems(tmp_path: Path, step: str, where: str) -> list[str]:
    body = f"fields:\n  id: id\n  f:\n    source: x\n    {where}: [{step}]\n"
    path = write_mapping(tmp_path, body)
    found = check_mapping(path)
    assert all(p.line == 10 and p.column > 1 for p in found), found  # the step's own line
    return [p.message for p in found]


@pytest.mark.parametrize("case", sorted(BAD))
def test_validator_arguments_are_checked(tmp_path: Path, case: str) -> None:
    """Each bad validator argument is refused at the step's line, saying what is wrong."""
    step, needle = BAD[case]
    messages = _problems(tmp_path, step, "validators")
    assert messages, "refused at check time"
    assert needle in messages[0]


@pytest.mark.parametrize("case", sorted(BAD_TRANSFORMS))
def test_transform_arguments_are_checked(tmp_path: Path, case: str) -> None:
    """Each bad transform argument is refused at the step's line, saying what is wrong."""
    step, needle = BAD_TRANSFORMS[case]
    messages = _problems(tmp_path, step, "transforms")
    assert messages, "refused at check time"
    assert needle in messages[0]


@pytest.mark.parametrize(
    "step", ["{length: 11}", "length(11)", "{length: {min: 2, max: 20}}", "{length: {max: 3}}"]
)
def test_good_length_forms_pass(tmp_path: Path, step: str) -> None:
    """The documented forms of length still compile."""
    assert _problems(tmp_path, step, "validators") == []
