"""The inspection figures' 20-working-day rule in a year without a holiday notice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import orjson
import pytest

from adapters.inspection.figures import TASK_ENTITY, Period, compute
from gateway.calendar_years import CalendarRefused
from gateway.config import parse_config
from gateway.pipeline.context import content_hash
from gateway.store import RecordRow, Store
from gateway.store.records import upsert_records
from tests.helpers.holiday_notices import YEAR_2027
from tests.helpers.mapping import make_uscc


def task(key: str, deadline: str) -> RecordRow:
    payload = orjson.dumps(
        {"task_id": key, "drawn_at": "2026-11-20T09:00:00+08:00", "deadline": deadline,
         "subjects": [make_uscc()], "inspectors": ["52000000001"]},
        option=orjson.OPT_SORT_KEYS,
    )  # fmt: skip
    return RecordRow(key, payload.decode(), content_hash(payload))


@pytest.fixture
def tasks(sqlite_store: Store) -> Store:
    """Two drawn tasks without results: one due in 2026, one whose 20 days run into 2027."""
    with sqlite_store.transaction() as conn:
        upsert_records(conn, TASK_ENTITY, [task("T1", "2026-11-30"), task("T2", "2026-12-30")], "t")
    return sqlite_store


def test_a_due_day_in_an_unknown_year_is_counted_provisional(tasks: Store) -> None:
    """Without 2027's notice, the task whose 20 working days run into 2027 is provisional."""
    config = parse_config({}, "gateway.yaml", Path("."))
    figures = compute(tasks, config, Period(), as_of=date(2027, 3, 1)).as_dict()
    assert (figures["awaiting_results"], figures["awaiting_past_due"]) == (2, 2)
    assert figures["provisional_deadlines"] == 1


def test_configuring_the_year_makes_it_definite(tasks: Store) -> None:
    """With calendar.years.2027 nothing is provisional."""
    config = parse_config({"calendar": {"years": {2027: YEAR_2027}}}, "gateway.yaml", Path("."))
    assert compute(tasks, config, Period(), as_of=date(2027, 3, 1)).provisional_deadlines == 0


def test_refuse_policy_stops_the_report(tasks: Store) -> None:
    """``unknown_years: refuse``: the figures are not computed on a year without a notice."""
    config = parse_config({"calendar": {"unknown_years": "refuse"}}, "gateway.yaml", Path("."))
    with pytest.raises(CalendarRefused, match="2027"):
        compute(tasks, config, Period(), as_of=date(2027, 3, 1))
