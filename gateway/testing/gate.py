"""A thin faulting proxy in front of a simulator: it logs every API request it passes on and
answers the faults a test scripts for the next requests.

It sits in the same ASGI process as the simulator it wraps, so the log is the platform's own
count of what it was asked, whatever the client under test records.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs

import orjson

Scope = dict[str, Any]
ASGIApp = Any


class Fault(StrEnum):
    """What the next API request gets instead of the simulator's answer."""

    SERVER_ERROR = "http-503"
    BAD_REQUEST = "http-400"
    # Answered by the simulator, but only after a client's read timeout (the platform did it).
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Served:
    """One API request the platform received."""

    method: str
    path: str
    params: dict[str, list[str]]
    fault: Fault | None


_ANSWERS = {
    Fault.SERVER_ERROR: (503, "SERVICE_UNAVAILABLE", "service unavailable"),
    Fault.BAD_REQUEST: (400, "INVALID_PARAM", "the request is not understood"),
}


class FaultGate:
    """ASGI app in front of ``app``; requests under ``api_prefix`` are logged and may fault."""

    def __init__(self, app: ASGIApp, *, delay: float, api_prefix: str = "/api/") -> None:
        self.app = app
        self.delay = delay
        self.api_prefix = api_prefix
        self._lock = threading.Lock()
        self._script: deque[Fault] = deque()
        self._served: list[Served] = []

    def script(self, *faults: Fault) -> None:
        """The next ``len(faults)`` API requests get these faults, in order; then none."""
        with self._lock:
            self._script = deque(faults)

    def served(self) -> list[Served]:
        with self._lock:
            return list(self._served)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.api_prefix):
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        with self._lock:
            fault = self._script.popleft() if self._script else None
            self._served.append(Served(scope["method"], scope["path"], parse_qs(query), fault))
        if fault is Fault.TIMEOUT:
            await asyncio.sleep(self.delay)
            await self.app(scope, receive, send)
        elif fault is not None:
            await _answer(send, *_ANSWERS[fault])
        else:
            await self.app(scope, receive, send)


async def _answer(send: Any, status: int, code: str, msg: str) -> None:
    body = orjson.dumps({"code": code, "msg": msg, "data": None, "requestId": "gate"})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
