"""Helpers for talking to a simulator from tests, demos and scripts.

:class:`SigningAuth` signs every httpx request the way the platforms expect, so a test can
call a simulator with a plain ``httpx.Client`` instead of the gateway's retrying client.
:func:`echo_platform` is the smallest platform with the whole dialect, for testing clients.
"""

from __future__ import annotations

from collections.abc import Generator

import httpx
import orjson
from fastapi import Request

from gateway.http.signing import SignatureAlgorithm, sign_headers
from simulators.kit.app import PlatformApp, PlatformKit, create_platform_app
from simulators.kit.auth import DEFAULT_WINDOW_SECONDS, SignatureVerifier
from simulators.kit.envelope import JSONBytes, ok
from simulators.kit.faults import FaultInjector, FaultSettings


class SigningAuth(httpx.Auth):
    """httpx authentication that adds the four signing headers to each request."""

    requires_request_body = True

    def __init__(
        self,
        app_key: str,
        secret: bytes,
        algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
    ) -> None:
        self.app_key = app_key
        self.secret = secret
        self.algorithm = algorithm

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(
            sign_headers(
                self.algorithm,
                self.app_key,
                self.secret,
                request.method,
                request.url.path,
                request.url.params.multi_items(),
                request.content,
            )
        )
        yield request


def signed_client(
    base_url: str,
    app_key: str,
    secret: bytes,
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
    *,
    timeout: float = 10.0,
) -> httpx.Client:
    """An ``httpx.Client`` for ``base_url`` that signs every request."""
    return httpx.Client(
        base_url=base_url, auth=SigningAuth(app_key, secret, algorithm), timeout=timeout
    )


def echo_platform(
    app_key: str,
    secret: bytes,
    algorithm: SignatureAlgorithm = SignatureAlgorithm.HMAC_SHA256,
    faults: FaultSettings | None = None,
    *,
    window_seconds: float = DEFAULT_WINDOW_SECONDS,
) -> PlatformApp:
    """A minimal platform with the full dialect and one route, ``/api/echo`` (GET and POST),
    that answers what it received: for testing clients, retry policies and the kit itself."""
    verifier = SignatureVerifier({app_key: secret}, algorithm, window_seconds=window_seconds)
    app = create_platform_app(
        title="echo platform",
        version="1",
        description="Answers what it received.",
        kit=PlatformKit(verifier, FaultInjector(faults)),
    )

    async def echo(request: Request) -> JSONBytes:
        body = await request.body()
        return ok(
            {
                "method": request.method,
                "query": sorted(request.query_params.multi_items()),
                "body": orjson.loads(body) if body else None,
            }
        )

    for method in ("GET", "POST"):
        app.add_api_route(
            "/api/echo",
            echo,
            methods=[method],
            response_class=JSONBytes,
            operation_id=f"echo_{method.lower()}",
        )
    return app
