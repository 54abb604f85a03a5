"""The signed, enveloped, retried HTTP client every platform adapter uses.

One request goes: breaker check → rate limit → sign → send → classify, each attempt within what
is left of the retry budget. Each attempt is recorded as an :class:`~gateway.adapter.Exchange`
for the audit log, including failed ones. An adapter changes how answers are judged by
overriding :meth:`ResponseClassifier.classify`.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from gateway.adapter import Direction, Exchange, ExchangeObserver, ExchangeRecorder
from gateway.config import PlatformConfig
from gateway.errors import (
    AuthError,
    ConfigError,
    GatewayError,
    PermanentError,
    RetryableError,
)
from gateway.http.breaker import CircuitBreaker, MemoryLedger, safe_url
from gateway.http.policy import RetryPolicy, limiter_for
from gateway.http.reasons import transport_reason
from gateway.http.signing import SignatureAlgorithm, sign_headers
from gateway.masking import scrub_text

BUSY_CODES = frozenset({"SYSTEM_BUSY", "BUSY", "RATE_LIMITED", "TRY_LATER"})


@dataclass(frozen=True)
class Envelope:
    code: str
    msg: str
    data: Any
    request_id: str | None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds, from either form HTTP allows: delay-seconds or an HTTP date
    (``now``: the current Unix time, for tests). Unreadable values count as absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


def counts_against_platform(error: GatewayError) -> bool:
    """Whether a failed attempt says the platform is unwell (see :mod:`gateway.http.breaker`)."""
    return isinstance(error, RetryableError) and error.context.get("status") != 429


def _release(response: httpx.Response) -> None:
    """Break the reference cycle between a read response and its body stream (httpx 0.28).

    With the cycle, every response, body included, lives until the next full garbage
    collection, which a long pull reaches ever more rarely: the process grew with the number of
    pages read (330 MB at 2.2 M persons in pages of 5,000). Without it, a page's body goes as
    soon as its last reference does.
    """
    response.stream = httpx.ByteStream(b"")


def _code_of(response: httpx.Response) -> str | None:
    """The platform's code in an error answer's envelope, if it sent one."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    return str(body["code"]) if isinstance(body, dict) and "code" in body else None


class ResponseClassifier:
    """Turns an HTTP answer into an envelope, or into the right kind of error."""

    busy_codes: frozenset[str] = BUSY_CODES

    def classify(self, response: httpx.Response) -> Envelope:
        status = response.status_code
        context: dict[str, Any] = {"status": status, "path": response.request.url.path}
        if status == 429:
            raise RetryableError(
                "rate limited by the platform",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                **context,
            )
        if status >= 500:
            raise RetryableError(
                "platform server error",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
                code=_code_of(response),
                **context,
            )
        envelope = self._envelope(response)
        if status in (401, 403):
            raise AuthError("the platform refused our credentials", code=envelope.code, **context)
        if status >= 400:
            raise PermanentError("the platform refused the request", code=envelope.code, **context)
        if envelope.code != "0":
            if envelope.code in self.busy_codes:
                raise RetryableError("platform is busy", code=envelope.code, **context)
            raise PermanentError(
                "the platform answered a business error",
                code=envelope.code,
                msg=scrub_text(envelope.msg)[:200],
                **context,
            )
        return envelope

    def _envelope(self, response: httpx.Response) -> Envelope:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            if response.status_code >= 400:
                return Envelope(str(response.status_code), "", None, None)
            # A cut-off body is a transport accident, not the platform's answer.
            raise RetryableError(
                "response body is not valid JSON (truncated?)",
                status=response.status_code,
                path=response.request.url.path,
            ) from None
        if not isinstance(body, dict) or "code" not in body:
            raise PermanentError(
                "response is not the platform envelope", path=response.request.url.path
            )
        return Envelope(
            code=str(body.get("code")),
            msg=str(body.get("msg") or ""),
            data=body.get("data"),
            request_id=body.get("requestId"),
        )


class PlatformClient:
    """A client for one platform within one run; the retry counter feeds the run's counts.

    ``policy``, ``breaker`` and ``transport`` default to the configured ones (a breaker of its
    own, in memory); tests pass fakes. ``observers`` see every attempt's exchange as the
    recorder does. Streams open theirs through :func:`gateway.http.streams.open_client`, bound
    to what the run's context carries.
    """

    def __init__(
        self,
        name: str,
        platform: PlatformConfig,
        recorder: ExchangeRecorder,
        *,
        secret: str,
        classifier: ResponseClassifier | None = None,
        transport: httpx.BaseTransport | None = None,
        policy: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
        observers: Iterable[ExchangeObserver] = (),
    ) -> None:
        if not platform.base_url or not platform.app_key:
            raise ConfigError("platform needs base_url and app_key", platform=name)
        self.name = name
        self.platform = platform
        self.recorder = recorder
        self.classifier = classifier or ResponseClassifier()
        self.algorithm = SignatureAlgorithm(platform.signature)
        self._secret = secret.encode()
        self._limiter = limiter_for(name, platform.rate_limit)
        self._breaker = breaker or CircuitBreaker(
            name, platform.breaker, MemoryLedger(), base_url=platform.base_url
        )
        self._observers = tuple(observers)
        self._policy = policy or RetryPolicy(platform.retry)
        self.retries = 0
        self._http = httpx.Client(base_url=platform.base_url, transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PlatformClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        direction: Direction,
        params: dict[str, str] | None = None,
        body: Any = None,
    ) -> tuple[Envelope, Exchange]:
        """Send with retries; returns the envelope and the successful attempt's exchange."""
        content = orjson.dumps(body) if body is not None else b""
        query = tuple(sorted((params or {}).items()))

        def attempt(number: int, remaining: float) -> tuple[Envelope, Exchange]:
            request = _Request(method, path, query, content, operation, direction)
            return self._attempt(request, number, remaining)

        def on_retry(_error: RetryableError, _wait: float) -> None:
            self.retries += 1

        return self._policy.run(attempt, on_retry)

    def _timeout(self, remaining: float) -> httpx.Timeout:
        """The configured timeouts, shortened so one attempt cannot outlast the retry budget."""
        limit = max(remaining, 0.001)
        timeout = self.platform.timeout
        return httpx.Timeout(min(timeout.read, limit), connect=min(timeout.connect, limit))

    def _attempt(self, req: _Request, number: int, remaining: float) -> tuple[Envelope, Exchange]:
        self._breaker.before_call()
        self._limiter.acquire()
        headers = sign_headers(
            self.algorithm,
            self.platform.app_key or "",
            self._secret,
            req.method,
            req.path,
            req.query,
            req.content,
        )
        if req.content:
            headers["Content-Type"] = "application/json"
        exchange = Exchange(
            platform=self.name,
            direction=req.direction,
            operation=req.operation,
            endpoint=f"{req.method} {req.path}" + (f"?{urlencode(req.query)}" if req.query else ""),
            attempt=number,
            request_body=req.content,
        )
        started = time.perf_counter()
        try:
            response = self._http.request(
                req.method,
                req.path,
                params=req.query or None,
                content=req.content or None,
                headers=headers,
                timeout=self._timeout(remaining),
            )
        except httpx.TransportError as exc:
            cause, check = transport_reason(exc)
            self._fail(exchange, started, cause)
            kind = (
                "request timed out"
                if isinstance(exc, httpx.TimeoutException)
                else ("platform unreachable")
            )
            raise RetryableError(
                f"{kind}: {cause}", platform=self.name, url=self._url(req.path), check=check
            ) from exc
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        exchange.http_status = response.status_code
        exchange.response_body = response.content
        try:
            envelope = self.classifier.classify(response)
        except GatewayError as exc:
            _release(response)
            exchange.business_code = exc.context.get("code")
            exchange.outcome = "retry" if isinstance(exc, RetryableError) else "error"
            exchange.error = exc.message
            self._record(exchange)
            exc.context.setdefault("platform", self.name)
            exc.context.setdefault("url", self._url(req.path))
            if counts_against_platform(exc):
                status = exc.context.get("status")
                self._breaker.record_failure(
                    f"{exc.message} (HTTP {status})" if status else exc.message
                )
            elif exc.context.get("status") != 429:
                # An answer, even a refusal, shows the platform is up: the streak ends.
                self._breaker.record_success()
            raise
        _release(response)
        exchange.business_code = envelope.code
        self._breaker.record_success()
        self._record(exchange)
        return envelope, exchange

    def _url(self, path: str) -> str:
        return safe_url(f"{self.platform.base_url}{path}")

    def _record(self, exchange: Exchange) -> None:
        self.recorder.record(exchange)
        for observe in self._observers:
            observe(exchange)

    def _fail(self, exchange: Exchange, started: float, reason: str) -> None:
        exchange.duration_ms = (time.perf_counter() - started) * 1000
        exchange.outcome = "retry"
        exchange.error = reason
        self._record(exchange)
        self._breaker.record_failure(reason)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    content: bytes
    operation: str
    direction: Direction
