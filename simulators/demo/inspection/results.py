"""The bureau's local handling of the drawn checks, for the demo: one result row per subject.

Inspectors check each drawn subject before the task's deadline and the bureau's case system
exports the outcomes; this module plays that system. It works from the tasks the platform
draws (:func:`simulators.inspection.draw.draw_tasks` over the same directories gives the same
tasks), so every row names a real task, a subject drawn for it and the inspectors assigned.

The outcome mix mirrors the prefecture's 2022 report: of 281 subjects drawn, 270 results
published, 78 "no problem found" and 10 "other"; the report states no further split, so the
remaining 182 are spread over the other national categories. The last subjects drawn in the
year are still being handled, and a few results were published later than the rules allow.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from gateway.codes import code_table
from simulators.inspection.draw import DrawnTask

RESULT_COLUMNS = (
    "任务编号", "统一社会信用代码", "单位名称", "抽查事项编码", "检查日期", "检查结果",
    "检查人员执法证号", "公示日期", "结果说明",
)  # fmt: skip
TEAM_SEPARATOR = "、"
_REMARKS = {
    "01": "",
    "02": "未按规定公示劳动用工信息，已告知限期公示",
    "04": "通过登记的住所无法联系",
    "05": "发现未签订书面劳动合同，经责令已补签",
    "06": "拖欠工资问题已立案调查",
    "07": "已停止招用劳动者，未开展相关经营活动",
    "08": "拒不提供检查所需材料",
    "99": "企业停业整顿，另行安排检查",
}


# Result category → results published (01 未发现问题 and 99 其他 as the report states them).
PUBLISHED_2022 = {"01": 78, "02": 61, "05": 57, "07": 38, "04": 12, "06": 11, "08": 3, "99": 10}


@dataclass(frozen=True)
class HandlingPlan:
    """How many results of each category the bureau publishes, and how the rest stand."""

    published: Mapping[str, int] = field(default_factory=lambda: dict(PUBLISHED_2022))
    late: int = 7
    late_days: tuple[int, int] = (45, 60)
    on_time_days: tuple[int, int] = (1, 18)

    @property
    def total(self) -> int:
        return sum(self.published.values())


def _check_date(rng: random.Random, task: DrawnTask) -> date:
    earliest = task.drawn_at.date() + timedelta(days=3)
    return min(earliest + timedelta(days=rng.randrange(23)), task.deadline)


def result_rows(
    tasks: Sequence[DrawnTask],
    names: Mapping[str, str],
    seed: int,
    plan: HandlingPlan | None = None,
) -> list[dict[str, str]]:
    """One row per handled subject, in draw order; subjects beyond ``plan.total`` are pending.

    ``names`` maps a USCC to the subject's name. Late publications are chosen among the first
    two thirds of the pairs, so that even a late one falls within the plan's year.
    """
    plan = plan or HandlingPlan()
    rng = random.Random(f"inspection-handling/{seed}")
    labels = code_table("inspection_result")
    pairs = [(task, uscc) for task in tasks for uscc in task.subjects][: plan.total]
    outcomes = [code for code, count in plan.published.items() for _ in range(count)]
    rng.shuffle(outcomes)
    late = set(rng.sample(range(len(pairs) * 2 // 3), min(plan.late, len(pairs) * 2 // 3)))
    rows = []
    for index, ((task, uscc), code) in enumerate(zip(pairs, outcomes, strict=False)):
        checked = _check_date(rng, task)
        low, high = plan.late_days if index in late else plan.on_time_days
        published = checked + timedelta(days=rng.randint(low, high))
        values = (
            task.task_id, uscc, names.get(uscc, ""), task.item_code, checked.isoformat(),
            labels.label(code) or code, TEAM_SEPARATOR.join(task.inspectors),
            published.isoformat(), _REMARKS.get(code, ""),
        )  # fmt: skip
        rows.append(dict(zip(RESULT_COLUMNS, values, strict=True)))
    return rows
