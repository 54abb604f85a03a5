"""Deadline figures for cases: due times on the working-day calendar, on time or late, per item.

Pure functions over canonical records (``service_case``, ``case_event``, ``service_item``), so
the report, a test and an auditor's notebook compute the same thing the same way. A case is
*handled* once it is completed (办结); it is *on time* when that happened by its due time: the
receipt time plus the item's promised time limit (承诺办结时限; the statutory one if no promise is
recorded) in working days. A case still open past its due time is *overdue* as well. A due time
counted through a year without a holiday notice is *provisional*, and counted as such.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.workdays import WorkCalendar


@dataclass(frozen=True)
class CaseOutcome:
    case_no: str
    item_code: str
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    decision: str | None
    late_working_seconds: int
    reported: bool
    due_provisional: bool = False

    @property
    def state(self) -> str:
        """``on_time``, ``late``, ``open``, ``open_overdue`` or ``no_limit`` (unknown item)."""
        if self.due_at is None:
            return "no_limit"
        if self.completed_at is None:
            return "open_overdue" if self.late_working_seconds > 0 else "open"
        return "late" if self.completed_at > self.due_at else "on_time"


@dataclass
class ItemFigures:
    item_code: str
    item_name: str
    limit_days: str | None
    received: int = 0
    handled: int = 0
    approved: int = 0
    rejected: int = 0
    reported: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_overdue: int = 0
    no_limit: int = 0
    provisional: int = 0
    late_hours: list[float] = field(default_factory=list)

    def add(self, outcome: CaseOutcome) -> None:
        self.received += 1
        self.handled += outcome.completed_at is not None
        self.approved += outcome.decision == "approved"
        self.rejected += outcome.decision == "rejected"
        self.reported += outcome.reported
        self.provisional += outcome.due_provisional
        state = outcome.state
        setattr(self, state, getattr(self, state) + 1)
        if state in ("late", "open_overdue"):
            self.late_hours.append(outcome.late_working_seconds / 3600)

    def as_dict(self) -> dict[str, Any]:
        hours = self.late_hours
        figures = {k: v for k, v in self.__dict__.items() if k != "late_hours"}
        return {
            **figures,
            "overdue": self.late + self.open_overdue,
            "on_time_rate": round(self.on_time / self.handled, 4) if self.handled else None,
            "late_working_hours_max": round(max(hours), 2) if hours else None,
            "late_working_hours_mean": round(statistics.fmean(hours), 2) if hours else None,
            "late_working_hours_median": round(statistics.median(hours), 2) if hours else None,
        }


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def item_limit(item: Mapping[str, Any] | None) -> str | None:
    """The limit a case of this item is held to: the promised one, else the statutory one."""
    if item is None:
        return None
    limit = item.get("promised_limit_days") or item.get("statutory_limit_days")
    return str(limit) if limit not in (None, "") else None


def case_outcomes(
    cases: Iterable[Mapping[str, Any]],
    events: Iterable[Mapping[str, Any]],
    items: Mapping[str, Mapping[str, Any]],
    calendar: WorkCalendar,
    as_of: datetime,
    reported: frozenset[str] = frozenset(),
) -> list[CaseOutcome]:
    """One outcome per case; ``reported`` holds the case numbers whose completion the
    platform accepted."""
    by_case: dict[str, dict[str, datetime]] = {}
    for event in events:
        moment = _moment(event.get("occurred_at"))
        if moment is not None:
            by_case.setdefault(str(event.get("case_no")), {})[str(event.get("event"))] = moment
    outcomes = []
    for case in cases:
        received = _moment(case.get("received_at"))
        if received is None:
            continue
        case_no, item_code = str(case.get("case_no")), str(case.get("item_code"))
        steps = by_case.get(case_no, {})
        limit = item_limit(items.get(item_code))
        deadline = calendar.deadline(received, limit) if limit is not None else None
        due = deadline.at if deadline is not None else None
        completed = steps.get("completed")
        late = 0
        if due is not None:
            late = calendar.working_seconds_between(due, completed or as_of)
        decision = next((d for d in ("rejected", "approved") if d in steps), None)
        outcomes.append(
            CaseOutcome(
                case_no,
                item_code,
                received,
                due,
                completed,
                decision,
                late,
                case_no in reported,
                deadline is not None and deadline.provisional,
            )
        )
    return outcomes


def summarize(
    outcomes: Iterable[CaseOutcome], items: Mapping[str, Mapping[str, Any]]
) -> tuple[ItemFigures, list[ItemFigures]]:
    """The totals and one row per item, in item-code order."""
    total = ItemFigures("*", "合计", None)
    rows: dict[str, ItemFigures] = {}
    for outcome in outcomes:
        code = outcome.item_code
        if code not in rows:
            item = items.get(code) or {}
            rows[code] = ItemFigures(code, str(item.get("item_name") or "?"), item_limit(item))
        rows[code].add(outcome)
        total.add(outcome)
    return total, [rows[code] for code in sorted(rows)]
