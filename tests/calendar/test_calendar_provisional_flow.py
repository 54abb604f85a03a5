"""A 2027 deadline end to end: case pulled → events pushed → report → metric, all flagged
provisional while 2027 has no holiday notice; then definite once the year is configured."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml
from sqlalchemy import select

from adapters.service_network.report import build_report
from gateway.clock import SHANGHAI
from gateway.config import GatewayConfig, load_config
from gateway.pipeline import JobRunner
from gateway.service.main import deadline_entities
from gateway.service.metrics import ServiceMetrics
from gateway.store import schema
from simulators.demo.config import job_order
from tests.helpers.holiday_notices import YEAR_2027
from tests.helpers.service_network_env import ServiceNetworkEnv, service_network_env

CASES = 40
AS_OF = datetime(2027, 2, 20, 9, 0, tzinfo=SHANGHAI)
OFFICE = ((time(9), time(12)), (time(13), time(17)))
# Weekdays off in February 2027: by the statutory days alone (除夕 02-05, 春节 02-06..02-08),
# and by the invented notice in tests/calendar/test_calendar_years.py (02-05..02-12,
# Sunday 02-14 worked).
STATUTORY_OFF = {date(2027, 2, 5), date(2027, 2, 8)}
NOTICE_OFF = {date(2027, 2, d) for d in (5, 8, 9, 10, 11, 12)}
NOTICE_WORKED = {date(2027, 2, 14)}


def half_day_after(received: datetime, off: set[date], worked: set[date]) -> datetime:
    """3.5 office hours after receipt, on a February with these days off and worked."""
    remaining, moment = timedelta(hours=3.5), received
    while True:
        day = moment.date()
        if day in worked or (day.weekday() < 5 and day not in off):
            for opens, closes in OFFICE:
                start = max(moment, datetime.combine(day, opens, SHANGHAI))
                end = datetime.combine(day, closes, SHANGHAI)
                if start < end:
                    if remaining <= end - start:
                        return start + remaining
                    remaining -= end - start
        moment = datetime.combine(day + timedelta(days=1), time(0), SHANGHAI)


def payloads(env: ServiceNetworkEnv, entity: str) -> list[dict[str, Any]]:
    table = schema.records
    with env.store.connect() as conn:
        rows = conn.execute(select(table.c.payload).where(table.c.entity == entity))
        return [orjson.loads(payload) for (payload,) in rows]


def platform_events(env: ServiceNetworkEnv, case_no: str) -> list[dict[str, Any]]:
    with env.client() as client:
        events: list[dict[str, Any]] = client.get(f"/_sim/cases/{case_no}/events").json()["events"]
    return events


def provisional_metric(env: ServiceNetworkEnv, config: GatewayConfig) -> float | None:
    metrics = ServiceMetrics(
        env.store, config.jobs, config.platforms, "test", deadline_entities(config)
    )
    return metrics.registry.get_sample_value(
        "gateway_calendar_provisional_deadlines", {"entity": "case_event"}
    )


def check_deadlines(env: ServiceNetworkEnv, config: GatewayConfig, provisional: bool) -> None:
    """Store, platform and report agree on every case's due time and its flag."""
    off, worked = (STATUTORY_OFF, set()) if provisional else (NOTICE_OFF, NOTICE_WORKED)
    cases = {c["case_no"]: c for c in payloads(env, "service_case")}
    assert len(cases) == CASES
    events = payloads(env, "case_event")
    assert len(events) == 3 * CASES
    for event in events:
        received = datetime.fromisoformat(cases[event["case_no"]]["received_at"])
        expected = half_day_after(received, off, worked)
        assert datetime.fromisoformat(event["due_at"]) == expected, event["case_no"]
        assert event["due_provisional"] is provisional
    due = {e["case_no"]: datetime.fromisoformat(e["due_at"]) for e in events}
    for case_no in cases:
        sent = platform_events(env, case_no)
        assert len(sent) == 3
        shown = f"{due[case_no]:%Y-%m-%d %H:%M:%S}"
        assert {(e["dueTime"], e["dueProvisional"]) for e in sent} == {(shown, provisional)}
    report = build_report(config, env.store, as_of=AS_OF)
    assert report.totals.received == CASES
    assert report.totals.provisional == (CASES if provisional else 0)
    assert all(o.due_provisional is provisional for o in report.outcomes)
    assert report.as_dict()["totals"]["provisional"] == report.totals.provisional


def test_a_2027_deadline_is_provisional_end_to_end_then_definite(tmp_path: Path) -> None:
    """Flagged in the store, the pushed events, the report and the metric; definite after
    calendar.years.2027 is added and the handling job runs again."""
    simulator = {
        "cases": CASES,
        "start": date(2027, 2, 1),
        "end": date(2027, 2, 4),
        "clock": AS_OF,
    }
    with service_network_env(tmp_path, **simulator) as env:
        runs = {job: env.run(job) for job in job_order(env.config)}
        assert {j: (s.status, s.rejected) for j, s in runs.items()} == dict.fromkeys(
            runs, ("succeeded", 0)
        )
        late_feb_4 = [
            c
            for c in payloads(env, "service_case")
            if c["received_at"].startswith("2027-02-04T1") and c["received_at"][11:16] > "13:30"
        ]
        assert late_feb_4, "the seed gives no case late on 02-04; pick another window"
        check_deadlines(env, env.config, provisional=True)
        assert provisional_metric(env, env.config) == 3 * CASES

        path = env.directory / "gateway.yaml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["calendar"] = {"years": {2027: YEAR_2027}}
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        config = load_config(path)
        runner = JobRunner(config, env.store)
        handling = runner.run("sn-handling")
        assert (handling.status, handling.updated, handling.inserted) == ("succeeded", 3 * CASES, 0)
        push = runner.run("sn-case-events-push")
        assert (push.status, push.read, push.rejected) == ("succeeded", 3 * CASES, 0)
        env.config = config
        check_deadlines(env, config, provisional=False)
        assert provisional_metric(env, config) == 0
        assert runner.run("sn-handling").read == 0
