"""The ASGI middleware that makes a plain app behave like a provincial platform's gateway.

For every request under the API prefix, in order: a platform that is ``down`` answers 503;
the signature, timestamp and nonce are verified (401 otherwise); the fault plan may refuse the
request (503 burst, 429, 500, SYSTEM_BUSY) or let it through and then answer late or cut the
body short. The app still runs for a late or truncated answer: the platform did the work, the
client just did not get a clean answer, which is what makes an outcome "unknown".
Routes outside the prefix (``/_sim/``, ``/openapi.json``) pass untouched.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulators.kit.auth import Refusal, SignatureVerifier
from simulators.kit.envelope import envelope
from simulators.kit.faults import NO_FAULT, FaultInjector, FaultPlan
from simulators.kit.tally import Tally


class PlatformGuard:
    """Signature checks and fault injection in front of the API routes."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: SignatureVerifier,
        faults: FaultInjector,
        tally: Tally,
        api_prefix: str = "/api/",
    ) -> None:
        self.app = app
        self.verifier = verifier
        self.faults = faults
        self.tally = tally
        self.api_prefix = api_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.api_prefix):
            await self.app(scope, receive, send)
            return
        self.tally.add("requests")
        down = self.faults.unavailable()
        if down is not None:
            await _answer(send, down)
            return
        body = await _read_body(receive)
        if body is None:
            return
        refusal = self._authenticate(scope, body)
        if refusal is not None:
            self.tally.add(f"refused_{refusal.code.lower()}")
            await _answer(send, refusal)
            return
        plan = self.faults.plan()
        if plan.refusal is not None:
            await _answer(send, plan.refusal)
            return
        replay = _replay(body, receive)
        if plan is NO_FAULT:
            await self.app(scope, replay, send)
        else:
            await self.app(scope, replay, _Held(send, plan).send)

    def _authenticate(self, scope: Scope, body: bytes) -> Refusal | None:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        return self.verifier.check(scope["method"], scope["path"], query, headers, body)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body (it is signed), or ``None`` if the client went away."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the already-read body to the app once, then defers."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


async def _answer(send: Send, refusal: Refusal) -> None:
    body = envelope(None, code=refusal.code, msg=refusal.msg)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in refusal.headers),
    ]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class _Held:
    """Holds the app's answer back until it is complete, then cuts and/or delays it."""

    def __init__(self, send: Send, plan: FaultPlan) -> None:
        self._send = send
        self._plan = plan
        self._start: Message | None = None
        self._chunks: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self._start = message
            return
        if message["type"] != "http.response.body" or self._start is None:
            await self._send(message)
            return
        self._chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(self._chunks)
        if self._plan.truncate_at is not None and len(body) > 1:
            body = body[: min(len(body) - 1, max(1, int(len(body) * self._plan.truncate_at)))]
        headers = [(k, v) for k, v in self._start["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        if self._plan.delay:
            await asyncio.sleep(self._plan.delay)
        await self._send({**self._start, "headers": headers})
        await self._send({"type": "http.response.body", "body": body, "more_body": False})
