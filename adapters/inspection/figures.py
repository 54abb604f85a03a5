"""The inspection figures of a period, computed from what the gateway synced.

Tasks come from the pulled ``inspection_task`` records; a result counts as published when the
platform accepted it (the results push job's outbox says so), not merely because the bureau's
file listed it. The publication rule is the national one: results are published within 20
working days of the check (Chinese calendar, make-up working days included). A due day counted
through a year without a holiday notice is provisional (or refused, as ``calendar.unknown_years``
says); the figures count how many of the period's judgements rest on one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection

from gateway.calendar_years import holiday_book
from gateway.clock import SHANGHAI
from gateway.codes import code_table
from gateway.config import GatewayConfig
from gateway.errors import StoreError
from gateway.store import Store, outbox
from gateway.store.records import iter_payloads
from gateway.workdays import WorkCalendar

TASK_ENTITY = "inspection_task"
RESULT_ENTITY = "inspection_result"
RESULT_TABLE = "inspection_result"
PUBLISH_WITHIN_WORKING_DAYS = 20


@dataclass(frozen=True)
class Period:
    since: date | None = None
    until: date | None = None

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


@dataclass
class InspectionFigures:
    period: Period
    as_of: date
    tasks_drawn: int = 0
    subjects_checked: int = 0
    inspector_assignments: int = 0
    results_published: int = 0
    by_category: Counter[str] = field(default_factory=Counter)
    published_late: int = 0
    awaiting: int = 0
    awaiting_overdue: int = 0
    not_accepted: int = 0
    provisional_deadlines: int = 0

    def as_dict(self) -> dict[str, Any]:
        table = code_table(RESULT_TABLE)
        return {
            "period": {
                "since": self.period.since.isoformat() if self.period.since else None,
                "until": self.period.until.isoformat() if self.period.until else None,
            },
            "as_of": self.as_of.isoformat(),
            "tasks_drawn": self.tasks_drawn,
            "subjects_checked": self.subjects_checked,
            "inspector_assignments": self.inspector_assignments,
            "results_published": self.results_published,
            "by_category": [
                {"code": code, "label": table.label(code) or code, "count": self.by_category[code]}
                for code in [*table.codes, *sorted(set(self.by_category) - set(table.codes))]
            ],
            "publish_rule_working_days": PUBLISH_WITHIN_WORKING_DAYS,
            "published_late": self.published_late,
            "awaiting_results": self.awaiting,
            "awaiting_past_due": self.awaiting_overdue,
            "results_not_accepted": self.not_accepted,
            "provisional_deadlines": self.provisional_deadlines,
        }


def results_push_jobs(config: GatewayConfig) -> list[str]:
    """Jobs that publish results to an inspection platform: their outbox says what was accepted."""
    return [
        name
        for name, job in config.jobs.items()
        if not job.is_pull
        and job.stream == "results"
        and config.platforms[job.platform].adapter == "inspection"
    ]


def _payloads(conn: Connection, entity: str) -> Iterator[tuple[str, dict[str, Any]]]:
    return iter_payloads(conn, entity)


def _accepted(conn: Connection, jobs: list[str]) -> set[str]:
    return set(outbox.accepted_keys(conn, jobs))


def _day(value: Any, entity: str, key: str, name: str) -> date:
    """A canonical date (``YYYY-MM-DD``) or date-time (ISO 8601) as the day in Beijing."""
    try:
        text = str(value)
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise StoreError("record lacks a valid date", entity=entity, key=key, field=name) from None
    return (moment.astimezone(SHANGHAI) if moment.tzinfo else moment).date()


def compute(
    store: Store, config: GatewayConfig, period: Period, as_of: date | None = None
) -> InspectionFigures:
    """The figures of ``period``; "past due" is judged on ``as_of`` (the period's end, or today)."""
    today = datetime.now(SHANGHAI).date()
    as_of = as_of or min(period.until or today, today)
    figures = InspectionFigures(period, as_of)
    calendar = WorkCalendar.from_settings(book=holiday_book(config))

    def due(day: date) -> date:
        last, provisional = calendar.working_day_deadline(day, PUBLISH_WITHIN_WORKING_DAYS)
        figures.provisional_deadlines += provisional
        return last

    with store.connect() as conn:
        accepted = _accepted(conn, results_push_jobs(config))
        results = list(_payloads(conn, RESULT_ENTITY))
        tasks = list(_payloads(conn, TASK_ENTITY))
    for key, result in results:
        published = _day(result.get("publish_date"), RESULT_ENTITY, key, "publish_date")
        if published not in period:
            continue
        if key not in accepted:
            figures.not_accepted += 1
            continue
        figures.results_published += 1
        figures.by_category[str(result.get("result_code"))] += 1
        check_date = _day(result.get("check_date"), RESULT_ENTITY, key, "check_date")
        if published > due(check_date):
            figures.published_late += 1
    checked: set[str] = set()  # 户数: an enterprise drawn for two checks counts once
    for key, task in tasks:
        if _day(task.get("drawn_at"), TASK_ENTITY, key, "drawn_at") not in period:
            continue
        subjects, team = task.get("subjects") or [], task.get("inspectors") or []
        figures.tasks_drawn += 1
        checked.update(subjects)
        figures.inspector_assignments += len(team)
        deadline = _day(task.get("deadline"), TASK_ENTITY, key, "deadline")
        for uscc in subjects:
            # A result's store key is "task id|USCC", the key fields of its mapping in order.
            if f"{key}|{uscc}" in accepted:
                continue
            figures.awaiting += 1
            if as_of > due(deadline):
                figures.awaiting_overdue += 1
    figures.subjects_checked = len(checked)
    return figures
