"""The platform's random draw (双随机): which subjects are checked, by which inspectors, for what.

One plan a year: ``tasks`` spot checks over ``subjects`` distinct supervised objects, with
``inspector_assignments`` inspector places in total (every check needs at least two inspectors,
as administrative enforcement requires). The draw is a pure function of the plan, the seed and
the directories the platform holds, taken in key order: the simulator draws with it, and a demo
or a test that knows the directories can compute the very same tasks.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

MIN_TEAM = 2
# Checks are drawn from March to the end of October, so that results published within the
# 20-working-day rule still fall inside the plan's year.
FIRST_DRAW = (3, 1)
DRAW_SPAN_DAYS = 240
OFFICE_MINUTES = 8 * 60


class DrawPlan(BaseModel):
    """How much one year's draw covers (the simulator's ``draw`` settings)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    year: int = Field(2022, ge=2000, le=2100)
    tasks: int = Field(99, ge=1)
    subjects: int = Field(281, ge=1)
    inspector_assignments: int = Field(206, ge=MIN_TEAM)
    deadline_days: int = Field(30, ge=1, description="Calendar days a check may take")

    @model_validator(mode="after")
    def _feasible(self) -> DrawPlan:
        if self.subjects < self.tasks:
            raise ValueError("every task needs at least one subject")
        if self.inspector_assignments < MIN_TEAM * self.tasks:
            raise ValueError(f"every task needs at least {MIN_TEAM} inspectors")
        return self


@dataclass(frozen=True)
class DrawnTask:
    task_id: str
    item_code: str
    drawn_at: datetime
    deadline: date
    subjects: tuple[str, ...]
    inspectors: tuple[str, ...]


def shortfall(plan: DrawPlan, items: int, subjects: int, inspectors: int) -> str | None:
    """Why the directories cannot fill the plan yet, or ``None`` when they can."""
    if items < 1:
        return "no check item"
    if subjects < plan.subjects:
        return f"{subjects} subjects held, the plan draws {plan.subjects}"
    if inspectors < MIN_TEAM or inspectors * plan.tasks < plan.inspector_assignments:
        return f"{inspectors} inspectors held, too few for {plan.inspector_assignments} places"
    return None


def _spread(
    rng: random.Random, total: int, slots: int, minimum: int, cap: int | None = None
) -> list[int]:
    """``total`` split over ``slots``: each gets ``minimum``, the rest one at a time at random,
    never more than ``cap`` in one slot (:func:`shortfall` has made sure ``total`` fits)."""
    counts = [minimum] * slots
    for _ in range(total - minimum * slots):
        open_slots = [i for i, n in enumerate(counts) if cap is None or n < cap]
        counts[rng.choice(open_slots)] += 1
    return counts


def task_id(year: int, number: int) -> str:
    return f"SJRW{year}{number:05d}"


def draw_tasks(
    plan: DrawPlan,
    seed: int,
    item_codes: Collection[str],
    usccs: Collection[str],
    cert_nos: Collection[str],
) -> list[DrawnTask]:
    """The year's tasks, in the order drawn; empty when :func:`shortfall` finds a gap."""
    if shortfall(plan, len(item_codes), len(usccs), len(cert_nos)) is not None:
        return []
    # A string seed is hashed the same way on every run and platform (unlike hash()).
    rng = random.Random(f"inspection-draw/{seed}/{plan.year}")
    items = sorted(item_codes)
    inspectors = sorted(cert_nos)
    drawn = rng.sample(sorted(usccs), plan.subjects)
    sizes = _spread(rng, plan.subjects, plan.tasks, 1)
    teams = _spread(rng, plan.inspector_assignments, plan.tasks, MIN_TEAM, len(inspectors))
    start = datetime(plan.year, *FIRST_DRAW, 9, 0)
    tasks: list[DrawnTask] = []
    taken = 0
    for index in range(plan.tasks):
        drawn_at = start + timedelta(
            days=index * DRAW_SPAN_DAYS // plan.tasks, minutes=rng.randrange(OFFICE_MINUTES)
        )
        subjects = tuple(sorted(drawn[taken : taken + sizes[index]]))
        taken += sizes[index]
        tasks.append(
            DrawnTask(
                task_id=task_id(plan.year, index + 1),
                item_code=rng.choice(items),
                drawn_at=drawn_at,
                deadline=drawn_at.date() + timedelta(days=plan.deadline_days),
                subjects=subjects,
                inspectors=tuple(sorted(rng.sample(inspectors, teams[index]))),
            )
        )
    return tasks
