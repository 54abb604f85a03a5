"""The inspection platform's random draw, the demo directories and the local handling step."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from pydantic import ValidationError
from stdnum.cn import ric, uscc

from gateway.codes import code_table, is_mobile
from simulators.demo.inspection import data as demodata
from simulators.demo.inspection.results import HandlingPlan, result_rows
from simulators.inspection.draw import MIN_TEAM, DrawPlan, draw_tasks, shortfall

SEED = 2022


@pytest.fixture(scope="module")
def directories() -> tuple[list[str], list[str], list[str]]:
    """Item codes, USCCs and certificate numbers of the demo's directories."""
    items = [r["事项编码"] for r in demodata.check_items(127)]
    subjects = [r["统一社会信用代码"] for r in demodata.subjects(4125, SEED)]
    inspectors = [r["执法证号"] for r in demodata.inspectors(137, SEED)]
    return items, subjects, inspectors


def test_draw_fills_the_plan(directories: tuple[list[str], list[str], list[str]]) -> None:
    """99 tasks over 281 distinct subjects with 206 inspector places, two or more per task."""
    tasks = draw_tasks(DrawPlan(), SEED, *directories)
    items, subjects, inspectors = directories
    drawn = [s for t in tasks for s in t.subjects]
    assert len(tasks) == 99
    assert len(drawn) == len(set(drawn)) == 281
    assert sum(len(t.inspectors) for t in tasks) == 206
    assert all(len(set(t.inspectors)) == len(t.inspectors) >= MIN_TEAM for t in tasks)
    assert set(drawn) <= set(subjects)
    assert {c for t in tasks for c in t.inspectors} <= set(inspectors)
    assert {t.item_code for t in tasks} <= set(items)
    assert len({t.task_id for t in tasks}) == 99
    assert all(t.drawn_at.year == 2022 and t.deadline > t.drawn_at.date() for t in tasks)
    assert [t.drawn_at for t in tasks] == sorted(t.drawn_at for t in tasks)


def test_draw_is_deterministic_and_order_free(
    directories: tuple[list[str], list[str], list[str]],
) -> None:
    """The same seed and directories, in any order, draw the same tasks; another seed does not."""
    items, subjects, inspectors = directories
    first = draw_tasks(DrawPlan(), SEED, items, subjects, inspectors)
    again = draw_tasks(DrawPlan(), SEED, items[::-1], set(subjects), tuple(reversed(inspectors)))
    other = draw_tasks(DrawPlan(), SEED + 1, items, subjects, inspectors)
    assert first == again
    assert [t.subjects for t in first] != [t.subjects for t in other]


def test_no_draw_until_the_directories_can_fill_the_plan() -> None:
    """Too few subjects, no item, or too few inspectors: the platform waits and draws nothing."""
    plan = DrawPlan(tasks=3, subjects=6, inspector_assignments=7)
    usccs = [f"S{n}" for n in range(6)]
    assert shortfall(plan, 1, 5, 4) == "5 subjects held, the plan draws 6"
    assert shortfall(plan, 0, 6, 4) == "no check item"
    assert shortfall(plan, 1, 6, 2) is not None  # 2 inspectors × 3 tasks < 7 places
    assert draw_tasks(plan, SEED, ["I1"], usccs[:5], ["A", "B", "C"]) == []
    assert len(draw_tasks(plan, SEED, ["I1"], usccs, ["A", "B", "C"])) == 3


def test_plan_must_be_feasible() -> None:
    """A plan with fewer subjects than tasks, or fewer than two inspectors a task, is refused."""
    with pytest.raises(ValidationError, match="at least one subject"):
        DrawPlan(tasks=10, subjects=9, inspector_assignments=20)
    with pytest.raises(ValidationError, match="inspectors"):
        DrawPlan(tasks=10, subjects=10, inspector_assignments=19)


def test_demo_directories_are_valid_and_distinct() -> None:
    """127 items, 4,125 subjects and 137 inspectors, all keys distinct, every code valid."""
    items = demodata.check_items(127)
    subjects = demodata.subjects(4125, SEED)
    inspectors = demodata.inspectors(137, SEED)
    assert len({r["事项编码"] for r in items}) == 127
    assert len({r["统一社会信用代码"] for r in subjects}) == 4125
    assert len({r["执法证号"] for r in inspectors}) == 137
    # python-stdnum is the independent oracle for the check characters.
    assert all(uscc.is_valid(r["统一社会信用代码"]) for r in subjects)
    assert all(ric.is_valid(r["身份证号"]) for r in inspectors)
    assert all(is_mobile(r["手机号码"]) for r in inspectors)
    assert {r["对象类型"] for r in subjects} == set(demodata.SUBJECT_TYPES)
    assert demodata.subjects(50, SEED) == demodata.subjects(50, SEED) != demodata.subjects(50, 7)


def test_organisation_code_check_character() -> None:
    """GB 11714 check characters as found inside real, published USCCs (one ends in X)."""
    for published in ("914403001922038216", "9144030071526726XG"):
        assert uscc.is_valid(published)
        assert demodata.organisation_code(published[8:16]) == published[8:17]


def test_local_handling_mirrors_the_report(
    directories: tuple[list[str], list[str], list[str]],
) -> None:
    """270 results for drawn pairs: 78 未发现问题, 10 其他, dates in 2022, 11 pairs pending."""
    tasks = draw_tasks(DrawPlan(), SEED, *directories)
    rows = result_rows(tasks, {}, SEED)
    drawn = {(t.task_id, s) for t in tasks for s in t.subjects}
    teams = {t.task_id: "、".join(t.inspectors) for t in tasks}
    labels = Counter(r["检查结果"] for r in rows)
    assert len(rows) == 270 == HandlingPlan().total
    assert labels["未发现问题"] == 78
    assert labels["其他"] == 10
    assert set(labels) <= set(code_table("inspection_result").labels.values())
    assert {(r["任务编号"], r["统一社会信用代码"]) for r in rows} <= drawn
    assert len(drawn) - len(rows) == 11
    assert all(r["检查人员执法证号"] == teams[r["任务编号"]] for r in rows)
    for row in rows:
        checked, published = (
            date.fromisoformat(row["检查日期"]),
            date.fromisoformat(row["公示日期"]),
        )
        assert date(2022, 1, 1) <= checked <= published <= date(2022, 12, 31)
