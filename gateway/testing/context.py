"""A stream's run without the runtime around it: a context, a scripted platform, and the
exchanges the stream recorded (as structlog ships ``capture_logs`` and httpx ``MockTransport``).

A unit test of a stream needs no server::

    transport = scripted_transport({"items": [{"id": "A1"}], "has_more": False})
    ctx = stream_context("registry", transport=transport)
    with capture_exchanges() as exchanges:
        pages = list(MyStream().read(ctx, None))
    assert transport.requests[0].url.params["page_size"] == "1000"
    assert [e.http_status for e in exchanges] == [200]
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import orjson

from gateway.adapter import Exchange, ExchangeRecorder, StreamContext
from gateway.config import PlatformConfig

__all__ = [
    "TEST_APP_KEY",
    "TEST_SECRET",
    "Answer",
    "ScriptedTransport",
    "capture_exchanges",
    "platform_config",
    "scripted_transport",
    "stream_context",
]

TEST_APP_KEY = "bureau-test"
TEST_SECRET = "test-secret-0123456789"  # noqa: S105 (a test credential, never a real one)

# One scripted answer: a response as it is; a status code alone (an error envelope); an
# exception the transport raises (``httpx.ReadTimeout``); anything else is the ``data`` of an
# answer in the shared envelope (``{"code": "0", "msg": "ok", "data": …}``).
Answer = httpx.Response | int | Exception | Mapping[str, Any] | list[Any] | None


def platform_config(
    adapter: str,
    base_url: str | None = "http://platform.test",
    *,
    signature: str = "hmac-sha256",
    read_timeout: float = 5.0,
    **settings: Any,
) -> PlatformConfig:
    """A platform as a configuration would declare it, made for tests: retries without waits,
    no rate limit worth the name, a breaker that does not open."""
    return PlatformConfig.model_validate(
        {
            "adapter": adapter,
            "base_url": base_url,
            "app_key": TEST_APP_KEY,
            "app_secret": f"env:GATEWAY_TEST_SECRET_{adapter.upper()}",
            "signature": signature,
            "timeout": {"connect": 2, "read": read_timeout},
            "retry": {"max_attempts": 5, "initial_backoff": 0, "max_backoff": 0, "jitter": 0},
            "rate_limit": {"per_second": 100_000, "burst": 100_000},
            "breaker": {"failure_threshold": 1000},
            **settings,
        }
    )


def stream_context(
    adapter: str,
    *,
    platform: PlatformConfig | None = None,
    options: Mapping[str, Any] | None = None,
    transport: httpx.BaseTransport | None = None,
    secret: str = TEST_SECRET,
    job: str | None = None,
    base_dir: str = ".",
    exchanges: ExchangeRecorder | None = None,
) -> StreamContext:
    """A fresh run's context for a stream of ``adapter``: its own run id, its own recorder, the
    secret given here (no environment or file is read), over ``transport`` when one is given."""
    return StreamContext(
        job=job or f"test-{adapter}",
        run_id=str(uuid.uuid4()),
        platform_name=adapter,
        platform=platform or platform_config(adapter),
        options=dict(options or {}),
        exchanges=exchanges or ExchangeRecorder(),
        base_dir=base_dir,
        secrets=lambda _ref: secret,
        transport=transport,
    )


def _response(answer: Answer, request: httpx.Request) -> httpx.Response:
    if isinstance(answer, Exception):
        raise answer
    if isinstance(answer, httpx.Response):
        return answer
    if isinstance(answer, int):
        code = "INVALID_PARAM" if answer < 500 else "SERVICE_UNAVAILABLE"
        body = {"code": code, "msg": "scripted", "data": None, "requestId": "scripted"}
        return httpx.Response(answer, content=orjson.dumps(body), request=request)
    answered: dict[str, Any] = {"code": "0", "msg": "ok", "data": answer, "requestId": "scripted"}
    return httpx.Response(200, content=orjson.dumps(answered), request=request)


class ScriptedTransport(httpx.MockTransport):
    """Answers requests in the order scripted; keeps every request it received in
    ``requests``. A request past the script is a test's mistake: it fails loudly."""

    def __init__(self, answers: list[Answer]) -> None:
        self.requests: list[httpx.Request] = []
        self._answers = list(answers)
        self._lock = threading.Lock()
        super().__init__(self._answer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
            if not self._answers:
                raise AssertionError(
                    f"request {len(self.requests)} ({request.method} {request.url.path}) "
                    "is past the script"
                )
            answer = self._answers.pop(0)
        return _response(answer, request)


def scripted_transport(*answers: Answer) -> ScriptedTransport:
    """A transport answering each request with the next of ``answers`` (see :data:`Answer`)."""
    return ScriptedTransport(list(answers))


_capturing: list[list[Exchange]] = []
# The recorder's own method: what every recorder runs again once no capture is active.
_RECORD = ExchangeRecorder.record
_capture_lock = threading.Lock()


@contextmanager
def capture_exchanges() -> Iterator[list[Exchange]]:
    """Every exchange any recorder records while the block runs, in order: what the runtime
    would write to the audit log (failed attempts included)."""
    captured: list[Exchange] = []
    with _capture_lock:
        if not _capturing:
            setattr(ExchangeRecorder, "record", _recording(_RECORD))  # noqa: B010
        _capturing.append(captured)
    try:
        yield captured
    finally:
        with _capture_lock:
            # By identity: two captures holding the same exchanges are equal lists.
            del _capturing[next(i for i, c in enumerate(_capturing) if c is captured)]
            if not _capturing:
                setattr(ExchangeRecorder, "record", _RECORD)  # noqa: B010


def _recording(
    record: Callable[[ExchangeRecorder, Exchange], None],
) -> Callable[[ExchangeRecorder, Exchange], None]:
    def recording(self: ExchangeRecorder, exchange: Exchange) -> None:
        for captured in _capturing:
            captured.append(exchange)
        record(self, exchange)

    return recording
