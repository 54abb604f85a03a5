"""Notifications: a run that fails or ends partial, a breaker that opens, a calendar year
without a holiday notice and a reconciliation that finds differences each send one message
to every configured channel (``notify:``).

A condition repeats at most once per ``repeat_minutes`` while it lasts, and its end sends one
"resolved" message. Messages name the job or platform, the outcome, the reason and what to
do; every text goes through :func:`gateway.masking.scrub_text`, so no ID number or mobile
number reaches a chat group or a mailbox. A channel that fails is logged, never fails a run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date

from gateway.config import GatewayConfig
from gateway.logging import get_logger
from gateway.masking import scrub_text
from gateway.notify.channels import Message, NotifyError, dingtalk_sign, send
from gateway.notify.state import locked_state

__all__ = ["Message", "Notifier", "NotifyError", "dingtalk_sign"]

log = get_logger("gateway.notify")


class Notifier:
    """Raises and clears conditions; sends what the repeat interval allows."""

    def __init__(self, config: GatewayConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.settings = config.notify
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return bool(self.settings.channels)

    def raise_(self, key: str, title: str, lines: list[str]) -> None:
        """Condition ``key`` holds: send unless it was sent within the repeat interval."""
        if not self.enabled:
            return
        now = self._clock()
        with locked_state(self.config.path(self.settings.state_file)) as conditions:
            entry = conditions.get(key)
            if entry and now - float(entry["sent"]) < self.settings.repeat_minutes * 60:
                return
            self._send(Message(f"[gateway] {title}", "\n".join(lines)))
            conditions[key] = {"since": entry["since"] if entry else now, "sent": now}

    def clear(self, key: str, title: str, lines: list[str]) -> None:
        """Condition ``key`` no longer holds: one resolved message if it was open."""
        if not self.enabled:
            return
        with locked_state(self.config.path(self.settings.state_file)) as conditions:
            if conditions.pop(key, None) is None:
                return
            self._send(Message(f"[gateway] resolved: {title}", "\n".join(lines)))

    def _send(self, message: Message) -> None:
        clean = Message(scrub_text(message.title), scrub_text(message.body))
        for channel in self.settings.channels:
            try:
                send(channel, self.config.base_dir, clean, self.settings.timeout_seconds)
            except NotifyError as exc:
                log.warning("notification not sent", channel=channel.kind, error=str(exc))

    # -- what the gateway reports ------------------------------------------------------------

    def run_ended(self, job: str, status: str, error: str | None) -> None:
        key = f"run:{job}"
        if status in ("failed", "partial"):
            todo = (
                f"see gateway runs {job} and gateway dlq list --job {job}"
                if status == "partial"
                else f"fix the cause, then gateway sync {job} (gateway runs {job} for history)"
            )
            self.raise_(
                key,
                f"{job} {status}",
                [f"job: {job}", f"outcome: {status}", f"reason: {error or '-'}", f"to do: {todo}"],
            )
        elif status == "succeeded":
            self.clear(key, f"{job} succeeded again", [f"job: {job}", "outcome: succeeded"])

    def breaker(self, platform: str, state: str, failures: int, reason: str | None) -> None:
        key = f"breaker:{platform}"
        if state == "open":
            self.raise_(
                key,
                f"circuit breaker open for {platform}",
                [
                    f"platform: {platform}",
                    f"outcome: calls refused after {failures} failures in a row",
                    f"reason: {reason or '-'}",
                    f"to do: check the platform, then gateway breakers reset {platform}",
                ],
            )
        elif state == "closed":
            self.clear(key, f"circuit breaker closed for {platform}", [f"platform: {platform}"])

    def reconciled(self, job: str, counts: Mapping[str, int], error: str | None) -> None:
        """A reconciliation's differences (counts by kind); a consistent one resolves them."""
        key = f"reconcile:{job}"
        found = {kind: n for kind, n in counts.items() if n}
        if error is None and not found:
            self.clear(key, f"{job} matches its platform again", [f"job: {job}"])
            return
        if error is not None:
            return  # a reconciliation that could not finish says nothing about the data
        self.raise_(
            key,
            f"{job}: the store and the platform differ",
            [
                f"job: {job}",
                "outcome: "
                + ", ".join(f"{n:,} {kind.replace('_', ' ')}" for kind, n in found.items()),
                f"to do: gateway reconcile {job} --json lists the keys (masked); a sync, "
                "--mark-deleted or --resend repairs them (docs/reconcile.md)",
            ],
        )

    def calendar(self, warnings: list[str], today: date) -> None:
        key = "calendar"
        if warnings:
            self.raise_(
                key,
                "a calendar year has no holiday notice",
                [*warnings, "to do: add calendar.years in gateway.yaml (gateway calendar show)"],
            )
        else:
            self.clear(key, "every calendar year has its notice", [f"checked {today.isoformat()}"])
