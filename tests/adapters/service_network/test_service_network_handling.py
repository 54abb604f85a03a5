"""The local handling rules: desks in office hours, decisions from the materials, resumable."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from adapters.service_network.model import TIME_FORMAT
from adapters.service_network.settings import calendar_for
from gateway.adapter import parse_options
from gateway.clock import SHANGHAI
from gateway.config import PlatformConfig
from gateway.errors import ConfigError
from gateway.workdays import DEFAULT_CALENDAR
from simulators.demo.handling import Desks, HandlingOptions, HandlingRules
from simulators.service_network.casegen import CaseSettings, generate_cases


def case(no: str, received: str, **extra: Any) -> dict[str, Any]:
    return {
        "caseNo": no,
        "itemCode": "GG00101001",
        "receiveTime": received,
        "caseStatus": "0",
        "materialsComplete": "1",
        "missingMaterial": "",
        **extra,
    }


def rules(desks: int = 1, saved: list[str] | None = None) -> HandlingRules:
    options = HandlingOptions(desks=desks)
    return HandlingRules(options, DEFAULT_CALENDAR, Desks(desks, saved, DEFAULT_CALENDAR))


def moment(event: dict[str, Any]) -> datetime:
    return datetime.strptime(event["eventTime"], TIME_FORMAT).replace(tzinfo=SHANGHAI)


def test_a_case_gets_accepted_decided_and_completed_in_office_hours() -> None:
    """Filed on the National Day holiday, the case is handled from 09:00 on the make-up Saturday."""
    events = rules().events(case("52260020221003000001", "2022-10-03 20:15:00"))
    assert [e["event"] for e in events] == ["accepted", "approved", "completed"]
    times = [moment(e) for e in events]
    assert times == sorted(times)
    assert all(t.date() == date(2022, 10, 8) for t in times)
    assert all(9 <= t.hour < 12 or 13 <= t.hour < 17 for t in times)


def test_missing_material_means_rejected_with_the_material_named() -> None:
    """An application without its roster is refused (不予) with the reason, then completed."""
    missing = {"materialsComplete": "0", "missingMaterial": "参保职工花名册"}
    events = rules().events(case("52260020220301000001", "2022-03-01 10:00:00", **missing))
    assert [e["event"] for e in events] == ["accepted", "rejected", "completed"]
    assert "参保职工花名册" in events[1]["opinion"]


def test_cases_not_waiting_are_left_alone() -> None:
    """A case already reported on (not 待受理), or malformed, derives nothing."""
    handled = rules()
    done = case("52260020220301000001", "2022-03-01 10:00:00", caseStatus="4")
    assert handled.events(done) == []
    assert handled.events({"__error__": "not an object"}) == []
    assert handled.events(case("52260020220301000002", "2022-03-01T10:00")) == []


def test_one_desk_serves_first_come_first_served() -> None:
    """Two cases at the same minute: the second starts when the first is completed."""
    desk = rules()
    first = desk.events(case("52260020220301000001", "2022-03-01 10:00:00"))
    second = desk.events(case("52260020220301000002", "2022-03-01 10:00:00"))
    assert moment(second[0]) > moment(first[-1])
    two = rules(desks=2)
    a = two.events(case("52260020220301000001", "2022-03-01 10:00:00"))
    b = two.events(case("52260020220301000002", "2022-03-01 10:00:00"))
    assert moment(b[0]) < moment(a[-1])
    assert {a[0]["desk"], b[0]["desk"]} == {"窗口01", "窗口02"}


def test_resuming_from_the_saved_desks_gives_the_same_events() -> None:
    """Handling in two runs (desks saved in between, as the cursor does) equals one run."""
    settings = CaseSettings(7, 60, date(2022, 1, 1), date(2022, 1, 31), "GG00101001", "登记")
    cases = [{**c, "caseStatus": "0"} for c in generate_cases(settings, DEFAULT_CALENDAR)]
    whole = rules(desks=2)
    expected = [e for c in cases for e in whole.events(c)]
    first = rules(desks=2)
    events = [e for c in cases[:25] for e in first.events(c)]
    second = rules(desks=2, saved=first.desks.dump())
    events += [e for c in cases[25:] for e in second.events(c)]
    assert events == expected
    assert len(events) == 3 * len(cases)


def test_settings_mistakes_are_configuration_errors() -> None:
    """A bad desk count, minute range, calendar key or time zone fails with the key named."""
    with pytest.raises(ConfigError, match=r"^job 'handling': invalid option 'desks': "):
        parse_options(HandlingOptions, {"desks": 0}, where="job 'handling'")
    with pytest.raises(ConfigError, match="review_minutes must be"):
        parse_options(HandlingOptions, {"review_minutes": [30, 10]}, where="job 'handling'")
    platform = PlatformConfig(adapter="service_network", options={"calendar": {"hours": []}})
    with pytest.raises(ConfigError, match=r"calendar\.hours"):
        calendar_for(platform)
    platform = PlatformConfig(adapter="service_network", options={"calendar": {"timezone": "Mars"}})
    with pytest.raises(ConfigError, match="time zone"):
        calendar_for(platform)


def test_platform_calendar_options_reach_the_deadline() -> None:
    """Office hours and extra days in the platform's options are the ones deadlines count in."""
    options = {"calendar": {"working_hours": ["08:00-12:00"], "extra_holidays": ["2022-03-01"]}}
    calendar = calendar_for(PlatformConfig(adapter="service_network", options=options))
    received = datetime(2022, 2, 28, 11, 0, tzinfo=SHANGHAI)
    assert calendar.due(received, "0.5") == datetime(2022, 3, 2, 9, 0, tzinfo=SHANGHAI)
