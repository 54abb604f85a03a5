"""Local handling: a small rule engine standing in for the bureau's social-insurance system.

A stand-in of the demo, not a platform: it is installed as its own adapter, ``bureau_handling``,
whose platform is the service network's connection (the cases are read from there), and the
demo's ``sn-handling`` job reads it. A real deployment takes these events from the bureau's
business system instead.

The bureau handles the portal's registrations at its service-hall desks; this stream reads the
cases the portal lists and derives, case by case, what the desks do and when. The rules:

* desks take submitted cases first come, first served, and work only in office hours on
  working days (the platform's calendar: holidays and make-up working days included);
* each case is reviewed and accepted (受理), then decided: rejected (不予) with the missing
  material named when the application lacks one, approved (准予) otherwise; then completed
  (办结). Each step takes a number of working minutes drawn from a digest of the case number,
  so a run is reproducible;
* a case that is no longer submitted (the bureau already reported on it) is left alone;
* every event carries the case's due time: its receipt plus the promised limit it came with, in
  working days. A due time counted through a year whose holiday notice the calendar lacks is
  provisional (``dueProvisional``); such cases are remembered in the cursor, and the first run
  after the year's days are configured sends their events again with the definite due time.

Nothing forces a deadline: cases that arrive while the desks are busy (Monday mornings, the
first day after a holiday) simply wait, and some of them finish late. The desks' state travels
in the cursor, so the next run continues the same queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import Field, model_validator

from adapters.service_network.model import SUBMITTED, TIME_FORMAT
from adapters.service_network.settings import calendar_for
from adapters.service_network.streams import CasesStream
from gateway.adapter import (
    MALFORMED,
    DeclaredAdapter,
    Page,
    PullStream,
    StreamContext,
    StreamOptions,
)
from gateway.errors import ConfigError
from gateway.workdays import Deadline, WorkCalendar, parse_days


class HandlingOptions(StreamOptions):
    """Job options of the local handling rule engine (``bureau_handling.handling``)."""

    page_size: int = Field(1000, ge=1)
    desks: int = Field(2, ge=1, le=100)
    review_minutes: tuple[int, int] = (10, 25)
    decision_minutes: tuple[int, int] = (10, 35)
    completion_minutes: tuple[int, int] = (5, 10)
    handler_dept: str = "州社会保险事业局"

    @model_validator(mode="after")
    def _ranges(self) -> HandlingOptions:
        for name in ("review_minutes", "decision_minutes", "completion_minutes"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ValueError(f"{name} must be [low, high] with 0 <= low <= high")
        return self


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


def _due_fields(deadline: Deadline | None) -> dict[str, str]:
    if deadline is None:
        return {"dueTime": "", "dueProvisional": ""}
    return {
        "dueTime": deadline.at.strftime(TIME_FORMAT),
        "dueProvisional": "1" if deadline.provisional else "0",
    }


class HandlingRules:
    """Derives the events of one case from the desks' queue and the rules above.

    ``provisional`` holds, per case whose due time is provisional, its receipt, its limit and
    the events sent, so :meth:`revised` can send them again once the year is known.
    """

    def __init__(
        self,
        options: HandlingOptions,
        calendar: WorkCalendar,
        desks: Desks,
        provisional: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.options = options
        self.calendar = calendar
        self.desks = desks
        self.provisional: dict[str, dict[str, Any]] = dict(provisional or {})

    def _deadline(self, received: datetime, limit: object) -> Deadline | None:
        try:
            days = parse_days(limit)
        except ConfigError:
            return None  # no limit, or not a number: the event carries no due time
        return self.calendar.deadline(received, days)

    def revised(self) -> list[dict[str, Any]]:
        """The events of provisional cases whose due time is now definite, with that due time."""
        records = []
        for case_no, entry in list(self.provisional.items()):
            received = datetime.strptime(entry["receiveTime"], TIME_FORMAT)
            deadline = self._deadline(received.replace(tzinfo=self.calendar.zone), entry["limit"])
            if deadline is None or deadline.provisional:
                continue
            records += [{**event, **_due_fields(deadline)} for event in entry["events"]]
            del self.provisional[case_no]
        return records

    def events(self, case: dict[str, Any]) -> list[dict[str, Any]]:
        if MALFORMED in case or case.get("caseStatus") != SUBMITTED or not case.get("caseNo"):
            return []
        try:
            received = datetime.strptime(str(case.get("receiveTime")), TIME_FORMAT)
        except ValueError:
            return []  # the cases job dead-letters the same record, with the reason
        digest = hashlib.sha256(str(case["caseNo"]).encode()).digest()
        deadline = self._deadline(
            received.replace(tzinfo=self.calendar.zone), case.get("promisedLimit")
        )
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
        events = [
            {
                "caseNo": case["caseNo"],
                "itemCode": case.get("itemCode"),
                "event": event,
                "eventTime": moment.strftime(TIME_FORMAT),
                "handlerDept": self.options.handler_dept,
                "desk": f"窗口{desk + 1:02d}",
                "opinion": text,
                **_due_fields(deadline),
            }
            for event, moment, text in steps
        ]
        if deadline is not None and deadline.provisional:
            self.provisional[str(case["caseNo"])] = {
                "receiveTime": str(case["receiveTime"]),
                "limit": str(case["promisedLimit"]),
                "events": events,
            }
        return events


class HandlingStream(PullStream):
    """Handling events derived from the portal's cases; a pull, since the gateway reads them."""

    name = "handling"
    options_model = HandlingOptions

    def read(self, ctx: StreamContext, cursor: dict[str, Any] | None) -> Iterator[Page]:
        options = ctx.options_as(HandlingOptions)
        calendar = calendar_for(ctx.platform, ctx.holidays)
        desks = Desks(options.desks, (cursor or {}).get("desks"), calendar)
        rules = HandlingRules(options, calendar, desks, (cursor or {}).get("provisional"))
        source = f"{ctx.platform_name}:handling"
        revised = rules.revised()
        if revised and cursor is not None:
            yield Page(revised, {**cursor, "provisional": dict(rules.provisional)}, source=source)
        for cases, position, exchange in CasesStream().pages(ctx, cursor):
            records = [event for case in cases for event in rules.events(case)]
            # Copies: a later page changes the live state before this page commits.
            state = {"desks": desks.dump(), "provisional": dict(rules.provisional)}
            yield Page(
                records=records,
                cursor={**position, **state} if position else None,
                source=source,
                exchange=exchange,
            )


class BureauHandlingAdapter(DeclaredAdapter):
    name = "bureau_handling"
    description = (
        "The demo's stand-in for the bureau's business system: the local handling rules' "
        "decisions on the service network's cases (pull)"
    )


adapter = BureauHandlingAdapter(pull=[HandlingStream()])
