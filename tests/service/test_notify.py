"""Notifications to real local receivers: WeCom and DingTalk robot webhooks (DingTalk's
signature checked) and an SMTP server. One message per failure, the repeat interval honoured,
one resolved message, no ID number or mobile number in any message."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from gateway.config import GatewayConfig, parse_config
from gateway.notify import Notifier
from gateway.pipeline import JobRunner
from tests.helpers.notify_receivers import Mailbox, Robots, robots, smtp_server
from tests.helpers.resilience_kit import PERSONS_JOB, make_world

SECRET = "SEC-dingtalk-test-secret"
ID_NUMBER = "520102199001011234"
MOBILE = "13812345678"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _notify(tmp_path: Path, hooks: Robots, box: Mailbox) -> dict[str, Any]:
    (tmp_path / "wecom.txt").write_text(f"{hooks.url}/cgi-bin/webhook/send?key=k1", "utf-8")
    (tmp_path / "ding.txt").write_text(f"{hooks.url}/robot/send?access_token=t1", "utf-8")
    (tmp_path / "ding-secret.txt").write_text(SECRET, "utf-8")
    return {
        "repeat_minutes": 30,
        "state_file": str(tmp_path / "notify-state.json"),
        "channels": [
            {"kind": "wecom", "webhook": "file:wecom.txt"},
            {"kind": "dingtalk", "webhook": "file:ding.txt", "secret": "file:ding-secret.txt"},
            {"kind": "email", "host": "127.0.0.1", "port": box.port,
             "sender": "gateway@bureau.test", "to": ["ops@bureau.test"]},
        ],
    }  # fmt: skip


def _config(tmp_path: Path, notify: dict[str, Any]) -> GatewayConfig:
    return parse_config({"notify": notify, "logging": {"file": None}}, "test", tmp_path)


def _texts(hooks: Robots, box: Mailbox) -> list[str]:
    return [text for _robot, text in hooks.received] + [f"{s}\n{b}" for s, b in box.messages]


def _no_personal_data(hooks: Robots, box: Mailbox) -> None:
    for text in _texts(hooks, box):
        assert ID_NUMBER not in text
        assert MOBILE not in text


def test_one_message_per_failure_repeat_interval_and_resolved(tmp_path: Path) -> None:
    """A failure: one message per channel; again within 30 min: none; after: one more; a
    success: one resolved message per channel; a second success: nothing."""
    clock = Clock()
    with robots(SECRET) as hooks, smtp_server() as box:
        notifier = Notifier(_config(tmp_path, _notify(tmp_path, hooks, box)), clock=clock)
        reason = f"record {ID_NUMBER} (phone {MOBILE}) refused by the platform"
        notifier.run_ended("labor-persons", "failed", reason)
        assert sorted(r for r, _ in hooks.received) == ["dingtalk", "wecom"]
        assert len(box.messages) == 1
        subject, body = box.messages[0]
        assert subject == "[gateway] labor-persons failed"
        assert "reason:" in body
        assert "to do:" in body
        assert "520***********1234" in body  # the masking policy: first 3 and last 4
        clock.now += 29 * 60
        notifier.run_ended("labor-persons", "failed", reason)
        assert len(hooks.received) == 2
        assert len(box.messages) == 1
        clock.now += 2 * 60
        notifier.run_ended("labor-persons", "partial", "2 input(s) could not be read")
        assert len(hooks.received) == 4
        assert len(box.messages) == 2
        notifier.run_ended("labor-persons", "succeeded", None)
        notifier.run_ended("labor-persons", "succeeded", None)
        assert len(hooks.received) == 6
        assert box.messages[-1][0] == "[gateway] resolved: labor-persons succeeded again"
        assert hooks.bad_signatures == 0
        _no_personal_data(hooks, box)


def test_breaker_and_calendar_conditions(tmp_path: Path) -> None:
    """A breaker that opens and a year without a notice: one message each; closing resolves."""
    clock = Clock()
    with robots(SECRET) as hooks, smtp_server() as box:
        notifier = Notifier(_config(tmp_path, _notify(tmp_path, hooks, box)), clock=clock)
        notifier.breaker("labor_force", "open", 5, "connection refused")
        notifier.breaker("labor_force", "open", 6, "connection refused")
        notifier.calendar(["calendar: 2027 has no holiday notice in any source"], date.today())
        notifier.breaker("labor_force", "closed", 0, None)
        subjects = [s for s, _ in box.messages]
        assert subjects == [
            "[gateway] circuit breaker open for labor_force",
            "[gateway] a calendar year has no holiday notice",
            "[gateway] resolved: circuit breaker closed for labor_force",
        ]
        assert "gateway breakers reset labor_force" in box.messages[0][1]
        assert len(hooks.received) == 6


def test_a_failed_run_notifies_with_its_reason(tmp_path: Path) -> None:
    """A real run against a refused URL sends its failure (URL and cause) once per channel,
    beside the calendar's own condition (December 2026: 2027 has no notice yet)."""
    world = make_world(
        tmp_path / "w", size=10, seed=2,
        platform={"base_url": "http://127.0.0.1:9", "retry": {"max_attempts": 2,
                  "max_seconds": 2, "initial_backoff": 0.05}},
    )  # fmt: skip
    with robots(SECRET) as hooks, smtp_server() as box:
        data = yaml.safe_load(world.config_path.read_text(encoding="utf-8"))
        data["notify"] = _notify(tmp_path, hooks, box)
        for channel in data["notify"]["channels"]:
            for name in ("webhook", "secret"):
                if name in channel:
                    channel[name] = "file:" + str(tmp_path / channel[name].removeprefix("file:"))
        world.config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        store = world.store()
        summary = JobRunner(world.config, store).run(PERSONS_JOB)
        store.close()
        assert summary.status == "failed"
        (subject, body) = box.messages[0]
        assert subject == f"[gateway] {PERSONS_JOB} failed"
        assert "connection refused" in body
        assert "http://127.0.0.1:9/" in body
        failures = [r for r, text in hooks.received if f"{PERSONS_JOB} failed" in text]
        assert sorted(failures) == ["dingtalk", "wecom"]
        assert len([s for s, _ in box.messages if "calendar" in s]) <= 1


def test_reconciliation_differences_and_their_resolution(tmp_path: Path) -> None:
    """Differences found: one message naming the counts and what to do; a failed
    reconciliation: nothing (it says nothing about the data); consistent again: resolved."""
    clock = Clock()
    with robots(SECRET) as hooks, smtp_server() as box:
        notifier = Notifier(_config(tmp_path, _notify(tmp_path, hooks, box)), clock=clock)
        counts = {"missing_at_gateway": 3, "missing_at_platform": 0, "different": 2}
        notifier.reconciled("labor-persons", counts, None)
        notifier.reconciled("labor-persons", dict.fromkeys(counts, 0), "platform down")
        notifier.reconciled("labor-persons", dict.fromkeys(counts, 0), None)
        assert [s for s, _ in box.messages] == [
            "[gateway] labor-persons: the store and the platform differ",
            "[gateway] resolved: labor-persons matches its platform again",
        ]
        body = box.messages[0][1]
        assert "3 missing at gateway, 2 different" in body
        assert "gateway reconcile labor-persons" in body
        assert len(hooks.received) == 4
        _no_personal_data(hooks, box)
