"""What the simulated service network remembers: its clock, the catalogue, cases and events.

Every change goes through :class:`PlatformState` under one lock, so FastAPI's thread pool may
serve requests concurrently. Answers to pushes are kept by idempotency key: a retried push
gets the first answer again and changes nothing.
"""

from __future__ import annotations

import bisect
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.service_network.model import (
    EVENT_LABELS,
    EVENT_REQUIRES,
    FULLY_ONLINE,
    ITEM_TYPES,
    ONLINE_DEPTHS,
    STATUS_LABELS,
    SUBMITTED,
    TIME_FORMAT,
)
from gateway.clock import SHANGHAI

Answer = dict[str, Any]
Decide = Callable[[str, dict[str, Any]], Answer]
REQUIRED_ITEM_FIELDS = ("itemName", "implementer", "legalBasis")


def update_stamp(moment: datetime) -> str:
    """``2022-12-01 09:00:00.123``: update times carry milliseconds."""
    return moment.strftime(TIME_FORMAT) + f".{moment.microsecond // 1000:03d}"


class SimClock:
    """The platform's "now": starts at ``start`` and runs at real speed unless stopped."""

    def __init__(self, start: datetime, *, running: bool = True) -> None:
        self._monotonic: Callable[[], float] = time.monotonic
        self.set(start, running=running)
        self._last_stamp = ""

    def set(self, moment: datetime, *, running: bool) -> None:
        self._base = moment.astimezone(SHANGHAI).replace(tzinfo=None)
        self._since = self._monotonic()
        self.running = running

    def now(self) -> datetime:
        """Naive Asia/Shanghai wall time, as the platform writes its times."""
        if not self.running:
            return self._base
        return self._base + timedelta(seconds=self._monotonic() - self._since)

    def stamp(self) -> str:
        """A strictly increasing update time, so an incremental reader never misses a change."""
        stamp = update_stamp(self.now())
        if stamp <= self._last_stamp:
            last = datetime.strptime(self._last_stamp, TIME_FORMAT + ".%f")
            stamp = update_stamp(last + timedelta(milliseconds=1))
        self._last_stamp = stamp
        return stamp


def _accepted(key: str, receipt: str) -> Answer:
    return {"idempotencyKey": key, "status": "accepted", "receiptNo": receipt}


def _rejected(key: str, code: str, reason: str) -> Answer:
    return {"idempotencyKey": key, "status": "rejected", "code": code, "reason": reason}


def _deadline(item: dict[str, Any]) -> dict[str, Any]:
    """The due time an event carries, if any, and whether the bureau called it provisional."""
    if not item.get("dueTime"):
        return {}
    return {"dueTime": str(item["dueTime"]), "dueProvisional": item.get("dueProvisional") is True}


def _limit(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 else None


def item_problem(
    item: dict[str, Any], pattern: re.Pattern[str], code_has_type: bool = True
) -> tuple[str, str] | None:
    """Why the platform refuses a catalogue entry (code, reason), or ``None``.

    ``code_has_type``: the code starts with its item type's letters (DB52/T 1264-2018).
    """
    code, item_type = str(item.get("itemCode") or ""), str(item.get("itemType") or "")
    if pattern.fullmatch(code) is None:
        return "INVALID_ITEM_CODE", f"事项编码不符合编码规则 {pattern.pattern}"
    if item_type not in ITEM_TYPES:
        return "INVALID_ITEM_TYPE", f"事项类型 {item_type!r} 不在 {', '.join(ITEM_TYPES)} 之中"
    if code_has_type and not code.startswith(item_type):
        return "ITEM_TYPE_MISMATCH", f"事项编码前缀 {code[:2]} 与事项类型 {item_type} 不一致"
    for name in REQUIRED_ITEM_FIELDS:
        if not str(item.get(name) or "").strip():
            return "MISSING_FIELD", f"缺少必填项 {name}"
    statutory, promised = _limit(item.get("statutoryLimit")), _limit(item.get("promisedLimit"))
    if statutory is None:
        return "INVALID_TIME_LIMIT", "法定办结时限须为正数（工作日）"
    if promised is None or promised > statutory:
        return "INVALID_TIME_LIMIT", "承诺办结时限须为正数且不超过法定办结时限"
    if str(item.get("onlineDepth")) not in ONLINE_DEPTHS:
        return "INVALID_ONLINE_DEPTH", f"网办深度须为 {', '.join(ONLINE_DEPTHS)} 之一"
    if str(item.get("crossProvince")) not in ("0", "1"):
        return "INVALID_FLAG", "跨省通办标志须为 0 或 1"
    return None


class PlatformState:
    """The catalogue, the cases and their events, and every push answer by idempotency key."""

    def __init__(
        self,
        cases: list[dict[str, Any]],
        clock: SimClock,
        item_code_pattern: str,
        code_has_type: bool = True,
    ) -> None:
        self._lock = threading.Lock()
        self.clock = clock
        self.pattern = re.compile(item_code_pattern)
        self.code_has_type = code_has_type
        self.catalogue: dict[str, dict[str, Any]] = {}
        self._answers: dict[str, Answer] = {}
        self.counts: Counter[str] = Counter()
        self._cases = {c["caseNo"]: {**c, "caseStatus": SUBMITTED} for c in cases}
        self._events: dict[str, list[dict[str, Any]]] = {no: [] for no in self._cases}
        self._event_count = 0
        self._publish_count = 0
        for case in self._cases.values():
            case["updateTime"] = case["receiveTime"] + ".000"
        self._receive_times = sorted(c["receiveTime"] for c in cases)

    def _answer(self, kind: str, item: dict[str, Any], decide: Decide) -> Answer:
        key = str(item["idempotencyKey"])
        earlier = self._answers.get(f"{kind}:{key}")
        if earlier is not None:
            self.counts[f"{kind}_duplicate"] += 1
            return earlier
        answer = decide(key, item)
        self._answers[f"{kind}:{key}"] = answer
        self.counts[f"{kind}_{answer['status']}"] += 1
        return answer

    def receipts(self, kind: str, keys: list[str]) -> list[Answer]:
        with self._lock:
            return [self._answers[f"{kind}:{k}"] for k in keys if f"{kind}:{k}" in self._answers]

    # catalogue -------------------------------------------------------------------------------

    def submit_items(self, items: list[dict[str, Any]]) -> list[Answer]:
        with self._lock:
            return [self._answer("items", item, self._publish) for item in items]

    def _publish(self, key: str, item: dict[str, Any]) -> Answer:
        problem = item_problem(item, self.pattern, self.code_has_type)
        if problem is not None:
            return _rejected(key, *problem)
        entry = {k: v for k, v in item.items() if k != "idempotencyKey"}
        self.catalogue[str(item["itemCode"])] = entry
        self._publish_count += 1
        return _accepted(key, f"SX{self._publish_count:010d}")

    def catalogue_page(self, page_no: int, page_size: int) -> tuple[list[dict[str, Any]], int]:
        with self._lock:
            codes = sorted(self.catalogue)
            chosen = codes[(page_no - 1) * page_size : page_no * page_size]
            return [dict(self.catalogue[c]) for c in chosen], len(codes)

    def catalogue_figures(self) -> dict[str, Any]:
        with self._lock:
            entries = list(self.catalogue.values())
        return {
            "items": len(entries),
            "items_by_type": dict(Counter(str(e["itemType"]) for e in entries)),
            "items_fully_online": sum(str(e["onlineDepth"]) == FULLY_ONLINE for e in entries),
            "items_cross_province": sum(str(e["crossProvince"]) == "1" for e in entries),
        }

    # cases -----------------------------------------------------------------------------------

    def visible_count(self) -> int:
        now = self.clock.now().strftime(TIME_FORMAT)
        return bisect.bisect_right(self._receive_times, now)

    def cases_after(
        self, updated_since: str | None, after_key: str, limit: int, overlap: int = 0
    ) -> tuple[list[dict[str, Any]], bool]:
        """Cases received by now, ordered by (update time, case number), after the position;
        ``overlap`` repeats that many records from before it (a platform's duplicate page)."""
        now = self.clock.now().strftime(TIME_FORMAT)
        with self._lock:
            ordered = sorted(
                (c for c in self._cases.values() if c["receiveTime"] <= now),
                key=lambda c: (c["updateTime"], c["caseNo"]),
            )
            position = (
                bisect.bisect_right(
                    [(c["updateTime"], c["caseNo"]) for c in ordered], (updated_since, after_key)
                )
                if updated_since is not None
                else 0
            )
            start = max(0, position - overlap)
            page = [dict(c) for c in ordered[start : position + limit]]
            return page, position + limit < len(ordered)

    def visible_cases(self) -> list[dict[str, Any]]:
        """The cases received by now (what a reconciliation counts), as copies."""
        now = self.clock.now().strftime(TIME_FORMAT)
        with self._lock:
            return [dict(c) for c in self._cases.values() if c["receiveTime"] <= now]

    def mutate_cases(self, change: int, delete: int, add: int, seed: int) -> dict[str, list[str]]:
        """Change, delete and add visible cases behind the gateway's back; answers their case
        numbers. Changed and added cases get an update time after every other; deleted ones
        vanish."""
        rng = random.Random(seed)
        visible = sorted(c["caseNo"] for c in self.visible_cases())
        with self._lock:
            chosen = rng.sample(visible, min(len(visible), change + delete))
            changed, deleted = sorted(chosen[:change]), sorted(chosen[change:])
            latest = max(c["updateTime"] for c in self._cases.values())
            stamp = update_stamp(
                datetime.strptime(latest, TIME_FORMAT + ".%f") + timedelta(milliseconds=1)
            )
            for case_no in changed:
                case = self._cases[case_no]
                case["entName"] = str(case.get("entName") or "") + "（变更）"
                case["updateTime"] = stamp
            for case_no in deleted:
                del self._cases[case_no]
            pool = [no for no in visible if no in self._cases]
            added = []
            for n in range(add):
                template = self._cases[rng.choice(pool)]
                case_no = f"{template['caseNo'][:14]}{900_000 + n:06d}"
                self._cases[case_no] = {**template, "caseNo": case_no, "updateTime": stamp}
                self._events[case_no] = []
                added.append(case_no)
            return {"changed": changed, "deleted": deleted, "added": added}

    # events ----------------------------------------------------------------------------------

    def submit_events(self, items: list[dict[str, Any]]) -> list[Answer]:
        with self._lock:
            return [self._answer("events", item, self._record_event) for item in items]

    def _record_event(self, key: str, item: dict[str, Any]) -> Answer:
        case_no, code = str(item.get("caseNo") or ""), str(item.get("eventType") or "")
        when = str(item.get("eventTime") or "")
        case = self._cases.get(case_no)
        if case is None or case["receiveTime"] > self.clock.now().strftime(TIME_FORMAT):
            return _rejected(key, "CASE_NOT_FOUND", "办件不存在")
        if code not in EVENT_LABELS:
            return _rejected(key, "INVALID_EVENT", f"事件类型须为 {', '.join(EVENT_LABELS)} 之一")
        try:
            moment = datetime.strptime(when, TIME_FORMAT)
        except ValueError:
            return _rejected(key, "INVALID_TIME", "事件时间格式须为 yyyy-MM-dd HH:mm:ss")
        opinion = str(item.get("opinion") or "").strip()
        history = self._events[case_no]
        due = _deadline(item)
        same = next((e for e in history if e["eventType"] == code), None)
        if same is not None:
            if same["eventTime"] == when and same["opinion"] == opinion:
                same.update(due)  # the same event sent again, its due time perhaps corrected
                return _accepted(key, same["receiptNo"])
            label = EVENT_LABELS[code]
            return _rejected(key, "EVENT_CONFLICT", f"该办件已有“{label}”事件，内容不同")
        status = case["caseStatus"]
        if status not in EVENT_REQUIRES[code]:
            return _rejected(
                key,
                "EVENT_OUT_OF_ORDER",
                f"办件状态为“{STATUS_LABELS[status]}”，不能“{EVENT_LABELS[code]}”"
                f"（须在“{'或'.join(STATUS_LABELS[s] for s in EVENT_REQUIRES[code])}”之后）",
            )
        earliest = history[-1]["eventTime"] if history else case["receiveTime"]
        if when < earliest or moment > self.clock.now():
            return _rejected(key, "INVALID_TIME", "事件时间早于收件或上一事件，或晚于平台当前时间")
        if code == "3" and not opinion:
            return _rejected(key, "MISSING_OPINION", "不予办理须说明理由")
        self._event_count += 1
        receipt = f"BJ{self._event_count:010d}"
        history.append(
            {"eventType": code, "eventTime": when, "opinion": opinion, "receiptNo": receipt, **due}
        )
        case["caseStatus"] = code
        case["updateTime"] = self.clock.stamp()
        return _accepted(key, receipt)

    def case_events(self, case_no: str) -> list[dict[str, Any]] | None:
        """The events recorded on one case, oldest first (``None``: no such case)."""
        with self._lock:
            history = self._events.get(case_no)
            return None if history is None else [dict(e) for e in history]

    def case_figures(self) -> dict[str, Any]:
        with self._lock:
            statuses = Counter(c["caseStatus"] for c in self._cases.values())
        return {
            "cases": len(self._cases),
            "cases_visible": self.visible_count(),
            "cases_by_status": {STATUS_LABELS[s]: n for s, n in sorted(statuses.items())},
        }

    def figures(self) -> dict[str, Any]:
        """What ``GET /_sim/stats`` adds: the catalogue, the cases, the answers by outcome."""
        with self._lock:
            counts = dict(self.counts)
        return {**self.catalogue_figures(), **self.case_figures(), **counts}
