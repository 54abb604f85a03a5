"""Local handling: a small rule engine standing in for the bureau's social-insurance system.

The bureau handles the portal's registrations at its service-hall desks; this stream reads the
cases the portal lists and derives, case by case, what the desks do and when. The rules:

* desks take submitted cases first come, first served, and work only in office hours on
  working days (the platform's calendar: holidays and make-up working days included);
* each case is reviewed and accepted (受理), then decided: rejected (不予) with the missing
  material named when the application lacks one, approved (准予) otherwise; then completed
  (办结). Each step takes a number of working minutes drawn from a digest of the case number,
  so a run is reproducible;
* a case that is no longer submitted (the bureau already reported on it) is left alone.

Nothing forces a deadline: cases that arrive while the desks are busy (Monday mornings, the
first day after a holiday) simply wait, and some of them finish late. The desks' state travels
in the cursor, so the next run continues the same queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from adapters.service_network.model import SUBMITTED, TIME_FORMAT
from adapters.service_network.settings import HandlingOptions, calendar_for, handling_options
from adapters.service_network.streams import CasesStream
from gateway.adapter import MALFORMED, Page, PullStream, StreamContext
from gateway.workdays import WorkCalendar


def _minutes(digest: bytes, index: int, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return low + int.from_bytes(digest[2 * index : 2 * index + 2], "big") % (high - low + 1)


class Desks:
    """When each desk is free next; the earliest free desk takes the next case."""

    def __init__(self, count: int, free_at: list[str] | None, calendar: WorkCalendar) -> None:
        known = [datetime.fromisoformat(t) for t in free_at or []][:count]
        # A desk that never worked is free since the beginning of time.
        self.free_at = known + [datetime.min.replace(tzinfo=calendar.zone)] * (count - len(known))

    def take(self) -> tuple[int, datetime]:
        desk = min(range(len(self.free_at)), key=self.free_at.__getitem__)
        return desk, self.free_at[desk]

    def dump(self) -> list[str]:
        return [t.isoformat() for t in self.free_at]


class HandlingRules:
    """Derives the events of one case from the desks' queue and the rules above."""

    def __init__(self, options: HandlingOptions, calendar: WorkCalendar, desks: Desks) -> None:
        self.options = options
        self.calendar = calendar
        self.desks = desks

    def events(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        if MALFORMED in case or case.get("caseStatus") != SUBMITTED or not case.get("caseNo"):
            return []
        try:
            received = datetime.strptime(str(case.get("receiveTime")), TIME_FORMAT)
        except ValueError:
            return []  # the cases job dead-letters the same record, with the reason
        digest = hashlib.sha256(str(case["caseNo"]).encode()).digest()
        desk, free_at = self.desks.take()
        start = max(received.replace(tzinfo=self.calendar.zone), free_at)
        work = self.calendar.add_working_seconds
        accepted = work(start, 60 * _minutes(digest, 0, self.options.review_minutes))
        decided = work(accepted, 60 * _minutes(digest, 1, self.options.decision_minutes))
        completed = work(decided, 60 * _minutes(digest, 2, self.options.completion_minutes))
        self.desks.free_at[desk] = completed
        missing = str(case.get("missingMaterial") or "")
        complete = str(case.get("materialsComplete")) == "1"
        decision, opinion = (
            ("approved", "材料齐全，准予参保登记")
            if complete
            else ("rejected", f"申请材料不全：缺少{missing or '必要材料'}，请补正后重新申报")
        )
        steps = (
            ("accepted", accepted, "材料已收到，予以受理"),
            (decision, decided, opinion),
            ("completed", completed, "办结"),
        )
        return [
            {
                "caseNo": case["caseNo"],
                "itemCode": case.get("itemCode"),
                "event": event,
                "eventTime": moment.strftime(TIME_FORMAT),
                "handlerDept": self.options.handler_dept,
                "desk": f"窗口{desk + 1:02d}",
                "opinion": text,
            }
            for event, moment, text in steps
        ]


class HandlingStream(PullStream):
    """Handling events derived from the portal's cases; a pull, since the gateway reads them."""

    name = "handling"

    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        options = handling_options(ctx.options)
        calendar = calendar_for(ctx.platform)
        desks = Desks(options.desks, (cursor or {}).get("desks"), calendar)
        rules = HandlingRules(options, calendar, desks)
        for cases, position, exchange in CasesStream().pages(ctx, cursor):
            records = [event for case in cases for event in rules.events(case)]
            yield Page(
                records=records,
                cursor={**position, "desks": desks.dump()} if position else None,
                source=f"{ctx.platform_name}:handling",
                exchange=exchange,
            )
