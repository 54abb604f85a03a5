"""Real local receivers for notification tests: an HTTP server that answers as the WeCom and
DingTalk robots do (and checks DingTalk's signature), and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller

from simulators.demo.config import free_port


@dataclass
class Robots:
    """What the robots received: (robot, text) in order; DingTalk signatures checked."""

    url: str
    dingtalk_secret: str
    received: list[tuple[str, str]] = field(default_factory=list)
    bad_signatures: int = 0


@contextmanager
def robots(dingtalk_secret: str) -> Iterator[Robots]:
    state = Robots("", dingtalk_secret)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            robot = "wecom" if parts.path.startswith("/cgi-bin/webhook/send") else "dingtalk"
            answer = {"errcode": 0, "errmsg": "ok"}
            if robot == "dingtalk" and not self._signed(query):
                state.bad_signatures += 1
                answer = {"errcode": 310000, "errmsg": "sign not match"}
            elif body.get("msgtype") == "text":
                state.received.append((robot, str(body["text"]["content"])))
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _signed(self, query: dict[str, str]) -> bool:
            stamp = query.get("timestamp", "")
            digest = hmac.new(
                dingtalk_secret.encode(), f"{stamp}\n{dingtalk_secret}".encode(), hashlib.sha256
            ).digest()
            return bool(stamp) and query.get("sign") == base64.b64encode(digest).decode()

        def log_message(self, *_args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class Mailbox:
    port: int
    messages: list[tuple[str, str]] = field(default_factory=list)  # (subject, body)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content)
        body = mail.get_payload(decode=True)
        text = body.decode() if isinstance(body, bytes) else str(body)
        self.messages.append((str(mail["Subject"]), text))
        return "250 OK"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox(free_port())
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()
