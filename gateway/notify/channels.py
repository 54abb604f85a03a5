"""Sending one message to one channel: a WeCom group robot, a DingTalk robot, or e-mail.

The robots' webhook URLs carry their keys, so they are secrets: a failure names the channel's
kind, never its URL. DingTalk's signed robots (加签) take ``timestamp`` and ``sign`` in the
query: the base64 HMAC-SHA256, under the robot's secret, of ``timestamp + "\\n" + secret``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote_plus

import httpx

from gateway.config import DingTalkChannel, EmailChannel, WeComChannel
from gateway.errors import GatewayError

Channel = WeComChannel | DingTalkChannel | EmailChannel


class NotifyError(GatewayError):
    """A channel did not take a message (it is logged; the run's outcome does not change)."""


@dataclass(frozen=True)
class Message:
    title: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.body}"


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign`` query value (URL-encoded) for ``timestamp_ms``."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return quote_plus(base64.b64encode(digest).decode())


def _robot(kind: str, url: str, message: Message, timeout: float) -> None:
    body = {"msgtype": "text", "text": {"content": message.text}}
    try:
        answer = httpx.post(url, json=body, timeout=timeout)
    except httpx.HTTPError as exc:
        raise NotifyError(f"{kind} robot not reached", error=type(exc).__name__) from None
    try:
        code = answer.json().get("errcode")
    except ValueError:
        code = None
    if answer.status_code != 200 or code != 0:
        raise NotifyError(
            f"{kind} robot refused the message", status=answer.status_code, errcode=code
        )


def _email(channel: EmailChannel, base_dir: Path, message: Message, timeout: float) -> None:
    mail = EmailMessage()
    mail["Subject"] = message.title
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    mail.set_content(message.body)
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=timeout) as smtp:
            if channel.starttls:
                smtp.starttls()
            if channel.username and channel.password:
                smtp.login(channel.username, channel.password.resolve(base_dir))
            smtp.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyError("e-mail not sent", host=channel.host, error=type(exc).__name__) from None


def send(channel: Channel, base_dir: Path, message: Message, timeout: float) -> None:
    if isinstance(channel, WeComChannel):
        _robot("wecom", channel.webhook.resolve(base_dir), message, timeout)
    elif isinstance(channel, DingTalkChannel):
        url = channel.webhook.resolve(base_dir)
        if channel.secret is not None:
            stamp = int(time.time() * 1000)
            sign = dingtalk_sign(channel.secret.resolve(base_dir), stamp)
            url += ("&" if "?" in url else "?") + f"timestamp={stamp}&sign={sign}"
        _robot("dingtalk", url, message, timeout)
    else:
        _email(channel, base_dir, message, timeout)
