"""What the simulated platform holds: the three directories, the tasks it drew, the results.

Every push is answered per record and remembered by its idempotency key, so a resend (after a
timeout, a crash, a re-run) gets the first answer again and changes nothing. The draw happens
once, the first time tasks are asked for after the directories can fill the year's plan.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from gateway.masking import mask_id_number, mask_name, mask_phone
from simulators.inspection.checks import (
    Check,
    check_inspector,
    check_item,
    check_subject,
    result_checker,
)
from simulators.inspection.draw import DrawnTask, DrawPlan, draw_tasks, shortfall
from simulators.inspection.draw import task_id as task_id_of

WALL_CLOCK = "%Y-%m-%d %H:%M:%S"
# What the harness may show of an inspector: an integrator sees the shape, not the person.
_INSPECTOR_MASKS: dict[str, Callable[[str], str]] = {
    "idNumber": mask_id_number,
    "name": mask_name,
    "mobile": mask_phone,
}


@dataclass
class Directory:
    """One push stream's records by key, and every answer given, by idempotency key."""

    name: str
    receipt_prefix: str
    key_fields: tuple[str, ...]
    check: Check
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def key_of(self, record: Mapping[str, Any]) -> str:
        return "|".join(str(record[name]) for name in self.key_fields)

    def submit(self, item: Mapping[str, Any]) -> dict[str, Any]:
        idempotency_key = str(item["idempotencyKey"])
        earlier = self.answers.get(idempotency_key)
        if earlier is not None:
            self.counts["duplicates"] += 1
            return earlier
        record = {k: v for k, v in item.items() if k != "idempotencyKey"}
        rejection = self.check(record)
        answer: dict[str, Any] = {"idempotencyKey": idempotency_key}
        if rejection is not None:
            self.counts["rejected"] += 1
            answer.update(status="rejected", code=rejection.code, reason=rejection.reason)
        else:
            key = self.key_of(record)
            self.counts["updated" if key in self.records else "created"] += 1
            self.records[key] = record
            receipt = f"{self.receipt_prefix}{self.counts['created'] + self.counts['updated']:08d}"
            answer.update(status="accepted", receiptNo=receipt)
        self.answers[idempotency_key] = answer
        return answer


class Holdings:
    """The platform's whole state; async routes on one event loop touch it one at a time."""

    def __init__(self, plan: DrawPlan, seed: int) -> None:
        self.plan = plan
        self.seed = seed
        self.tasks: dict[str, dict[str, Any]] = {}
        self._order: list[tuple[str, str]] = []
        self.items = Directory("check_items", "SX", ("itemCode",), check_item)
        self.subjects = Directory("subjects", "DX", ("uscc",), check_subject)
        self.inspectors = Directory("inspectors", "RY", ("certNo",), check_inspector)
        self.results = Directory(
            "results",
            "JG",
            ("taskId", "uscc"),
            result_checker(self.tasks, self.items.records, self.inspectors.records),
        )
        self.directories = {
            d.name: d for d in (self.items, self.subjects, self.inspectors, self.results)
        }

    def waiting_reason(self) -> str | None:
        if self.tasks:
            return None
        return shortfall(
            self.plan,
            len(self.items.records),
            len(self.subjects.records),
            len(self.inspectors.records),
        )

    def ensure_drawn(self) -> None:
        """Draw the year's tasks once the directories can fill the plan."""
        if self.tasks or self.waiting_reason() is not None:
            return
        drawn = draw_tasks(
            self.plan,
            self.seed,
            self.items.records,
            self.subjects.records,
            self.inspectors.records,
        )
        for task in drawn:
            self.tasks[task.task_id] = self._task_record(task)
        self._order = sorted((t["updatedAt"], t["taskId"]) for t in self.tasks.values())

    def _task_record(self, task: DrawnTask) -> dict[str, Any]:
        item = self.items.records[task.item_code]
        at = task.drawn_at.strftime(WALL_CLOCK)
        return {
            "taskId": task.task_id,
            "taskName": f"{self.plan.year}年度双随机抽查：{item['itemName']}",
            "itemCode": task.item_code,
            "drawnAt": at,
            "deadline": task.deadline.isoformat(),
            "subjects": list(task.subjects),
            "inspectors": list(task.inspectors),
            "updatedAt": at,
        }

    def task_page(
        self, updated_since: str | None, after_key: str | None, size: int, repeat: bool
    ) -> dict[str, Any]:
        """Tasks after the cursor in (updatedAt, taskId) order; ``repeat`` re-sends the one
        before the cursor first, as a platform does that pages by offset under writes."""
        if updated_since is None:
            start = 0
        elif after_key:
            start = bisect.bisect_right(self._order, (updated_since, after_key))
        else:
            start = bisect.bisect_left(self._order, (updated_since, ""))
        page = self._order[start : start + size]
        shown = [self._order[start - 1], *page] if repeat and start > 0 else page
        last = page[-1] if page else None
        return {
            "items": [self.tasks[task_id] for _, task_id in shown],
            "has_more": start + size < len(self._order),
            "next": {"updated_since": last[0], "after_key": last[1]} if last else None,
        }

    def mutate_tasks(self, change: int, delete: int, add: int, seed: int) -> dict[str, list[str]]:
        """Change, delete and add drawn tasks behind the gateway's back; answers their ids.
        Changed and added tasks get an ``updatedAt`` after every other, as an incremental read
        sees them; deleted ones vanish."""
        rng = random.Random(seed)
        ids = sorted(self.tasks)
        chosen = rng.sample(ids, min(len(ids), change + delete))
        changed, deleted = sorted(chosen[:change]), sorted(chosen[change:])
        latest = max((t["updatedAt"] for t in self.tasks.values()), default="2022-01-01 00:00:00")
        stamp = (datetime.strptime(latest, WALL_CLOCK) + timedelta(seconds=1)).strftime(WALL_CLOCK)
        for task_id in changed:
            task = self.tasks[task_id]
            task["deadline"] = (
                date.fromisoformat(task["deadline"]) + timedelta(days=7)
            ).isoformat()
            task["updatedAt"] = stamp
        for task_id in deleted:
            del self.tasks[task_id]
        added = []
        for n in range(add):
            template = self.tasks[rng.choice(sorted(self.tasks))]
            new_id = task_id_of(self.plan.year, 90_000 + len(self.tasks) + n)
            self.tasks[new_id] = {**template, "taskId": new_id, "updatedAt": stamp}
            added.append(new_id)
        self._order = sorted((t["updatedAt"], t["taskId"]) for t in self.tasks.values())
        return {"changed": changed, "deleted": deleted, "added": added}

    def listing(self, stream: str) -> list[dict[str, Any]]:
        """What the harness shows of a directory: inspectors' personal data masked."""
        records = self.directories[stream].records.values()
        if stream != "inspectors":
            return list(records)
        return [
            {k: _INSPECTOR_MASKS[k](v) if k in _INSPECTOR_MASKS and v else v for k, v in r.items()}
            for r in records
        ]

    def stats(self) -> dict[str, Any]:
        figures: dict[str, Any] = {
            "held": {name: len(d.records) for name, d in self.directories.items()},
            **{
                kind: {name: d.counts[kind] for name, d in self.directories.items()}
                for kind in ("created", "updated", "rejected", "duplicates")
            },
            "tasks": len(self.tasks),
            "task_subjects": sum(len(t["subjects"]) for t in self.tasks.values()),
            "inspector_assignments": sum(len(t["inspectors"]) for t in self.tasks.values()),
        }
        figures["draw"] = "drawn" if self.tasks else f"waiting: {self.waiting_reason()}"
        return figures
